// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_tx: drive vhost-net TX from userspace, acting as the "guest".
 *
 * A multi-queue tap (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR|IFF_MULTI_QUEUE, vnet
 * header 12 bytes) is created and brought up in netns skbgen-vhost-<pid>.
 * Each tap queue becomes the backend of its own /dev/vhost-net instance,
 * whose TX virtqueue (index 1) we feed: one memory region mapped 1:1
 * (guest_phys_addr == userspace_addr) holds the split ring and the frame
 * buffers; only VIRTIO_F_VERSION_1 is negotiated, so each buffer starts
 * with a 12-byte virtio_net_hdr that vhost passes to the tap (sock_hlen).
 * The avail ring is kept full and used descriptors are reposted in chunks,
 * so handle_tx_copy() batches up to 64 frames per tun_sendmsg(TUN_MSG_PTR).
 *
 * Frames are Ethernet/IPv4/UDP from 10.202.0.2 (a permanent neighbour) to
 * the tap's own 10.202.0.1:9999 where a UDP socket counts them (delivered).
 *
 * Two options make every frame one tun_xdp_one() drops (the error paths of
 * the series' patches 1 and 4): --runt B sends B-byte frames, shorter than
 * an Ethernet header (dropped before any skb exists: no drop reason; with
 * patch 4 counted in rx_dropped), --bad-gso sends frames whose virtio-net
 * header has gso_type 7, which no kernel defines (virtio_net_hdr_to_skb()
 * fails: kfree_skb(); with patch 1 reason DEV_HDR. tun counts it in
 * rx_frame_errors too, but a tap does not report that counter: its
 * net_device_ops have no ndo_get_stats64, so the JSON's delta stays 0 there).
 * A third, --napi --detach, drives patch 2's path: the taps are opened
 * IFF_NAPI and every queue is detached (TUNSETQUEUE IFF_DETACH_QUEUE) before
 * the first frame. A detached queue keeps its tun (only a close clears it),
 * so vhost's tun_sendmsg() still reaches tun_xdp_one(), which finds the
 * queue detached on its NAPI path and frees the skb: kfree_skb(), with
 * patch 2 reason DEV_READY; nothing reaches the tap's counters.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <net/if.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "vhost_ring.h"

#define MAX_QUEUES 16
#define VQ_TX 1
#define VNET_HDR_LEN 12
#define SLOT 2048		/* bytes per frame buffer */
#define UDP_DPORT 9999

static const char *local_ip = "10.202.0.1";
static const char *peer_ip = "10.202.0.2";
static const unsigned char peer_mac[6] = { 2, 0, 0, 0, 0, 2 };

struct txq {
	struct vhost_ring r;
	int tap_fd;
	unsigned long posted, completed, kicks, chunks;
};

static struct txq q[MAX_QUEUES];
static int nq = 2;
static int rx_fd = -1;
static unsigned long runt_len;	/* --runt: frames of this many bytes, < ETH_HLEN */
static bool bad_gso;		/* --bad-gso: virtio_net_hdr.gso_type 7 */
static bool napi;		/* --napi: the taps are IFF_NAPI */

static void usage(FILE *f)
{
	fprintf(f,
"usage: vhost_tx [options]\n"
"  Needs /dev/vhost-net (modprobe vhost_net). Pushes N frames per queue\n"
"  through vhost-net TX into a multi-queue tap (netns skbgen-vhost-<pid>,\n"
"  tap skbvhost0) with many frames in flight, so vhost batches them into\n"
"  tun_sendmsg(TUN_MSG_PTR). One JSON line:\n"
"  {\"netns\":..,\"ifname\":..,\"ring\":R,\"queues\":[{\"queue\":q,\"frames\":N,\n"
"   \"completed\":C,\"kicks\":..},..],\"frames\":..,\"completed\":..,\n"
"   \"rx_packets\":P,\"rx_dropped\":..,\"delivered\":D}\n"
"  rx_packets is the tap's counter delta; delivered counts the UDP\n"
"  datagrams that reached the socket bound to %s:%d.\n"
"options:\n"
"  -n, --count N     frames per queue (default 10000)\n"
"  -q, --queues Q    tap queues / vhost-net instances (default 2, max %d)\n"
"  -r, --ring R      TX ring size, power of 2 (default 256)\n"
"  -l, --len L       Ethernet frame bytes without vnet header (default 60)\n"
"  -c, --chunk K     repost used descriptors K at a time (default 32)\n"
"  -t, --timeout S   give up after S seconds (default 30)\n"
"  -w, --worker-cpu C  pin the vhost workers (tasks named vhost-<pid>) to CPU C\n"
"  -R, --runt B      every frame B bytes (1-13), shorter than an Ethernet\n"
"                    header: tun_xdp_one() drops it before building an skb\n"
"  -G, --bad-gso     every frame's virtio-net header has gso_type 7 (defined\n"
"                    by no kernel): tun_xdp_one() drops it\n"
"                    JSON has \"rx_frame_errors\", the tap's delta of the\n"
"                    frame errors column (0 on a tap: it does not report them)\n"
"  -N, --napi        open the tap IFF_NAPI (tun_xdp_one() queues each skb for\n"
"                    the queue's NAPI instead of receiving it at once)\n"
"  -D, --detach      with --napi: detach every queue (TUNSETQUEUE\n"
"                    IFF_DETACH_QUEUE) before the first frame: tun_xdp_one()\n"
"                    drops every frame (-EBUSY). JSON has \"detached\"\n"
"  -i, --ifname NAME the tap's name (default skbvhost0)\n"
"  -a, --app-cpu C   pin this program (the UDP reader: it frees the skbs) to C;\n"
"                    with -w on another CPU, frees are deferred to the worker's\n"
"                    CPU: the deferred-free IPI scenario. JSON adds \"worker_cpu\",\n"
"                    \"app_cpu\" and \"workers\" (the number of workers pinned)\n"
"  -s, --spread-workers  pin vhost worker k to CPU k (mod the CPUs online): no\n"
"                    two share a CPU while there are CPUs enough (a tracing\n"
"                    program preempted on a CPU misses the other's calls)\n"
"  -h, --help        this text\n", local_ip, UDP_DPORT, MAX_QUEUES);
}

/* Pin every task named vhost-<our pid> (a thread of ours with vhost_task,
 * or a kernel thread) to cpu (cpu < 0: the k-th found to CPU k mod the CPUs
 * online); the number pinned. */
static int pin_workers(int cpu)
{
	char want[32], path[300], comm[32];
	const char *dirs[] = { "/proc/self/task", "/proc" };
	cpu_set_t set;
	int pinned = 0;

	snprintf(want, sizeof(want), "vhost-%d", getpid());
	CPU_ZERO(&set);
	if (cpu >= 0)
		CPU_SET(cpu, &set);
	for (int d = 0; d < 2 && !pinned; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		if (!dir)
			die_errno("opendir %s", dirs[d]);
		while ((e = readdir(dir))) {
			FILE *f;

			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/%s/comm", dirs[d], e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(comm, sizeof(comm), f) && !strncmp(comm, want, strlen(want)) &&
			    (comm[strlen(want)] == '\n' || comm[strlen(want)] == '\0')) {
				if (cpu < 0) {
					CPU_ZERO(&set);
					CPU_SET(pinned % sysconf(_SC_NPROCESSORS_ONLN), &set);
				}
				if (sched_setaffinity(atoi(e->d_name), sizeof(set), &set))
					die_errno("sched_setaffinity %s to CPU %d", path, cpu);
				pinned++;
			}
			fclose(f);
		}
		closedir(dir);
	}
	return pinned;
}

static void teardown(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < nq; i++) {
		vhost_ring_close(&q[i].r, VQ_TX);
		if (q[i].tap_fd >= 0)
			close(q[i].tap_fd);
		q[i].tap_fd = -1;
	}
	if (rx_fd >= 0)
		close(rx_fd);
	rx_fd = -1;
}

static uint16_t ip_csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* virtio_net_hdr (zeroed: no csum offload, no GSO) + Ethernet/IPv4/UDP. */
static void build_frame(unsigned char *b, size_t flen, const unsigned char *dmac,
			int queue, unsigned int seq)
{
	unsigned char *eth = b + VNET_HDR_LEN, *ip = eth + 14, *udp = ip + 20;
	uint16_t v;

	memset(b, 0, VNET_HDR_LEN + flen);
	memcpy(eth, dmac, 6);
	memcpy(eth + 6, peer_mac, 6);
	eth[12] = 0x08;
	eth[13] = 0x00;
	ip[0] = 0x45;
	v = htons(flen - 14);
	memcpy(ip + 2, &v, 2);
	v = htons(seq);
	memcpy(ip + 4, &v, 2);
	ip[6] = 0x40;		/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	inet_pton(AF_INET, peer_ip, ip + 12);
	inet_pton(AF_INET, local_ip, ip + 16);
	v = ip_csum(ip, 20);
	memcpy(ip + 10, &v, 2);
	v = htons(40000 + queue);
	memcpy(udp, &v, 2);
	v = htons(UDP_DPORT);
	memcpy(udp + 2, &v, 2);
	v = htons(flen - 14 - 20);
	memcpy(udp + 4, &v, 2);
	/* UDP checksum 0: none, valid for IPv4 */
	memset(udp + 8, 'v', flen - 14 - 20 - 8);
}

static void kick(struct txq *t)
{
	vhost_ring_kick(&t->r);
	t->kicks++;
}

/* Put n free descriptors on the avail ring and publish them. */
static void post(struct txq *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		vhost_ring_add(&t->r, t->r.free_ids[--t->r.nfree]);
	t->posted += n;
	t->chunks++;
	t->kicks += vhost_ring_publish(&t->r);
}

/* Reap used descriptors; returns how many. */
static unsigned int reap(struct txq *t)
{
	uint32_t id, len;
	unsigned int n = 0;

	while (vhost_ring_next_used(&t->r, &id, &len)) {
		t->r.free_ids[t->r.nfree++] = id;
		n++;
	}
	t->completed += n;
	return n;
}

static void setup_queue(struct txq *t, int idx, unsigned int num, size_t flen,
			const unsigned char *dmac)
{
	unsigned int i;

	vhost_ring_setup(&t->r, VQ_TX, num, SLOT);
	/* descriptors: one per buffer, device-readable, never chained */
	for (i = 0; i < num; i++) {
		unsigned char *b = t->r.bufs + (size_t)i * SLOT;

		build_frame(b, flen, dmac, idx, i);
		t->r.vr.desc[i].addr = (uintptr_t)b;
		if (bad_gso)
			b[1] = 7;	/* virtio_net_hdr.gso_type */
		t->r.vr.desc[i].len = VNET_HDR_LEN + (runt_len ? runt_len : flen);
		t->r.vr.desc[i].flags = 0;
		t->r.vr.desc[i].next = 0;
		t->r.free_ids[t->r.nfree++] = num - 1 - i;
	}
}

static unsigned long drain_udp(void)
{
	char buf[2048];
	unsigned long n = 0;

	while (recv(rx_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		die_errno("recv");
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "queues", required_argument, NULL, 'q' },
		{ "ring", required_argument, NULL, 'r' },
		{ "len", required_argument, NULL, 'l' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "worker-cpu", required_argument, NULL, 'w' },
		{ "runt", required_argument, NULL, 'R' },
		{ "bad-gso", no_argument, NULL, 'G' },
		{ "app-cpu", required_argument, NULL, 'a' },
		{ "spread-workers", no_argument, NULL, 's' },
		{ "napi", no_argument, NULL, 'N' },
		{ "detach", no_argument, NULL, 'D' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long count = 10000, num = 256, flen = 60, chunk = 32, timeout = 30;
	unsigned long delivered = 0, total_frames = 0, total_done = 0;
	const char *ifname = "skbvhost0";
	struct vhost_vring_file be;
	struct dev_stats st0, st1;
	struct sockaddr_in sa;
	unsigned char dmac[6];
	char nsname[64];
	double last_progress;
	int i, c, opt, worker_cpu = -1, app_cpu = -1, workers = 0, detached = 0;
	bool named, spread = false, detach = false;

	prog_name = "vhost_tx";
	while ((c = getopt_long(argc, argv, "n:q:r:l:c:t:w:a:R:GsNDi:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_ulong("--count", optarg, 1, 100000000);
			break;
		case 'q':
			nq = parse_ulong("--queues", optarg, 1, MAX_QUEUES);
			break;
		case 'r':
			num = parse_ulong("--ring", optarg, 2, 32768);
			if (num & (num - 1))
				die("--ring must be a power of 2");
			break;
		case 'l':
			flen = parse_ulong("--len", optarg, 14 + 20 + 8, SLOT - VNET_HDR_LEN);
			break;
		case 'c':
			chunk = parse_ulong("--chunk", optarg, 1, 32768);
			break;
		case 't':
			timeout = parse_ulong("--timeout", optarg, 1, 86400);
			break;
		case 'w':
			worker_cpu = parse_ulong("--worker-cpu", optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'a':
			app_cpu = parse_ulong("--app-cpu", optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'R':
			runt_len = parse_ulong("--runt", optarg, 1, 13);
			break;
		case 'G':
			bad_gso = true;
			break;
		case 's':
			spread = true;
			break;
		case 'N':
			napi = true;
			break;
		case 'D':
			detach = true;
			break;
		case 'i':
			ifname = parse_ifname(optarg);
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
	if (detach && !napi)
		die("--detach needs --napi (the detached check is on tun_xdp_one()'s NAPI path)");
	for (i = 0; i < MAX_QUEUES; i++) {
		vhost_ring_clear(&q[i].r);
		q[i].tap_fd = -1;
	}
	if (chunk > num)
		chunk = num;
	if (access("/dev/vhost-net", F_OK))
		die("no /dev/vhost-net on this kernel (modprobe vhost_net; "
		    "CONFIG_VHOST_NET is needed)");
	gen_init("vhost_tx", timeout);

	snprintf(nsname, sizeof(nsname), "skbgen-vhost-%d", getpid());
	named = netns_create(nsname);
	if (!named)
		snprintf(nsname, sizeof(nsname), "anonymous");
	if_set_up("lo", true);

	cleanup_push(teardown, NULL);
	for (i = 0; i < nq; i++)
		q[i].tap_fd = vhost_tap_open(ifname, VNET_HDR_LEN, napi ? IFF_NAPI : 0);
	if_disable_ipv6(ifname);
	if_set_addr4(ifname, local_ip, "255.255.255.0");
	if_set_up(ifname, true);
	neigh_add_perm(ifname, peer_ip, peer_mac);
	if_get_mac(ifname, dmac);
	for (i = 0; detach && i < nq; i++, detached++) {
		struct ifreq ifr = { .ifr_flags = IFF_DETACH_QUEUE };

		if (ioctl(q[i].tap_fd, TUNSETQUEUE, &ifr))
			die_errno("TUNSETQUEUE IFF_DETACH_QUEUE queue %d", i);
	}

	rx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx_fd < 0)
		die_errno("socket");
	opt = 64 << 20;
	if (setsockopt(rx_fd, SOL_SOCKET, SO_RCVBUFFORCE, &opt, sizeof(opt)))
		die_errno("SO_RCVBUFFORCE");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(UDP_DPORT);
	inet_pton(AF_INET, local_ip, &sa.sin_addr);
	if (bind(rx_fd, (struct sockaddr *)&sa, sizeof(sa)))
		die_errno("bind %s:%d", local_ip, UDP_DPORT);

	for (i = 0; i < nq; i++)
		setup_queue(&q[i], i, num, flen, dmac);
	if (app_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(app_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die_errno("sched_setaffinity to CPU %d", app_cpu);
	}
	/* after the app: a vhost_task worker is our thread, created by SET_OWNER */
	if ((worker_cpu >= 0 || spread) && (workers = pin_workers(spread ? -1 : worker_cpu)) < nq)
		die("pinned %d vhost workers, want %d (none named vhost-%d?)", workers, nq,
		    getpid());

	dev_stats_read(ifname, &st0);
	for (i = 0; i < nq; i++) {
		unsigned long n = count < num ? count : num;
		unsigned int k;

		/* fill the avail ring before the backend is attached */
		for (k = 0; k < n; k++)
			vhost_ring_add(&q[i].r, q[i].r.free_ids[--q[i].r.nfree]);
		q[i].posted = n;
		/* published, not kicked: the kick follows the backend */
		__atomic_store_n(&q[i].r.vr.avail->idx, q[i].r.avail_idx, __ATOMIC_RELEASE);
		be.index = VQ_TX;
		be.fd = q[i].tap_fd;
		if (ioctl(q[i].r.vhost_fd, VHOST_NET_SET_BACKEND, &be))
			die_errno("VHOST_NET_SET_BACKEND queue %d", i);
		kick(&q[i]);
	}

	last_progress = now_s();
	for (;;) {
		struct pollfd pfd[MAX_QUEUES];
		bool done = true, progress = false;

		for (i = 0; i < nq; i++) {
			struct txq *t = &q[i];
			unsigned long left = count - t->posted;
			unsigned int n;

			if (reap(t))
				progress = true;
			n = t->r.nfree < left ? t->r.nfree : left;
			if (n && (n >= chunk || n == left || t->posted == t->completed))
				post(t, n);
			if (t->completed < count)
				done = false;
		}
		delivered += drain_udp();
		if (done)
			break;
		if (progress) {
			last_progress = now_s();
			continue;
		}
		if (now_s() - last_progress > 1.0) {
			/* should not happen; re-kick in case a notification got lost */
			for (i = 0; i < nq; i++)
				if (q[i].completed < q[i].posted)
					kick(&q[i]);
			last_progress = now_s();
		}
		for (i = 0; i < nq; i++) {
			pfd[i].fd = q[i].r.call_fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, nq, 10) < 0 && errno != EINTR)
			die_errno("poll");
		for (i = 0; i < nq; i++) {
			uint64_t v;

			if ((pfd[i].revents & POLLIN) &&
			    read(q[i].r.call_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				die_errno("read call eventfd");
		}
	}
	/* let the stack finish delivering */
	for (i = 0; i < 50; i++) {
		unsigned long n;

		usleep(10000);
		n = drain_udp();
		delivered += n;
		if (!n && delivered >= count * nq)
			break;
	}
	dev_stats_read(ifname, &st1);

	printf("{\"netns\":\"%s\",\"ifname\":\"%s\",\"ring\":%lu,\"len\":%lu,"
	       "\"queues\":[", nsname, ifname, num, flen);
	for (i = 0; i < nq; i++) {
		printf("%s{\"queue\":%d,\"frames\":%lu,\"completed\":%lu,"
		       "\"kicks\":%lu,\"reposts\":%lu}", i ? "," : "", i, q[i].posted,
		       q[i].completed, q[i].kicks, q[i].chunks);
		total_frames += q[i].posted;
		total_done += q[i].completed;
	}
	printf("],\"worker_cpu\":%d,\"app_cpu\":%d,\"workers\":%d,\"napi\":%s,"
	       "\"detached\":%d,", worker_cpu, app_cpu, workers, napi ? "true" : "false", detached);
	printf("\"frames\":%lu,\"completed\":%lu,\"rx_packets\":%llu,"
	       "\"rx_dropped\":%llu,\"rx_frame_errors\":%llu,\"delivered\":%lu}\n",
	       total_frames, total_done,
	       (unsigned long long)(st1.rx_packets - st0.rx_packets),
	       (unsigned long long)(st1.rx_dropped - st0.rx_dropped),
	       (unsigned long long)(st1.rx_frame - st0.rx_frame), delivered);
	fflush(stdout);
	cleanup_run();
	return 0;
}
