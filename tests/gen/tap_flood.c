// SPDX-License-Identifier: GPL-2.0
/*
 * tap_flood: fill every queue of a multi-queue tap that nobody reads.
 *
 * In a fresh network namespace a tap with Q queues (IFF_MULTI_QUEUE, all
 * queue fds attached and kept open, never read during the flood) gets an
 * address and a permanent neighbour. tun_automq_select_queue() picks the
 * queue from the symmetric flow hash, so the program first probes UDP
 * destination ports one packet at a time to learn which queue each port
 * lands on, then sends exactly --count datagrams to a port of each queue.
 * Each queue's ptr_ring holds tx_queue_len skbs; the rest are dropped in
 * tun_net_xmit() (SKB_DROP_REASON_FULL_RING) and counted in tx_dropped.
 *
 * With --read-error, the tap has a packet-information header (no IFF_NO_PI)
 * and the queued frames are read back with reads tun_put_user() cannot
 * serve: each read dequeues one skb, fails, and tun_do_read() frees the skb
 * with kfree_skb() (a drop; the series' patch 3 gives it a reason):
 *   einval: a 2-byte buffer, shorter than struct tun_pi (-EINVAL);
 *   efault: a buffer in a PROT_NONE page (copying tun_pi faults, -EFAULT).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define MAX_QUEUES 256	/* MAX_TAP_QUEUES */
#define PROBE_PORT_BASE 20000
#define PROBE_PORT_MAX 4000	/* ports probed at most */
#define SRC_PORT 40000

static const char *local_ip = "10.200.0.1";
static const char *peer_ip = "10.200.0.2";
static const unsigned char peer_mac[6] = { 2, 0, 0, 0, 0, 2 };

static int qfd[MAX_QUEUES];
static int nq;
static int tx_fd = -1;
static bool with_pi;	/* --read-error: frames start with struct tun_pi */

static void usage(FILE *f)
{
	fprintf(f,
"usage: tap_flood [options]\n"
"  Creates netns skbgen-tap-<pid> with a multi-queue tap whose queues are\n"
"  never read, steers exactly N UDP datagrams into each queue and reports\n"
"  per-queue ring occupancy and drops plus the device counters as one JSON\n"
"  line: {\"netns\":..,\"ifname\":..,\"txqueuelen\":L,\"queues\":[{\"queue\":q,\n"
"  \"port\":p,\"sent\":N,\"queued\":K,\"dropped\":N-K},..],\"sent\":..,\"queued\":..,\n"
"  \"dropped\":..,\"tx_dropped\":D,\"tx_packets\":T,...}\n"
"  Expect dropped == N - txqueuelen per queue and sum(dropped) == tx_dropped.\n"
"options:\n"
"  -n, --count N      datagrams per queue (default 3000)\n"
"  -q, --queues Q     tap queues (default 2, max %d)\n"
"  -i, --ifname NAME  tap name (default skbtap0)\n"
"  -l, --txqlen L     set tx_queue_len (default: leave the kernel's, 1000)\n"
"  -s, --size B       UDP payload bytes (default 64)\n"
"  -c, --cpu-split    send the first half of each queue's datagrams from CPU 0\n"
"                     in queue order, the rest from CPU 1 in reverse order\n"
"  -t, --timeout S    give up after S seconds (default 30)\n"
"  -e, --read-error E read the queued frames back with reads that fail, so\n"
"                     tun_do_read() drops each frame: einval (a buffer\n"
"                     shorter than struct tun_pi) or efault (a buffer in a\n"
"                     PROT_NONE page); queued then counts the failed reads,\n"
"                     and JSON adds \"read_error\" and \"read_errors\"\n"
"  -h, --help         this text\n"
"tx_packets counts frames read from the queues (tun counts TX on read), so\n"
"it is reported after draining and equals the sum of queued (0 with\n"
"--read-error: a failed read is not counted).\n",
		MAX_QUEUES);
}

static void close_all(void *arg)
{
	int i;

	(void)arg;
	if (tx_fd >= 0)
		close(tx_fd);
	tx_fd = -1;
	for (i = 0; i < nq; i++) {
		if (qfd[i] >= 0)
			close(qfd[i]);
		qfd[i] = -1;
	}
}

static int tap_open_queue(const char *ifname)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die_errno("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_flags = IFF_TAP | IFF_MULTI_QUEUE | (with_pi ? 0 : IFF_NO_PI);
	if (ioctl(fd, TUNSETIFF, &ifr))
		die_errno("TUNSETIFF %s (multi-queue tap)", ifname);
	return fd;
}

/*
 * Is this frame one of ours, an IPv4/UDP datagram to peer_ip? Returns the
 * UDP destination port, or -1.
 */
static int frame_dport(const unsigned char *p, ssize_t len)
{
	unsigned int ihl;

	if (len < 14 + 20 + 8)
		return -1;
	if (p[12] != 0x08 || p[13] != 0x00)
		return -1;
	p += 14;
	ihl = (p[0] & 0xf) * 4;
	if ((p[0] >> 4) != 4 || ihl < 20 || p[9] != IPPROTO_UDP ||
	    len < 14 + ihl + 8)
		return -1;
	p += ihl;
	return (p[2] << 8) | p[3];
}

/* Read everything queued on fd; count frames to port (or any port if < 0). */
static void drain(int fd, int port, unsigned long *match, unsigned long *other)
{
	unsigned char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR)
				continue;
			die_errno("read tap queue");
		}
		if (with_pi && n >= (ssize_t)sizeof(struct tun_pi) &&
		    (port < 0 || frame_dport(buf + sizeof(struct tun_pi),
					     n - sizeof(struct tun_pi)) == port))
			(*match)++;
		else if (with_pi)
			(*other)++;
		else if (port < 0 || frame_dport(buf, n) == port)
			(*match)++;
		else
			(*other)++;
	}
}

/*
 * Read from fd with a buffer tun_put_user() cannot serve until the queue is
 * empty: every failed read is one skb dequeued and freed. Returns the
 * number of reads that failed with the expected errno.
 */
static unsigned long drain_failing(int fd, int expect_errno, void *bad, size_t len)
{
	unsigned long n = 0;

	for (;;) {
		ssize_t r = read(fd, bad, len);

		if (r >= 0)
			die("a read meant to fail returned %zd", r);
		if (errno == EAGAIN)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != expect_errno)
			die_errno("read tap queue (expected %s)", strerror(expect_errno));
		n++;
	}
}

static void send_one(struct sockaddr_in *dst, const char *buf, size_t size)
{
	unsigned int tries = 0;

	for (;;) {
		ssize_t n = sendto(tx_fd, buf, size, 0, (struct sockaddr *)dst,
				   sizeof(*dst));

		if (n == (ssize_t)size)
			return;
		if (n < 0 && (errno == ENOBUFS || errno == EAGAIN ||
			      errno == EINTR) && ++tries < 100000)
			continue;
		die_errno("sendto port %d", ntohs(dst->sin_port));
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "queues", required_argument, NULL, 'q' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "txqlen", required_argument, NULL, 'l' },
		{ "size", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "cpu-split", no_argument, NULL, 'c' },
		{ "read-error", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long count = 3000, size = 64, timeout = 30;
	long txqlen_set = -1;
	const char *ifname = "skbtap0";
	unsigned long queued[MAX_QUEUES] = {}, sent[MAX_QUEUES] = {};
	unsigned long stray = 0, probes = 0, sum_sent = 0, sum_queued = 0;
	int port[MAX_QUEUES];
	int found = 0, txqlen, i, c, p;
	struct dev_stats st0, st1, st2;
	struct sockaddr_in sa;
	char nsname[64], *buf;
	bool named, cpu_split = false;
	const char *read_error = NULL;
	int read_errno = 0;
	size_t bad_len = 0;
	void *bad_buf = NULL;

	prog_name = "tap_flood";
	nq = 2;
	while ((c = getopt_long(argc, argv, "n:q:i:l:s:t:ce:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_ulong("--count", optarg, 1, 10000000);
			break;
		case 'q':
			nq = parse_ulong("--queues", optarg, 1, MAX_QUEUES);
			break;
		case 'i':
			ifname = parse_ifname(optarg);
			break;
		case 'l':
			txqlen_set = parse_ulong("--txqlen", optarg, 1, 1 << 20);
			break;
		case 's':
			size = parse_ulong("--size", optarg, 0, 1400);
			break;
		case 't':
			timeout = parse_ulong("--timeout", optarg, 1, 86400);
			break;
		case 'c':
			cpu_split = true;
			break;
		case 'e':
			read_error = optarg;
			if (!strcmp(optarg, "einval"))
				read_errno = EINVAL;
			else if (!strcmp(optarg, "efault"))
				read_errno = EFAULT;
			else
				die("--read-error: einval or efault, not '%s'", optarg);
			with_pi = true;
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
	gen_init("tap_flood", timeout);
	if (read_errno == EINVAL) {
		static char small[2];

		bad_buf = small;
		bad_len = sizeof(small);	/* < sizeof(struct tun_pi) */
	} else if (read_errno == EFAULT) {
		bad_buf = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (bad_buf == MAP_FAILED)
			die_errno("mmap PROT_NONE");
		bad_len = 2048;
	}
	for (i = 0; i < MAX_QUEUES; i++) {
		qfd[i] = -1;
		port[i] = -1;
	}

	snprintf(nsname, sizeof(nsname), "skbgen-tap-%d", getpid());
	named = netns_create(nsname);
	if (!named)
		snprintf(nsname, sizeof(nsname), "anonymous");
	if_set_up("lo", true);

	cleanup_push(close_all, NULL);
	for (i = 0; i < nq; i++)
		qfd[i] = tap_open_queue(ifname);
	if_disable_ipv6(ifname);
	if (txqlen_set > 0)
		if_set_txqlen(ifname, txqlen_set);
	txqlen = if_get_txqlen(ifname);
	if_set_addr4(ifname, local_ip, "255.255.255.0");
	if_set_up(ifname, true);
	neigh_add_perm(ifname, peer_ip, peer_mac);

	buf = calloc(1, size + 1);
	if (!buf)
		die("out of memory");
	memset(buf, 't', size);
	tx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tx_fd < 0)
		die_errno("socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(SRC_PORT);
	inet_pton(AF_INET, local_ip, &sa.sin_addr);
	if (bind(tx_fd, (struct sockaddr *)&sa, sizeof(sa)))
		die_errno("bind %s:%d", local_ip, SRC_PORT);
	inet_pton(AF_INET, peer_ip, &sa.sin_addr);

	/* Anything the stack sent on its own so far is not ours. */
	for (i = 0; i < nq; i++)
		drain(qfd[i], -2, &stray, &stray);

	/* Probe: one datagram per destination port until every queue has one. */
	for (p = PROBE_PORT_BASE; found < nq && p < PROBE_PORT_BASE + PROBE_PORT_MAX; p++) {
		struct pollfd pfd[MAX_QUEUES];
		int hit = -1, r;

		sa.sin_port = htons(p);
		send_one(&sa, buf, size);
		probes++;
		for (i = 0; i < nq; i++) {
			pfd[i].fd = qfd[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		r = poll(pfd, nq, 1000);
		if (r < 0)
			die_errno("poll");
		if (r == 0)
			die("probe to port %d did not reach any tap queue", p);
		for (i = 0; i < nq; i++) {
			unsigned long m = 0;

			if (!(pfd[i].revents & POLLIN))
				continue;
			drain(qfd[i], p, &m, &stray);
			if (m == 1 && hit < 0)
				hit = i;
			else if (m)
				die("probe to port %d seen %lu times", p, m);
		}
		if (hit >= 0 && port[hit] < 0) {
			port[hit] = p;
			found++;
		}
	}
	if (found < nq)
		die("only %d of %d queues reached after %lu probe ports", found,
		    nq, probes);

	/*
	 * Reading the probes left consumed-but-not-yet-zeroed slots in the
	 * ptr_rings (the consumer clears slots in batches), which would make
	 * the rings hold fewer than tx_queue_len skbs. Changing tx_queue_len
	 * makes tun_queue_resize() swap in fresh, empty rings; restore it.
	 */
	if_set_txqlen(ifname, txqlen + 1);
	if_set_txqlen(ifname, txqlen);
	if (if_get_txqlen(ifname) != txqlen)
		die("could not restore tx_queue_len %d", txqlen);

	dev_stats_read(ifname, &st0);
	/*
	 * tun_net_xmit() runs on the sending CPU. Split, the two CPUs first see
	 * the queues in opposite orders: per-CPU first-come state differs.
	 */
	if (cpu_split)
		pin_cpu(0);
	for (i = 0; i < nq; i++) {
		sa.sin_port = htons(port[i]);
		while (sent[i] < (cpu_split ? count / 2 : count)) {
			send_one(&sa, buf, size);
			sent[i]++;
		}
	}
	if (cpu_split)
		pin_cpu(1);
	for (i = nq - 1; i >= 0; i--) {
		sa.sin_port = htons(port[i]);
		while (sent[i] < count) {
			send_one(&sa, buf, size);
			sent[i]++;
		}
		sum_sent += sent[i];
	}
	dev_stats_read(ifname, &st1);
	for (i = 0; i < nq; i++) {
		if (read_errno)
			queued[i] = drain_failing(qfd[i], read_errno, bad_buf, bad_len);
		else
			drain(qfd[i], port[i], &queued[i], &stray);
		sum_queued += queued[i];
	}
	dev_stats_read(ifname, &st2);

	printf("{\"netns\":\"%s\",\"ifname\":\"%s\",\"txqueuelen\":%d,\"count\":%lu,"
	       "\"size\":%lu,\"queues\":[", nsname, ifname, txqlen, count, size);
	for (i = 0; i < nq; i++)
		printf("%s{\"queue\":%d,\"port\":%d,\"sent\":%lu,\"queued\":%lu,"
		       "\"dropped\":%lu}", i ? "," : "", i, port[i], sent[i],
		       queued[i], sent[i] - queued[i]);
	printf("],\"sent\":%lu,\"queued\":%lu,\"dropped\":%lu,\"tx_dropped\":%llu,"
	       "\"tx_packets\":%llu,\"tx_packets_before_read\":%llu,"
	       "\"probes\":%lu,\"stray\":%lu",
	       sum_sent, sum_queued, sum_sent - sum_queued,
	       (unsigned long long)(st1.tx_dropped - st0.tx_dropped),
	       (unsigned long long)(st2.tx_packets - st1.tx_packets),
	       (unsigned long long)(st1.tx_packets - st0.tx_packets),
	       probes, stray);
	if (read_error)
		printf(",\"read_error\":\"%s\",\"read_errors\":%lu", read_error, sum_queued);
	printf("}\n");
	fflush(stdout);
	cleanup_run();
	if (sum_sent - sum_queued != st1.tx_dropped - st0.tx_dropped)
		warnx_("warning: sum of per-queue drops %lu != tx_dropped %llu",
		       sum_sent - sum_queued,
		       (unsigned long long)(st1.tx_dropped - st0.tx_dropped));
	return 0;
}
