// SPDX-License-Identifier: GPL-2.0
/*
 * udp_rcvbuf: flood a UDP socket whose receive buffer is at the minimum and
 * that is not read during the flood. Every datagram that does not fit is
 * dropped by the kernel with SKB_DROP_REASON_SOCKET_RCVBUFF and counted in
 * Udp RcvbufErrors, so sent - received == rcvbuf_errors.
 *
 * --drain instead reads each datagram back (blocking, 1 s timeout) right
 * after sending it: loopback delivers it inside send(), and on 6.18+ the
 * read frees its head with skb_attempt_defer_free(), which, on the CPU that
 * allocated it, puts the head into that CPU's NAPI skb cache; pinned with
 * --cpu, the next send's __alloc_skb() can take it back from there (7.x).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: udp_rcvbuf [options]\n"
"  Floods a never-read UDP socket with a minimal SO_RCVBUF over loopback in a\n"
"  network namespace; prints one JSON line:\n"
"  {\"netns\":..,\"sent\":N,\"received\":R,\"rcvbuf_errors\":D,...}\n"
"  Expect sent - received == rcvbuf_errors (all SOCKET_RCVBUFF drops).\n"
"options:\n"
"  -n, --count N     datagrams to send (default 20000)\n"
"  -s, --size B      payload bytes per datagram (default 64)\n"
"  -r, --rcvbuf B    SO_RCVBUF request (default 1024; kernel clamps to its minimum)\n"
"  -N, --netns NAME  use existing netns /run/netns/NAME (default: create\n"
"                    skbgen-udp-<pid> and remove it afterwards)\n"
"  -c, --cpu N       pin the sender to CPU N\n"
"  -R, --drain       read each datagram back right after sending it (blocking,\n"
"                    1 s timeout); expect received == sent, no rcvbuf errors\n"
"  -t, --timeout S   give up after S seconds (default 30)\n"
"  -h, --help        this text\n");
}

static int rx_fd = -1, tx_fd = -1;

static void close_fds(void *arg)
{
	(void)arg;
	if (rx_fd >= 0)
		close(rx_fd);
	if (tx_fd >= 0)
		close(tx_fd);
	rx_fd = tx_fd = -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "netns", required_argument, NULL, 'N' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "drain", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long count = 20000, size = 64, rcvbuf_req = 1024, timeout = 30;
	long cpu = -1;
	const char *netns = NULL;
	char nsname[64];
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	uint64_t rcvbuf_before, rcvbuf_after, inerr_before, inerr_after;
	uint64_t backlog_before, backlog_after;
	unsigned long sent = 0, received = 0, send_errors = 0;
	int rcvbuf, opt, c;
	socklen_t olen = sizeof(rcvbuf);
	char *buf;
	bool named, drain = false;

	prog_name = "udp_rcvbuf";

	while ((c = getopt_long(argc, argv, "n:s:r:N:c:t:Rh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_ulong("--count", optarg, 1, 100000000);
			break;
		case 's':
			size = parse_ulong("--size", optarg, 0, 65507);
			break;
		case 'r':
			rcvbuf_req = parse_ulong("--rcvbuf", optarg, 1, 1 << 30);
			break;
		case 'N':
			netns = optarg;
			break;
		case 'c':
			cpu = parse_ulong("--cpu", optarg, 0, 4095);
			break;
		case 't':
			timeout = parse_ulong("--timeout", optarg, 1, 86400);
			break;
		case 'R':
			drain = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	gen_init("udp_rcvbuf", timeout);

	if (netns) {
		netns_enter(netns);
		snprintf(nsname, sizeof(nsname), "%s", netns);
	} else {
		snprintf(nsname, sizeof(nsname), "skbgen-udp-%d", getpid());
		named = netns_create(nsname);
		if (!named)
			snprintf(nsname, sizeof(nsname), "anonymous");
	}
	if_set_up("lo", true);

	buf = calloc(1, size ? size : 1);
	if (!buf)
		die("out of memory");
	memset(buf, 'u', size);

	cleanup_push(close_fds, NULL);
	rx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx_fd < 0 || tx_fd < 0)
		die_errno("socket");
	opt = rcvbuf_req;
	if (setsockopt(rx_fd, SOL_SOCKET, SO_RCVBUF, &opt, sizeof(opt)))
		die_errno("SO_RCVBUF");
	if (getsockopt(rx_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &olen))
		die_errno("getsockopt SO_RCVBUF");
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(rx_fd, (struct sockaddr *)&addr, sizeof(addr)))
		die_errno("bind receiver");
	if (getsockname(rx_fd, (struct sockaddr *)&addr, &alen))
		die_errno("getsockname");
	if (connect(tx_fd, (struct sockaddr *)&addr, sizeof(addr)))
		die_errno("connect sender");
	if (cpu >= 0)
		pin_cpu(cpu);
	if (drain) {
		struct timeval tv = { .tv_sec = 1 };

		if (setsockopt(rx_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
			die_errno("SO_RCVTIMEO");
	}

	backlog_before = softnet_dropped();
	rcvbuf_before = snmp_read("Udp", "RcvbufErrors");
	inerr_before = snmp_read("Udp", "InErrors");
	while (sent < count) {
		ssize_t n = send(tx_fd, buf, size, 0);

		if (n == (ssize_t)size) {
			sent++;
			while (drain) {
				n = recv(rx_fd, buf, size ? size : 1, 0);
				if (n >= 0)
					received++;
				else if (errno == EINTR)
					continue;
				else if (errno != EAGAIN && errno != EWOULDBLOCK)
					die_errno("recv #%lu", sent);
				break;	/* a timeout: not delivered, counted by the kernel */
			}
			continue;
		}
		if (n < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) {
			/* not sent; retry so that "sent" stays exact */
			send_errors++;
			if (send_errors > 1000000)
				die("sender keeps failing: %s", strerror(errno));
			continue;
		}
		die_errno("send #%lu", sent);
	}
	/*
	 * Loopback delivery normally completes inside send(), but softirq work
	 * can be handed to ksoftirqd under load: wait until the counter is
	 * stable before reading it.
	 */
	rcvbuf_after = snmp_read("Udp", "RcvbufErrors");
	for (;;) {
		uint64_t v;

		usleep(20000);
		v = snmp_read("Udp", "RcvbufErrors");
		if (v == rcvbuf_after)
			break;
		rcvbuf_after = v;
	}
	inerr_after = snmp_read("Udp", "InErrors");
	backlog_after = softnet_dropped();

	for (;;) {
		ssize_t n = recv(rx_fd, buf, size ? size : 1, MSG_DONTWAIT);

		if (n >= 0) {
			received++;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EINTR)
			continue;
		die_errno("recv");
	}

	printf("{\"netns\":\"%s\",\"size\":%lu,\"rcvbuf\":%d,\"sent\":%lu,"
	       "\"received\":%lu,\"rcvbuf_errors\":%llu,\"in_errors\":%llu,"
	       "\"send_retries\":%lu,\"backlog_drops\":%llu}\n",
	       nsname, size, rcvbuf, sent, received,
	       (unsigned long long)(rcvbuf_after - rcvbuf_before),
	       (unsigned long long)(inerr_after - inerr_before), send_errors,
	       (unsigned long long)(backlog_after - backlog_before));
	fflush(stdout);
	cleanup_run();
	if (sent - received != rcvbuf_after - rcvbuf_before)
		warnx_("warning: sent - received = %lu but rcvbuf_errors = %llu",
		       sent - received,
		       (unsigned long long)(rcvbuf_after - rcvbuf_before));
	return 0;
}
