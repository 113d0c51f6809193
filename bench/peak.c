// SPDX-License-Identifier: GPL-2.0
/*
 * peak: run CMD and print its wall time, CPU time and peak RSS as one JSON
 * object. Spawned from this small process, CMD's peak RSS is its own (a
 * child forked from python or bash starts with their pages counted).
 *
 *   peak CMD [ARG]...
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double t0;
	int status;
	pid_t pid;

	if (argc < 2)
		return fprintf(stderr, "usage: peak CMD [ARG]...\n"), 64;
	t0 = now();
	pid = fork();
	if (pid < 0)
		return perror("peak: fork"), 1;
	if (!pid) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp(argv[1], argv + 1);
		perror("peak: exec");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return perror("peak: wait4"), 1;
	printf("{\"secs\":%.2f,\"cpu_secs\":%.2f,\"maxrss_kb\":%ld,\"status\":%d}\n", now() - t0,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return !WIFEXITED(status) || WEXITSTATUS(status);
}
