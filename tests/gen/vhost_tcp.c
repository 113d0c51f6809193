// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_tcp: one TCP connection whose every segment crosses vhost-net, in
 * both directions: the review thread's "TCP and latency" workload.
 *
 * Two network namespaces and two taps. In netns skbgen-vtcp-<pid> ("the
 * host"), tap skbvtcp0 (10.204.0.1; IFF_VNET_HDR, 12-byte header, no
 * offloads) is the backend of two /dev/vhost-net instances: one's TX
 * virtqueue and the other's RX virtqueue, both fed by this program. In an
 * anonymous netns ("the guest"), a plain tap skbvtcp1 (10.204.0.2) is read
 * and written by this program, which relays frame for frame:
 *
 *   skbvtcp1 -> read() -> TX virtqueue -> vhost handle_tx -> tun_sendmsg()
 *       (TUN_MSG_PTR batches: tun_xdp_one(), the series' patches 5, 6, 9)
 *       -> the host stack;
 *   the host stack -> skbvtcp0 -> vhost handle_rx -> tun_recvmsg() (patch 7)
 *       -> RX virtqueue -> write() -> skbvtcp1.
 *
 * The client is in the guest netns, the server in the host netns. Modes:
 *
 *   --stream BYTES  the client sends BYTES (a byte pattern the server checks)
 *                   and shuts down; with --reverse the server sends them.
 *                   Data segments cross vhost TX (reverse: RX), ACKs the
 *                   other way.
 *   --rr N          N transactions of one byte each way, TCP_NODELAY; the
 *                   client times each from write to the answer's read
 *                   (CLOCK_MONOTONIC).
 *
 * One thread: the relay and both sockets (nonblocking) share one poll loop,
 * all pinned with --app-cpu; the two vhost workers (tasks vhost-<pid>) with
 * --worker-cpu. So skbs tun_sendmsg() builds on the worker's CPU are freed
 * by the server's recvmsg on the app CPU (deferred frees, IPIs), and ACKs the
 * host stack allocates on the app CPU are freed by tun_recvmsg() in the
 * worker.
 *
 * One JSON line; the relay's frame counts and the taps' counter deltas are
 * independent counts of the same frames. Exits 1 when the data did not
 * arrive intact. Needs root and /dev/vhost-net.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>
#include <netinet/tcp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "vhost_ring.h"

#define VQ_RX 0
#define VQ_TX 1
#define VNET_HDR_LEN 12
#define SLOT 2048		/* bytes per buffer: a 1514-byte frame and its header */
#define HOST_IF "skbvtcp0"
#define GUEST_IF "skbvtcp1"
#define HOST_IP "10.204.0.1"
#define GUEST_IP "10.204.0.2"
#define PORT 5201
#define CHUNK 65536

static struct vhost_ring txr, rxr;
static int host_tap = -1, guest_tap = -1;

/* What the relay did, frame by frame. */
static struct {
	unsigned long to_host, to_host_done, to_guest, tx_kicks, rx_kicks;
	unsigned long offload;	/* frames from the host tap with a non-zero vnet header */
} relay;

static void usage(FILE *f)
{
	fprintf(f,
"usage: vhost_tcp (--stream BYTES | --rr N) [options]\n"
"  One TCP connection through vhost-net both ways: a client in a guest netns\n"
"  (tap " GUEST_IF ", " GUEST_IP ") and a server in netns skbgen-vtcp-<pid>\n"
"  (tap " HOST_IF ", " HOST_IP ", backend of one vhost-net TX and one RX\n"
"  virtqueue); this program relays the frames between the two taps.\n"
"  One JSON line: {\"mode\",\"reverse\",\"netns\",\"ifname\",\"ring\",\"worker_cpu\",\n"
"   \"app_cpu\",\"workers\",\"bytes\",\"received\",\"seconds\",\"transactions\",\n"
"   \"latency_ns\":{\"p50\",\"p90\",\"p99\",\"max\",\"mean\"},\"to_host\",\n"
"   \"to_host_done\",\"to_guest\",\"tx_kicks\",\"rx_kicks\",\"offload\",\n"
"   \"rx_packets\",\"rx_dropped\",\"tx_packets\",\"tx_dropped\"}\n"
"  to_host: frames posted to the TX virtqueue (done: vhost returned them);\n"
"  to_guest: frames vhost put in the RX virtqueue; rx_* and tx_*: "
HOST_IF "'s\n"
"  counter deltas. latency_ns only with --rr, from the client's clock.\n"
"options:\n"
"  -S, --stream BYTES  send BYTES one way, then close\n"
"  -R, --reverse       --stream: the server (host side) sends, so the data\n"
"                      crosses vhost RX (tun_recvmsg) and the ACKs vhost TX\n"
"  -n, --rr N          N one-byte request/response transactions\n"
"  -r, --ring R        virtqueue size, power of 2 (default 256)\n"
"  -w, --worker-cpu C  pin both vhost workers to CPU C\n"
"  -a, --app-cpu C     pin this program (relay, client, server) to CPU C\n"
"  -t, --timeout S     give up after S seconds (default 120)\n"
"  -h, --help          this text\n");
}

static void teardown(void *arg)
{
	(void)arg;
	vhost_ring_close(&txr, VQ_TX);
	vhost_ring_close(&rxr, VQ_RX);
	if (host_tap >= 0)
		close(host_tap);
	if (guest_tap >= 0)
		close(guest_tap);
	host_tap = guest_tap = -1;
}

static int ns_fd(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die_errno("open /proc/self/ns/net");
	return fd;
}

static void stats_in(int ns, const char *ifname, struct dev_stats *st)
{
	if (setns(ns, CLONE_NEWNET))
		die_errno("setns");
	dev_stats_read(ifname, st);
}

/* An interface of ours: IPv4 only, its address on a /24, up. */
static void if_config(const char *ifname, const char *ip)
{
	if_disable_ipv6(ifname);
	if_set_addr4(ifname, ip, "255.255.255.0");
	if_set_up(ifname, true);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		die_errno("O_NONBLOCK");
}

/* The guest's tap: no vnet header, so no offloads; frames as the stack sends them. */
static int guest_tap_open(void)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die_errno("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, GUEST_IF);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr))
		die_errno("TUNSETIFF %s", GUEST_IF);
	set_nonblock(fd);
	return fd;
}

static void ring_buffers(struct vhost_ring *r, unsigned int num, uint16_t flags)
{
	unsigned int i;

	vhost_ring_setup(r, r == &txr ? VQ_TX : VQ_RX, num, SLOT);
	for (i = 0; i < num; i++) {
		r->vr.desc[i].addr = (uintptr_t)(r->bufs + (size_t)i * SLOT);
		r->vr.desc[i].len = SLOT;
		r->vr.desc[i].flags = flags;
		r->vr.desc[i].next = 0;
		r->free_ids[r->nfree++] = num - 1 - i;
	}
}

/* Guest tap -> TX virtqueue: returns whether anything moved. */
static bool relay_to_host(void)
{
	uint32_t id, len;
	unsigned int added = 0;
	bool moved = false;

	while (vhost_ring_next_used(&txr, &id, &len)) {
		txr.free_ids[txr.nfree++] = id;
		relay.to_host_done++;
		moved = true;
	}
	while (txr.nfree) {
		uint16_t i = txr.free_ids[txr.nfree - 1];
		unsigned char *b = txr.bufs + (size_t)i * SLOT;
		ssize_t n = read(guest_tap, b + VNET_HDR_LEN, SLOT - VNET_HDR_LEN);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			die_errno("read %s", GUEST_IF);
		}
		txr.nfree--;
		memset(b, 0, VNET_HDR_LEN);	/* no checksum offload, no GSO */
		txr.vr.desc[i].len = VNET_HDR_LEN + n;
		vhost_ring_add(&txr, i);
		added++;
	}
	if (added) {
		relay.to_host += added;
		relay.tx_kicks += vhost_ring_publish(&txr);
		moved = true;
	}
	return moved;
}

/* RX virtqueue -> guest tap, buffers back on the ring: whether anything moved. */
static bool relay_to_guest(void)
{
	uint32_t id, len;
	bool moved = false;

	while (vhost_ring_next_used(&rxr, &id, &len)) {
		const unsigned char *b = rxr.bufs + (size_t)id * SLOT;
		const struct virtio_net_hdr *h = (const void *)b;

		if (len <= VNET_HDR_LEN || len > SLOT)
			die("vhost RX used entry of %u bytes", len);
		if (h->flags || h->gso_type)
			relay.offload++;
		if (write(guest_tap, b + VNET_HDR_LEN, len - VNET_HDR_LEN) !=
		    (ssize_t)(len - VNET_HDR_LEN))
			die_errno("write %s", GUEST_IF);
		rxr.free_ids[rxr.nfree++] = id;
		relay.to_guest++;
		moved = true;
	}
	if (rxr.nfree) {
		while (rxr.nfree)
			vhost_ring_add(&rxr, rxr.free_ids[--rxr.nfree]);
		relay.rx_kicks += vhost_ring_publish(&rxr);
	}
	return moved;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The stream's byte at offset off: a pattern the receiver checks. */
static unsigned char pattern(unsigned long off)
{
	return (unsigned char)(off % 251);
}

struct conn {
	int cli, srv, lsn;
	bool connected;
	/* stream */
	unsigned long total, sent, received, bad;
	bool shut, eof;
	/* rr */
	unsigned long n, done;
	uint64_t t0, *lat;
	bool waiting;
};

static void conn_accept(struct conn *c)
{
	int one = 1;

	if (c->srv < 0) {
		c->srv = accept4(c->lsn, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->srv < 0 && errno != EAGAIN)
			die_errno("accept");
		if (c->srv >= 0 && c->n)
			setsockopt(c->srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (!c->connected) {
		struct pollfd p = { .fd = c->cli, .events = POLLOUT };
		int err = 0;
		socklen_t l = sizeof(err);

		if (poll(&p, 1, 0) == 1) {
			if (getsockopt(c->cli, SOL_SOCKET, SO_ERROR, &err, &l) || err)
				die("connect to %s:%d: %s", HOST_IP, PORT, strerror(err));
			c->connected = true;
		}
	}
}

/* One step of the stream: whether a byte moved. c->eof once the receiver has
 * seen the end. */
static bool stream_step(struct conn *c, int tx, int rx)
{
	static unsigned char buf[CHUNK];
	unsigned long sent = c->sent, received = c->received, i;
	ssize_t n;

	while (c->sent < c->total) {
		unsigned long len = c->total - c->sent < CHUNK ? c->total - c->sent : CHUNK;

		for (i = 0; i < len; i++)
			buf[i] = pattern(c->sent + i);
		n = send(tx, buf, len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			die_errno("send");
		}
		c->sent += n;
	}
	if (c->sent == c->total && !c->shut) {
		if (shutdown(tx, SHUT_WR))
			die_errno("shutdown");
		c->shut = true;
	}
	while ((n = recv(rx, buf, CHUNK, MSG_DONTWAIT)) > 0) {
		for (i = 0; i < (unsigned long)n; i++)
			c->bad += buf[i] != pattern(c->received + i);
		c->received += n;
	}
	if (n < 0 && errno != EAGAIN)
		die_errno("recv");
	if (n == 0)
		c->eof = true;
	return c->sent != sent || c->received != received || c->eof;
}

/* One step of request/response: whether a byte moved. */
static bool rr_step(struct conn *c)
{
	bool moved = false;
	unsigned char b;

	if (!c->waiting && c->done < c->n) {
		b = (unsigned char)c->done;
		c->t0 = mono_ns();
		if (send(c->cli, &b, 1, MSG_DONTWAIT) != 1)
			die_errno("rr send");
		c->waiting = moved = true;
	}
	while (recv(c->srv, &b, 1, MSG_DONTWAIT) == 1) {
		if (send(c->srv, &b, 1, MSG_DONTWAIT) != 1)
			die_errno("rr answer");
		moved = true;
	}
	if (c->waiting && recv(c->cli, &b, 1, MSG_DONTWAIT) == 1) {
		if (b != (unsigned char)c->done)
			c->bad++;
		c->lat[c->done++] = mono_ns() - c->t0;
		c->waiting = false;
		moved = true;
	}
	return moved;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stream", required_argument, NULL, 'S' },
		{ "reverse", no_argument, NULL, 'R' },
		{ "rr", required_argument, NULL, 'n' },
		{ "ring", required_argument, NULL, 'r' },
		{ "worker-cpu", required_argument, NULL, 'w' },
		{ "app-cpu", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long num = 256, timeout = 120;
	int c, one = 1, worker_cpu = -1, app_cpu = -1, workers = 0, host_ns, guest_ns;
	struct conn cn = { .cli = -1, .srv = -1, .lsn = -1 };
	struct dev_stats h0, h1;
	struct vhost_vring_file be;
	struct sockaddr_in sa;
	bool reverse = false, named, done = false;
	char nsname[64];
	cpu_set_t own;
	uint64_t t_start, t_end;
	double quiet;

	prog_name = "vhost_tcp";
	while ((c = getopt_long(argc, argv, "S:Rn:r:w:a:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			cn.total = parse_ulong("--stream", optarg, 1, 1UL << 40);
			break;
		case 'R':
			reverse = true;
			break;
		case 'n':
			cn.n = parse_ulong("--rr", optarg, 1, 10000000);
			break;
		case 'r':
			num = parse_ulong("--ring", optarg, 2, 32768);
			if (num & (num - 1))
				die("--ring must be a power of 2");
			break;
		case 'w':
			worker_cpu = parse_ulong("--worker-cpu", optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'a':
			app_cpu = parse_ulong("--app-cpu", optarg, 0, CPU_SETSIZE - 1);
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
	if (optind != argc || !cn.total == !cn.n || (reverse && !cn.total)) {
		usage(stderr);
		return 2;
	}
	vhost_ring_clear(&txr);
	vhost_ring_clear(&rxr);
	if (access("/dev/vhost-net", F_OK))
		die("no /dev/vhost-net on this kernel (modprobe vhost_net; "
		    "CONFIG_VHOST_NET is needed)");
	if (cn.n && !(cn.lat = calloc(cn.n, sizeof(*cn.lat))))
		die("out of memory");
	gen_init("vhost_tcp", timeout);

	/* the host side: its tap, the server's listening socket */
	snprintf(nsname, sizeof(nsname), "skbgen-vtcp-%d", getpid());
	named = netns_create(nsname);
	if (!named)
		snprintf(nsname, sizeof(nsname), "anonymous");
	host_ns = ns_fd();
	if_set_up("lo", true);
	cleanup_push(teardown, NULL);
	host_tap = vhost_tap_open(HOST_IF, VNET_HDR_LEN, 0);
	if_config(HOST_IF, HOST_IP);
	cn.lsn = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cn.lsn < 0)
		die_errno("socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(PORT);
	inet_pton(AF_INET, HOST_IP, &sa.sin_addr);
	if (bind(cn.lsn, (struct sockaddr *)&sa, sizeof(sa)) || listen(cn.lsn, 1))
		die_errno("bind/listen %s:%d", HOST_IP, PORT);

	/* the guest side: an anonymous netns, its tap, the client's socket */
	if (unshare(CLONE_NEWNET))
		die_errno("unshare(CLONE_NEWNET)");
	guest_ns = ns_fd();
	if_set_up("lo", true);
	guest_tap = guest_tap_open();
	if_config(GUEST_IF, GUEST_IP);
	cn.cli = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cn.cli < 0)
		die_errno("socket");
	if (cn.n)
		setsockopt(cn.cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	/* the workers, created by VHOST_SET_OWNER, inherit our affinity */
	if (sched_getaffinity(0, sizeof(own), &own))
		die_errno("sched_getaffinity");
	if (worker_cpu >= 0)
		pin_cpu(worker_cpu);
	ring_buffers(&txr, num, 0);
	ring_buffers(&rxr, num, VRING_DESC_F_WRITE);
	if (app_cpu >= 0)
		pin_cpu(app_cpu);
	else if (sched_setaffinity(0, sizeof(own), &own))
		die_errno("sched_setaffinity (back to where we started)");
	if (worker_cpu >= 0 && (workers = vhost_workers_pinned(&worker_cpu, 1)) < 2)
		die("%d vhost workers pinned, want 2 (no vhost_task threads named "
		    "vhost-%d on this kernel?)", workers, getpid());

	relay_to_guest();	/* every RX buffer on the ring */
	be.fd = host_tap;
	be.index = VQ_RX;
	if (ioctl(rxr.vhost_fd, VHOST_NET_SET_BACKEND, &be))
		die_errno("VHOST_NET_SET_BACKEND RX");
	be.index = VQ_TX;
	if (ioctl(txr.vhost_fd, VHOST_NET_SET_BACKEND, &be))
		die_errno("VHOST_NET_SET_BACKEND TX");
	stats_in(host_ns, HOST_IF, &h0);

	if (connect(cn.cli, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
		die_errno("connect %s:%d", HOST_IP, PORT);
	t_start = t_end = 0;
	quiet = now_s();
	for (;;) {
		struct pollfd p[6] = {
			{ .fd = guest_tap, .events = POLLIN },
			{ .fd = txr.call_fd, .events = POLLIN },
			{ .fd = rxr.call_fd, .events = POLLIN },
			{ .fd = cn.lsn, .events = POLLIN },
			{ .fd = cn.cli, .events = POLLIN },
			{ .fd = cn.srv, .events = POLLIN },
		};
		uint64_t v;
		bool moved;
		int i;

		moved = relay_to_host();
		moved |= relay_to_guest();
		if (!done) {
			conn_accept(&cn);
			if (cn.connected && cn.srv >= 0) {
				if (!t_start)
					t_start = mono_ns();
				if (cn.n)
					moved |= rr_step(&cn);
				else if (reverse)
					moved |= stream_step(&cn, cn.srv, cn.cli);
				else
					moved |= stream_step(&cn, cn.cli, cn.srv);
				done = cn.n ? cn.done == cn.n : cn.eof;
				if (done) {
					t_end = mono_ns();
					/* both ends close: FINs cross the relay */
					close(cn.cli);
					close(cn.srv);
					cn.cli = cn.srv = -1;
				}
			}
		}
		if (moved) {
			/* something moved: look again before sleeping in poll */
			quiet = now_s();
			continue;
		}
		/* done, and nothing crossed the relay for 200 ms: the FINs are through */
		if (done && now_s() - quiet > 0.2)
			break;
		for (i = 0; i < 6; i++)
			p[i].revents = 0;
		if (!cn.connected)
			p[4].events |= POLLOUT;
		else if (!cn.n && cn.sent < cn.total)
			p[reverse ? 5 : 4].events |= POLLOUT;
		if (poll(p, 6, 10) < 0 && errno != EINTR)
			die_errno("poll");
		for (i = 1; i <= 2; i++)
			if ((p[i].revents & POLLIN) && read(p[i].fd, &v, sizeof(v)) < 0 &&
			    errno != EAGAIN)
				die_errno("read call eventfd");
	}
	stats_in(host_ns, HOST_IF, &h1);
	close(guest_ns);

	printf("{\"mode\":\"%s\",\"reverse\":%s,\"netns\":\"%s\",\"ifname\":\"%s\","
	       "\"ring\":%lu,\"worker_cpu\":%d,\"app_cpu\":%d,\"workers\":%d,",
	       cn.n ? "rr" : "stream", reverse ? "true" : "false", nsname, HOST_IF, num,
	       worker_cpu, app_cpu, workers);
	printf("\"bytes\":%lu,\"received\":%lu,\"bad\":%lu,\"seconds\":%.6f,",
	       cn.n ? cn.done * 2 : cn.sent, cn.n ? cn.done * 2 : cn.received, cn.bad,
	       (t_end - t_start) / 1e9);
	if (cn.n) {
		uint64_t sum = 0;
		unsigned long i;

		for (i = 0; i < cn.n; i++)
			sum += cn.lat[i];
		qsort(cn.lat, cn.n, sizeof(*cn.lat), cmp_u64);
		printf("\"transactions\":%lu,\"latency_ns\":{\"p50\":%llu,\"p90\":%llu,"
		       "\"p99\":%llu,\"max\":%llu,\"mean\":%llu},", cn.done,
		       (unsigned long long)cn.lat[(cn.n - 1) / 2],
		       (unsigned long long)cn.lat[(cn.n * 9 - 1) / 10],
		       (unsigned long long)cn.lat[(cn.n * 99 - 1) / 100],
		       (unsigned long long)cn.lat[cn.n - 1],
		       (unsigned long long)(sum / cn.n));
	}
	printf("\"to_host\":%lu,\"to_host_done\":%lu,\"to_guest\":%lu,\"tx_kicks\":%lu,"
	       "\"rx_kicks\":%lu,\"offload\":%lu,", relay.to_host, relay.to_host_done,
	       relay.to_guest, relay.tx_kicks, relay.rx_kicks, relay.offload);
	printf("\"rx_packets\":%llu,\"rx_dropped\":%llu,\"tx_packets\":%llu,"
	       "\"tx_dropped\":%llu}\n",
	       (unsigned long long)(h1.rx_packets - h0.rx_packets),
	       (unsigned long long)(h1.rx_dropped - h0.rx_dropped),
	       (unsigned long long)(h1.tx_packets - h0.tx_packets),
	       (unsigned long long)(h1.tx_dropped - h0.tx_dropped));
	fflush(stdout);
	cleanup_run();
	return cn.bad || (cn.n ? cn.done != cn.n : cn.received != cn.total);
}
