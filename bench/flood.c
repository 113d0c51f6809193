// SPDX-License-Identifier: GPL-2.0
/*
 * flood: a fixed-duration packet flood whose every packet the kernel drops,
 * for overhead benchmarks. One sending thread, pinned to one CPU, in a
 * private network namespace.
 *
 *   udp  datagrams over loopback into a bound UDP socket with the minimum
 *        SO_RCVBUF that is never read: all but the first few are dropped in
 *        the receive path (SKB_DROP_REASON_SOCKET_RCVBUFF).
 *   tap  datagrams to a permanent neighbour behind a multi-queue tap whose
 *        queues are never read, over many destination ports so that flows
 *        spread over the queues: once the rings are full every skb is dropped
 *        in tun_net_xmit() (SKB_DROP_REASON_FULL_RING).
 *   napi 60-byte frames of an unhandled ethertype written into a tap opened
 *        IFF_NAPI | IFF_NAPI_FRAGS (as tests/gen/tap_write): each write takes
 *        its skb from napi_alloc_skb(), i.e. the NAPI skb cache (refilled in
 *        bulk every 64 gets), and GRO delivers it to kfree_skb
 *        (SKB_DROP_REASON_UNHANDLED_PROTO), all in the writer's context.
 *        Drives the cache probes the other two modes never run.
 *
 * Loopback receive and tap transmit both run in the sender's context (the
 * loopback softirq runs at local_bh_enable() in the sendmsg path), so the
 * CPU time of the sending thread, plus ksoftirqd on that CPU for what was
 * deferred, is the kernel's whole cost of the packets. Two rates come out:
 *
 *   pps      packets processed (dropped + delivered) per wall-clock second
 *   pps_cpu  packets processed per CPU-second of the sender + ksoftirqd;
 *            insensitive to other load sharing the CPU, so it is the number
 *            to compare on a shared machine
 *
 * Prints one JSON line. With -W S it also prints, while it measures, one
 * line per S-second window ({"window":..,"t0","t1": CLOCK_REALTIME,
 * "processed","cpu_secs","ksoftirqd_secs"}), flushed as it goes, so that a
 * controller can attach and detach tools between windows of one flood.
 * Needs root (CAP_NET_ADMIN for the namespace).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define TAP_NAME	"skbbench0"
#define TAP_LOCAL	"10.201.0.1"
#define TAP_PEER	"10.201.0.2"
#define TAP_PORTS	256
#define MAX_QUEUES	16

static double clock_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The pid of ksoftirqd/cpu, or -1. */
static long ksoftirqd_pid(int cpu)
{
	char path[64], comm[32], want[32];
	long pid = -1;
	FILE *f;

	/* ksoftirqd/N has the lowest pids; scan until found */
	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	for (long p = 2; p < 4096 && pid < 0; p++) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", p);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want))
			pid = p;
		fclose(f);
	}
	return pid;
}

/* CPU time of a task in seconds (from its schedstat), or 0. */
static double task_cpu_s(long pid)
{
	char path[64];
	double s = 0;
	FILE *f;

	if (pid < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	f = fopen(path, "re");
	if (f) {
		unsigned long long ns;

		if (fscanf(f, "%llu", &ns) == 1)
			s = ns / 1e9;
		fclose(f);
	}
	return s;
}

#ifndef IFF_NAPI
#define IFF_NAPI	0x0010
#endif
#ifndef IFF_NAPI_FRAGS
#define IFF_NAPI_FRAGS	0x0020
#endif
#define NAPI_FRAME_LEN	60
#define ETHERTYPE_EXPERIMENTAL 0x88b5

static bool napi_mode;

/* Packets the kernel has processed so far: tap transmits and drops, UDP
 * receive errors and deliveries, or (napi) frames the tap received. */
static uint64_t processed_now(bool tap)
{
	struct dev_stats st;

	if (napi_mode) {
		dev_stats_read(TAP_NAME, &st);
		return st.rx_packets;
	}
	if (tap) {
		dev_stats_read(TAP_NAME, &st);
		return st.tx_packets + st.tx_dropped;
	}
	return snmp_read("Udp", "RcvbufErrors") + snmp_read("Udp", "InDatagrams");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: flood udp|tap|napi [options]\n"
"  -d, --duration S   seconds to measure (default 2), after a warm-up\n"
"  -w, --warmup S     seconds of warm-up, not measured (default 0.3)\n"
"  -c, --cpu N        pin the sender to CPU N (default 0)\n"
"  -q, --queues Q     tap queues (default 4)\n"
"  -s, --size B       UDP payload bytes (default 64)\n"
"  -W, --windows S    also print one line per S seconds measured\n"
"Prints {\"mode\":..,\"sent\":N,\"processed\":P,\"secs\":S,\"cpu_secs\":C,\n"
"        \"pps\":P/S,\"pps_cpu\":P/C,...}\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "queues", required_argument, NULL, 'q' },
		{ "size", required_argument, NULL, 's' },
		{ "windows", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	double duration = 2, warmup = 0.3, window = 0, t0, t1, c0, c1, k0, k1, end;
	double wt = 0, wc = 0, wk = 0, wr = 0, next_window = 0;
	uint64_t wp = 0;
	int nwindow = 0;
	unsigned long size = 64, nq = 4, sent = 0, retries = 0, processed;
	long ksoftirqd;
	int cpu = 0, c, tx, rx = -1, qfd[MAX_QUEUES];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
	struct dev_stats s0, s1;
	bool tap;
	char buf[65536];

	prog_name = "flood";
	while ((c = getopt_long(argc, argv, "d:w:c:q:s:W:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': duration = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'c': cpu = parse_ulong("--cpu", optarg, 0, 4095); break;
		case 'q': nq = parse_ulong("--queues", optarg, 1, MAX_QUEUES); break;
		case 's': size = parse_ulong("--size", optarg, 0, 1400); break;
		case 'W': window = atof(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (optind != argc - 1 || (strcmp(argv[optind], "udp") && strcmp(argv[optind], "tap") &&
				   strcmp(argv[optind], "napi")) ||
	    !(duration > 0) || window < 0) {
		usage(stderr);
		return 64;
	}
	napi_mode = !strcmp(argv[optind], "napi");
	tap = !strcmp(argv[optind], "tap") || napi_mode;
	if (unshare(CLONE_NEWNET))
		die_errno("unshare(CLONE_NEWNET)");
	if_set_up("lo", true);
	memset(buf, 'b', sizeof(buf));

	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tx < 0)
		die_errno("socket");
	if (napi_mode) {
		struct ifreq ifr = {};

		nq = 1;
		qfd[0] = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (qfd[0] < 0)
			die_errno("open /dev/net/tun");
		strcpy(ifr.ifr_name, TAP_NAME);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_NAPI | IFF_NAPI_FRAGS;
		if (ioctl(qfd[0], TUNSETIFF, &ifr))
			die_errno("TUNSETIFF (tap, IFF_NAPI | IFF_NAPI_FRAGS)");
		if_disable_ipv6(TAP_NAME);
		if_set_up(TAP_NAME, true);
		/* to the tap's own address, from a locally administered one */
		memset(buf, 0, NAPI_FRAME_LEN);
		if_get_mac(TAP_NAME, (unsigned char *)buf);
		buf[6] = 0x02;
		buf[11] = 0x01;
		buf[12] = ETHERTYPE_EXPERIMENTAL >> 8;
		buf[13] = ETHERTYPE_EXPERIMENTAL & 0xff;
		size = NAPI_FRAME_LEN;
	} else if (tap) {
		static const unsigned char mac[6] = { 2, 0, 0, 0, 0, 2 };
		struct ifreq ifr = {};

		for (unsigned long i = 0; i < nq; i++) {
			qfd[i] = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
			if (qfd[i] < 0)
				die_errno("open /dev/net/tun");
			memset(&ifr, 0, sizeof(ifr));
			strcpy(ifr.ifr_name, TAP_NAME);
			ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
			if (ioctl(qfd[i], TUNSETIFF, &ifr))
				die_errno("TUNSETIFF queue %lu", i);
		}
		if_disable_ipv6(TAP_NAME);
		if_set_addr4(TAP_NAME, TAP_LOCAL, "255.255.255.0");
		if_set_up(TAP_NAME, true);
		neigh_add_perm(TAP_NAME, TAP_PEER, mac);
		inet_pton(AF_INET, TAP_PEER, &dst.sin_addr);
	} else {
		socklen_t alen = sizeof(dst);
		int opt = 1024;

		rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (rx < 0)
			die_errno("socket");
		if (setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &opt, sizeof(opt)))
			die_errno("SO_RCVBUF");
		dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(rx, (struct sockaddr *)&dst, sizeof(dst)) ||
		    getsockname(rx, (struct sockaddr *)&dst, &alen))
			die_errno("bind receiver");
		if (connect(tx, (struct sockaddr *)&dst, sizeof(dst)))
			die_errno("connect");
	}
	pin_cpu(cpu);
	ksoftirqd = ksoftirqd_pid(cpu);

	/* warm up (fills the rings), then measure */
	end = clock_s(CLOCK_MONOTONIC) + warmup + duration;
	for (int phase = 0; phase < 2; phase++) {
		double stop = phase ? end : end - duration;

		if (phase) {
			if (tap) {
				dev_stats_read(TAP_NAME, &s0);
			} else {
				a0 = snmp_read("Udp", "RcvbufErrors");
				b0 = snmp_read("Udp", "InDatagrams");
			}
			k0 = task_cpu_s(ksoftirqd);
			c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
			t0 = clock_s(CLOCK_MONOTONIC);
			sent = 0;
			if (window > 0) {
				wp = processed_now(tap);
				wt = t0;
				wr = clock_s(CLOCK_REALTIME);
				wc = c0;
				wk = k0;
				next_window = t0 + window;
			}
		}
		for (;;) {
			double now;

			for (int i = 0; i < 256; i++) {
				ssize_t n;

				if (napi_mode) {
					n = write(qfd[0], buf, size);
				} else if (tap) {
					dst.sin_port = htons(20000 + (sent + i) % TAP_PORTS);
					n = sendto(tx, buf, size, 0, (struct sockaddr *)&dst,
						   sizeof(dst));
				} else {
					n = send(tx, buf, size, 0);
				}
				if (n == (ssize_t)size)
					sent++;
				else if (n < 0 && (errno == ENOBUFS || errno == EAGAIN ||
						   errno == EINTR))
					retries++;
				else
					die_errno("send");
			}
			now = clock_s(CLOCK_MONOTONIC);
			if (phase && window > 0 && now >= next_window) {
				uint64_t p = processed_now(tap);
				double c = clock_s(CLOCK_THREAD_CPUTIME_ID), k = task_cpu_s(ksoftirqd);
				double r = clock_s(CLOCK_REALTIME);

				printf("{\"window\":%d,\"t0\":%.6f,\"t1\":%.6f,\"secs\":%.6f,"
				       "\"processed\":%llu,\"cpu_secs\":%.6f,\"ksoftirqd_secs\":%.6f}\n",
				       nwindow++, wr, r, now - wt, (unsigned long long)(p - wp), c - wc,
				       k - wk);
				fflush(stdout);
				wp = p, wt = now, wr = r, wc = c, wk = k;
				next_window = now + window;
			}
			if (now >= stop)
				break;
		}
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	k1 = task_cpu_s(ksoftirqd);
	if (napi_mode) {
		dev_stats_read(TAP_NAME, &s1);
		processed = s1.rx_packets - s0.rx_packets;	/* drops are in rx_packets too */
	} else if (tap) {
		dev_stats_read(TAP_NAME, &s1);
		processed = (s1.tx_packets - s0.tx_packets) + (s1.tx_dropped - s0.tx_dropped);
	} else {
		/* loopback delivery can trail the last send by a softirq run */
		usleep(20000);
		a1 = snmp_read("Udp", "RcvbufErrors");
		b1 = snmp_read("Udp", "InDatagrams");
		processed = (a1 - a0) + (b1 - b0);
	}
	printf("{\"mode\":\"%s\",\"cpu\":%d,\"size\":%lu,\"queues\":%lu,\"sent\":%lu,"
	       "\"retries\":%lu,\"processed\":%lu,\"secs\":%.6f,\"cpu_secs\":%.6f,"
	       "\"ksoftirqd_secs\":%.6f,\"pps\":%.0f,\"pps_cpu\":%.0f}\n",
	       napi_mode ? "napi" : tap ? "tap" : "udp", cpu, size, tap ? nq : 0, sent, retries, processed,
	       t1 - t0, c1 - c0, k1 - k0, processed / (t1 - t0),
	       processed / ((c1 - c0) + (k1 - k0)));
	return 0;
}
