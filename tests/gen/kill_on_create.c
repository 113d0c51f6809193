// SPDX-License-Identifier: GPL-2.0
/*
 * kill_on_create DIR PID SIG [TIMEOUT_MS]: print "ready" once DIR is
 * watched, then send SIG to PID the moment a file is created in DIR (the
 * tests use it to hit a window of a few microseconds: a second SIGTERM while
 * skbtop writes its capture). Exits 0 after sending, 1 on timeout (5000 ms).
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096] __attribute__((aligned(8)));
	struct pollfd p = { .events = POLLIN };

	if (argc < 4) {
		fprintf(stderr, "usage: kill_on_create DIR PID SIG [TIMEOUT_MS]\n");
		return 64;
	}
	p.fd = inotify_init1(IN_CLOEXEC);
	if (p.fd < 0 || inotify_add_watch(p.fd, argv[1], IN_CREATE) < 0) {
		perror("inotify");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (poll(&p, 1, argc > 4 ? atoi(argv[4]) : 5000) != 1 || read(p.fd, buf, sizeof(buf)) <= 0)
		return 1;
	return kill(atoi(argv[2]), atoi(argv[3])) ? 1 : 0;
}
