// SPDX-License-Identifier: GPL-2.0
/*
 * defer_kick: cross-CPU deferred skb free.
 *
 * A sender pinned to --tx-cpu (0) fills a UDP socket with a huge receive
 * buffer over loopback, so every skb has alloc_cpu == tx-cpu. Nobody reads
 * during the flood. Then the receiver, pinned to --rx-cpu (1), drains the
 * socket: skb_consume_udp() -> skb_attempt_defer_free() queues each skb on
 * the tx-cpu's defer list and, each time that list reaches half of
 * net.core.skb_defer_max, kicks the tx-cpu with an async IPI whose csd
 * function is trigger_rx_softirq.
 *
 * With --count-csd the kicks are counted independently from the
 * csd:csd_queue_cpu tracepoint in a private tracefs instance that is
 * enabled only for the drain window.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "common.h"

#define TRACEFS "/sys/kernel/tracing"

static int rx_fd = -1, tx_fd = -1;
static char inst_dir[256];
static bool tracefs_mounted_by_us;

static void usage(FILE *f)
{
	fprintf(f,
"usage: defer_kick [options]\n"
"  In netns skbgen-defer-<pid>: a sender pinned to the tx CPU queues N UDP\n"
"  datagrams on a never-read socket with a huge receive buffer, then a\n"
"  receiver pinned to the rx CPU drains them, so the frees are deferred to\n"
"  the tx CPU and kick it every skb_defer_max/2 skbs. One JSON line:\n"
"  {\"netns\":..,\"sent\":N,\"received\":R,\"tx_cpu\":..,\"rx_cpu\":..,\n"
"   \"skb_defer_max\":M,\"rcvbuf_errors\":0[,\"csd_trigger_rx_softirq\":K,...]}\n"
"options:\n"
"  -n, --count N      datagrams (default 20000)\n"
"  -s, --size B       payload bytes (default 64)\n"
"  -b, --rcvbuf B     SO_RCVBUFFORCE bytes (default 67108864)\n"
"      --tx-cpu C     sender CPU (default 0)\n"
"      --rx-cpu C     receiver CPU (default 1)\n"
"  -k, --count-csd    count csd:csd_queue_cpu events with func\n"
"                     trigger_rx_softirq during the drain (tracefs instance)\n"
"  -t, --timeout S    give up after S seconds (default 30)\n"
"  -h, --help         this text\n"
"tx_cpu_net_rx_softirqs is the NET_RX softirq count on the tx CPU during the\n"
"drain (/proc/softirqs). Each one flushes that CPU's defer list; when other\n"
"network work keeps the tx CPU in NET_RX, the list rarely reaches\n"
"skb_defer_max/2 and there are few or no kicks: pick a quiet --tx-cpu.\n");
}

static void close_fds(void *arg)
{
	(void)arg;
	if (rx_fd >= 0)
		close(rx_fd);
	if (tx_fd >= 0)
		close(tx_fd);
	rx_fd = tx_fd = -1;
}

/* ---- tracefs instance ---- */

static int inst_write(const char *rel, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", inst_dir, rel);
	return write_str_file(path, val);
}

static void trace_cleanup(void *arg)
{
	(void)arg;
	if (inst_dir[0]) {
		inst_write("tracing_on", "0");
		inst_write("events/csd/csd_queue_cpu/enable", "0");
		rmdir(inst_dir);
		inst_dir[0] = 0;
	}
	if (tracefs_mounted_by_us) {
		umount2(TRACEFS, MNT_DETACH);
		tracefs_mounted_by_us = false;
	}
}

static void trace_setup(void)
{
	struct stat st;

	if (stat(TRACEFS "/instances", &st)) {
		if (mount("nodev", TRACEFS, "tracefs", 0, NULL))
			die_errno("mount tracefs on %s", TRACEFS);
		tracefs_mounted_by_us = true;
	}
	cleanup_push(trace_cleanup, NULL);
	if (stat(TRACEFS "/events/csd/csd_queue_cpu", &st))
		die("no csd:csd_queue_cpu tracepoint on this kernel (needs 6.2+); "
		    "run without --count-csd");
	snprintf(inst_dir, sizeof(inst_dir), TRACEFS "/instances/skbtop-gen-%d",
		 getpid());
	if (mkdir(inst_dir, 0700)) {
		int err = errno;

		inst_dir[0] = 0;
		errno = err;
		die_errno("mkdir %s/instances/skbtop-gen-%d", TRACEFS, getpid());
	}
	if (inst_write("buffer_size_kb", "4096"))
		warnx_("warning: cannot set buffer_size_kb: %s", strerror(errno));
	if (inst_write("events/csd/csd_queue_cpu/enable", "1"))
		die_errno("enable csd:csd_queue_cpu in %s", inst_dir);
	if (inst_write("tracing_on", "0") || inst_write("trace", ""))
		die_errno("reset trace buffer in %s", inst_dir);
}

static void trace_on(bool on)
{
	if (inst_write("tracing_on", on ? "1" : "0"))
		die_errno("tracing_on in %s", inst_dir);
}

struct csd_counts {
	unsigned long trigger_rx;	/* func=trigger_rx_softirq */
	unsigned long all;		/* all csd_queue_cpu events */
	long long lost;			/* entries-written - entries-in-buffer */
	unsigned long per_target[64];	/* trigger_rx_softirq by target cpu */
};

static void trace_count(struct csd_counts *cc)
{
	char path[PATH_MAX], line[1024];
	unsigned long long in_buf, written;
	FILE *f;

	memset(cc, 0, sizeof(*cc));
	snprintf(path, sizeof(path), "%s/trace", inst_dir);
	f = fopen(path, "re");
	if (!f)
		die_errno("open %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (line[0] == '#') {
			p = strstr(line, "entries-in-buffer/entries-written:");
			if (p && sscanf(p + 35, "%llu/%llu", &in_buf, &written) == 2)
				cc->lost = written - in_buf;
			continue;
		}
		if (!strstr(line, "csd_queue_cpu:"))
			continue;
		cc->all++;
		if (strstr(line, " func=trigger_rx_softirq ")) {
			unsigned int cpu;

			cc->trigger_rx++;
			p = strstr(line, " cpu=");
			if (p && sscanf(p + 5, "%u", &cpu) == 1 &&
			    cpu < ARRAY_SIZE(cc->per_target))
				cc->per_target[cpu]++;
		}
	}
	fclose(f);
}

/* NET_RX softirqs run so far on cpu, from /proc/softirqs; -1 if unknown. */
static long long net_rx_softirqs(unsigned long cpu)
{
	char line[4096], *p, *end;
	long long v = -1;
	unsigned long i;
	FILE *f;

	f = fopen("/proc/softirqs", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "NET_RX:");
		if (!p)
			continue;
		p += 7;
		for (i = 0; i <= cpu; i++) {
			v = strtoll(p, &end, 10);
			if (end == p) {
				v = -1;
				break;
			}
			p = end;
		}
		break;
	}
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	enum { OPT_TXCPU = 256, OPT_RXCPU };
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "tx-cpu", required_argument, NULL, OPT_TXCPU },
		{ "rx-cpu", required_argument, NULL, OPT_RXCPU },
		{ "count-csd", no_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long count = 20000, size = 64, rcvbuf_req = 64UL << 20;
	unsigned long timeout = 30, tx_cpu = 0, rx_cpu = 1;
	unsigned long sent = 0, received = 0, retries = 0;
	uint64_t rcvbuf_err0, rcvbuf_err1;
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr), olen;
	struct csd_counts cc;
	bool count_csd = false, named;
	char nsname[64], *buf;
	double t_drain0, t_drain1;
	long long netrx0, netrx1;
	long long defer_max;
	int rcvbuf, opt, c, inq;

	prog_name = "defer_kick";
	while ((c = getopt_long(argc, argv, "n:s:b:kt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_ulong("--count", optarg, 1, 10000000);
			break;
		case 's':
			size = parse_ulong("--size", optarg, 0, 65507);
			break;
		case 'b':
			rcvbuf_req = parse_ulong("--rcvbuf", optarg, 4096, INT_MAX / 2);
			break;
		case OPT_TXCPU:
			tx_cpu = parse_ulong("--tx-cpu", optarg, 0, 4095);
			break;
		case OPT_RXCPU:
			rx_cpu = parse_ulong("--rx-cpu", optarg, 0, 4095);
			break;
		case 'k':
			count_csd = true;
			break;
		case 't':
			timeout = parse_ulong("--timeout", optarg, 1, 86400);
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
	if (tx_cpu == rx_cpu)
		die("--tx-cpu and --rx-cpu must differ");
	gen_init("defer_kick", timeout);

	defer_max = read_ll_file("/proc/sys/net/core/skb_defer_max");
	snprintf(nsname, sizeof(nsname), "skbgen-defer-%d", getpid());
	named = netns_create(nsname);
	if (!named)
		snprintf(nsname, sizeof(nsname), "anonymous");
	if_set_up("lo", true);

	buf = calloc(1, size + 1);
	if (!buf)
		die("out of memory");
	memset(buf, 'd', size);

	cleanup_push(close_fds, NULL);
	rx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx_fd < 0 || tx_fd < 0)
		die_errno("socket");
	opt = rcvbuf_req;
	if (setsockopt(rx_fd, SOL_SOCKET, SO_RCVBUFFORCE, &opt, sizeof(opt)))
		die_errno("SO_RCVBUFFORCE %lu", rcvbuf_req);
	olen = sizeof(rcvbuf);
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

	if (count_csd)
		trace_setup();

	/* Fill: every skb is allocated (and queued) on tx_cpu. */
	pin_cpu(tx_cpu);
	rcvbuf_err0 = snmp_read("Udp", "RcvbufErrors");
	while (sent < count) {
		ssize_t n = send(tx_fd, buf, size, 0);

		if (n == (ssize_t)size) {
			sent++;
			continue;
		}
		if (n < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) &&
		    ++retries < 1000000)
			continue;
		die_errno("send #%lu", sent);
	}
	/* Wait until the receive queue stops growing. */
	inq = -1;
	for (;;) {
		int q;

		if (ioctl(rx_fd, SIOCINQ, &q))
			die_errno("SIOCINQ");
		if (q == inq)
			break;
		inq = q;
		usleep(20000);
	}
	rcvbuf_err1 = snmp_read("Udp", "RcvbufErrors");

	/* Drain on rx_cpu: frees are deferred to tx_cpu. */
	pin_cpu(rx_cpu);
	if (count_csd)
		trace_on(true);
	netrx0 = net_rx_softirqs(tx_cpu);
	t_drain0 = now_s();
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
	t_drain1 = now_s();
	netrx1 = net_rx_softirqs(tx_cpu);
	if (count_csd) {
		/* let the last kick land in the buffer, then stop */
		usleep(10000);
		trace_on(false);
		trace_count(&cc);
	}

	printf("{\"netns\":\"%s\",\"size\":%lu,\"rcvbuf\":%d,\"tx_cpu\":%lu,"
	       "\"rx_cpu\":%lu,\"skb_defer_max\":%lld,\"sent\":%lu,\"received\":%lu,"
	       "\"rcvbuf_errors\":%llu,\"drain_ms\":%.1f,"
	       "\"tx_cpu_net_rx_softirqs\":%lld",
	       nsname, size, rcvbuf, tx_cpu, rx_cpu, defer_max, sent, received,
	       (unsigned long long)(rcvbuf_err1 - rcvbuf_err0),
	       (t_drain1 - t_drain0) * 1e3,
	       netrx0 >= 0 && netrx1 >= 0 ? netrx1 - netrx0 : -1);
	if (count_csd)
		printf(",\"csd_trigger_rx_softirq\":%lu,"
		       "\"csd_trigger_rx_softirq_to_tx_cpu\":%lu,"
		       "\"csd_queue_cpu_all\":%lu,\"trace_lost\":%lld",
		       cc.trigger_rx,
		       tx_cpu < ARRAY_SIZE(cc.per_target) ? cc.per_target[tx_cpu] : 0,
		       cc.all, cc.lost);
	printf("}\n");
	fflush(stdout);
	cleanup_run();
	/*
	 * skb_defer_free_flush() (6.18) resets defer_count only when the list
	 * is non-empty and before taking the list, so a racing producer can
	 * leave the count >= skb_defer_max with an empty list: from then on
	 * every free on that CPU goes "nodefer", nothing ever flushes, and the
	 * CPU never gets kicked again (until reboot).
	 */
	if (count_csd && !cc.trigger_rx && defer_max > 0 &&
	    received >= (unsigned long)defer_max && netrx1 == netrx0)
		warnx_("warning: no kicks and no NET_RX on CPU %lu during the drain: "
		       "its defer list looks stuck (defer_count >= skb_defer_max "
		       "with an empty list); try --tx-cpu %lu --rx-cpu %lu",
		       tx_cpu, rx_cpu, tx_cpu);
	return 0;
}
