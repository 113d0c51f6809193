// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_rx: drive vhost-net RX from userspace, acting as the "guest".
 *
 * The counterpart of vhost_tx. A multi-queue tap (IFF_TAP|IFF_NO_PI|
 * IFF_VNET_HDR|IFF_MULTI_QUEUE, vnet header 12 bytes) is created and brought
 * up in netns skbgen-vhostrx-<pid>. Each tap queue becomes the backend of its
 * own /dev/vhost-net instance, whose RX virtqueue (index 0) we fill with
 * device-writable buffers: one memory region mapped 1:1 (guest_phys_addr ==
 * userspace_addr) holds the split ring and the buffers; only
 * VIRTIO_F_VERSION_1 is negotiated, so the tap writes the 12-byte
 * virtio_net_hdr (sock_hlen) and one buffer takes one frame (no mergeable
 * buffers).
 *
 * Frames go INTO the tap from the kernel side: a UDP socket in the namespace
 * sends to 10.203.0.2, a permanent neighbour behind the tap, on 64
 * destination ports so that the flows spread over the queues by hash;
 * tun_net_xmit() queues each skb on its queue's ring. vhost's handle_rx()
 * takes them from that ring in batches and hands each to tun_recvmsg() ->
 * tun_do_read(), which copies it into our buffer and frees it (consume_skb();
 * patch 7 of the tun series: napi_consume_skb(skb, 1) under
 * local_bh_disable()). tun counts tx_packets when a frame is read.
 *
 * tun does not stop its queues when a ring is full; it drops (FULL_RING). So
 * at most --window frames are in flight (sent and not yet seen in a used
 * ring), fewer than the tap's tx_queue_len (1000, each queue's ring size):
 * no frame is dropped unless something else is wrong.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#define VQ_RX 0
#define VNET_HDR_LEN 12
#define SLOT 2048		/* bytes per receive buffer */
#define HDRS (14 + 20 + 8)	/* Ethernet, IPv4, UDP */
#define UDP_DPORT 9000		/* destination ports UDP_DPORT .. + FLOWS - 1 */
#define FLOWS 64
#define MAGIC 0x736b6272u	/* "skbr", first payload word of our frames */

static const char *local_ip = "10.203.0.1";
static const char *peer_ip = "10.203.0.2";
static const unsigned char peer_mac[6] = { 2, 0, 0, 0, 0, 3 };

struct rxq {
	struct vhost_ring r;
	int tap_fd;
	unsigned long posted, used, ours, stray, kicks, reposts;
};

static struct rxq q[MAX_QUEUES];
static int nq = 2;
static int tx_fd = -1;

static void usage(FILE *f)
{
	fprintf(f,
"usage: vhost_rx [options]\n"
"  Needs /dev/vhost-net (modprobe vhost_net). Sends N UDP frames from a\n"
"  socket in netns skbgen-vhostrx-<pid> out through a multi-queue tap\n"
"  (skbvhrx0), each queue the backend of a vhost-net instance whose RX\n"
"  ring this program fills: vhost reads the frames with tun_recvmsg().\n"
"  One JSON line:\n"
"  {\"netns\":..,\"ifname\":..,\"ring\":R,\"len\":L,\"window\":W,\n"
"   \"queues\":[{\"queue\":q,\"worker_cpu\":..,\"used\":U,\"frames\":F,\"stray\":S,\n"
"   \"kicks\":..,\"reposts\":..},..],\"worker_cpu\":..,\"app_cpu\":..,\"workers\":..,\n"
"   \"sent\":N,\"used\":U,\"delivered\":D,\"stray\":S,\"tx_packets\":P,\n"
"   \"tx_dropped\":..}\n"
"  used: entries vhost put in the used rings (frames it read from the tap);\n"
"  delivered (frames, per queue): those that are our frames, intact; stray:\n"
"  the others (frames the kernel sent by itself); tx_packets, tx_dropped:\n"
"  the tap's counter deltas. Exits 1 when not every frame was delivered.\n"
"options:\n"
"  -n, --count N     frames to send, over all queues (default 10000)\n"
"  -q, --queues Q    tap queues / vhost-net instances (default 2, max %d)\n"
"  -r, --ring R      RX ring size, power of 2 (default 256)\n"
"  -s, --size L      Ethernet frame bytes, without the vnet header\n"
"                    (default 60, %d..1514)\n"
"  -W, --window W    frames in flight at most (default 512, below the\n"
"                    tap's tx_queue_len)\n"
"  -c, --chunk K     repost used buffers K at a time (default 32)\n"
"  -t, --timeout S   give up after S seconds (default 30)\n"
"  -w, --worker-cpu C[,C..]  pin the vhost worker of queue i (a task named\n"
"                    vhost-<pid>) to the i-th CPU of the list, cyclically\n"
"  -a, --app-cpu C   pin this program (the UDP sender: skbs are allocated on\n"
"                    its CPU) to C; with -w on another CPU, a free in the\n"
"                    worker that defers to the allocating CPU kicks C. JSON\n"
"                    has \"worker_cpu\" (the first of -w), \"app_cpu\" (-1:\n"
"                    not pinned) and \"workers\" (the number of workers\n"
"                    pinned as asked)\n"
"  -h, --help        this text\n", MAX_QUEUES, HDRS + 8);
}

static void teardown(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < nq; i++) {
		vhost_ring_close(&q[i].r, VQ_RX);
		if (q[i].tap_fd >= 0)
			close(q[i].tap_fd);
		q[i].tap_fd = -1;
	}
	if (tx_fd >= 0)
		close(tx_fd);
	tx_fd = -1;
}

static void kick(struct rxq *t)
{
	vhost_ring_kick(&t->r);
	t->kicks++;
}

/* Put n free buffers on the avail ring and publish them. */
static void post(struct rxq *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		vhost_ring_add(&t->r, t->r.free_ids[--t->r.nfree]);
	t->posted += n;
	t->reposts++;
	t->kicks += vhost_ring_publish(&t->r);
}

/* Our frame, intact: vnet header, Ethernet to peer_mac, IPv4/UDP to peer_ip
 * on one of our ports, MAGIC, the length we sent. */
static bool our_frame(const unsigned char *b, uint32_t len, size_t flen)
{
	const unsigned char *eth = b + VNET_HDR_LEN, *ip = eth + 14, *udp = ip + 20;
	uint32_t magic, dst;
	uint16_t dport;

	if (len != VNET_HDR_LEN + flen)
		return false;
	if (memcmp(eth, peer_mac, 6) || eth[12] != 0x08 || eth[13] != 0x00)
		return false;
	if (ip[0] != 0x45 || ip[9] != IPPROTO_UDP)
		return false;
	inet_pton(AF_INET, peer_ip, &dst);
	if (memcmp(ip + 16, &dst, 4))
		return false;
	memcpy(&dport, udp + 2, 2);
	dport = ntohs(dport);
	if (dport < UDP_DPORT || dport >= UDP_DPORT + FLOWS)
		return false;
	memcpy(&magic, udp + 8, 4);
	return ntohl(magic) == MAGIC;
}

/* Reap used buffers, telling our frames from strays; returns how many. */
static unsigned int reap(struct rxq *t, size_t flen)
{
	uint32_t id, len;
	unsigned int n = 0;

	while (vhost_ring_next_used(&t->r, &id, &len)) {
		if (len > SLOT)
			die("vhost wrote %u bytes into a %d-byte buffer", len, SLOT);
		if (our_frame(t->r.bufs + (size_t)id * SLOT, len, flen))
			t->ours++;
		else
			t->stray++;
		t->r.free_ids[t->r.nfree++] = id;
		n++;
	}
	t->used += n;
	return n;
}

static void setup_queue(struct rxq *t, unsigned int num)
{
	unsigned int i;

	vhost_ring_setup(&t->r, VQ_RX, num, SLOT);
	/* descriptors: one per buffer, device-writable, never chained */
	for (i = 0; i < num; i++) {
		t->r.vr.desc[i].addr = (uintptr_t)(t->r.bufs + (size_t)i * SLOT);
		t->r.vr.desc[i].len = SLOT;
		t->r.vr.desc[i].flags = VRING_DESC_F_WRITE;
		t->r.vr.desc[i].next = 0;
		t->r.free_ids[t->r.nfree++] = num - 1 - i;
	}
}

/* Frame seq: MAGIC, seq, filler, to the peer on port UDP_DPORT + seq % FLOWS. */
static void send_one(unsigned long seq, size_t flen)
{
	unsigned char payload[1514];
	size_t plen = flen - HDRS;
	struct sockaddr_in sa;
	uint32_t v;

	memset(payload, 'r', plen);
	v = htonl(MAGIC);
	memcpy(payload, &v, 4);
	v = htonl(seq);
	memcpy(payload + 4, &v, 4);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(UDP_DPORT + seq % FLOWS);
	inet_pton(AF_INET, peer_ip, &sa.sin_addr);
	if (sendto(tx_fd, payload, plen, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)plen)
		die_errno("sendto %s", peer_ip);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "queues", required_argument, NULL, 'q' },
		{ "ring", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'W' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "worker-cpu", required_argument, NULL, 'w' },
		{ "app-cpu", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long count = 10000, num = 256, flen = 60, window = 512, chunk = 32;
	unsigned long timeout = 30, sent = 0, ours = 0, used = 0, stray = 0;
	const char *ifname = "skbvhrx0";
	struct vhost_vring_file be;
	struct dev_stats st0, st1;
	char nsname[64];
	double last_progress;
	int i, c, wcpu[MAX_QUEUES], nwcpu = 0, app_cpu = -1, workers = 0;
	cpu_set_t own;
	char *tok, *save;
	bool named;

	prog_name = "vhost_rx";
	while ((c = getopt_long(argc, argv, "n:q:r:s:W:c:t:w:a:h", opts, NULL)) != -1) {
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
		case 's':
			flen = parse_ulong("--size", optarg, HDRS + 8, 1514);
			break;
		case 'W':
			window = parse_ulong("--window", optarg, 1, 100000);
			break;
		case 'c':
			chunk = parse_ulong("--chunk", optarg, 1, 32768);
			break;
		case 't':
			timeout = parse_ulong("--timeout", optarg, 1, 86400);
			break;
		case 'w':
			for (nwcpu = 0, tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (nwcpu == MAX_QUEUES)
					die("--worker-cpu: at most %d CPUs", MAX_QUEUES);
				wcpu[nwcpu++] = parse_ulong("--worker-cpu", tok, 0, CPU_SETSIZE - 1);
			}
			if (!nwcpu)
				die("--worker-cpu: no CPU given");
			break;
		case 'a':
			app_cpu = parse_ulong("--app-cpu", optarg, 0, CPU_SETSIZE - 1);
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
	for (i = 0; i < MAX_QUEUES; i++) {
		vhost_ring_clear(&q[i].r);
		q[i].tap_fd = -1;
	}
	if (chunk > num)
		chunk = num;
	if (access("/dev/vhost-net", F_OK))
		die("no /dev/vhost-net on this kernel (modprobe vhost_net; "
		    "CONFIG_VHOST_NET is needed)");
	gen_init("vhost_rx", timeout);

	snprintf(nsname, sizeof(nsname), "skbgen-vhostrx-%d", getpid());
	named = netns_create(nsname);
	if (!named)
		snprintf(nsname, sizeof(nsname), "anonymous");
	if_set_up("lo", true);

	cleanup_push(teardown, NULL);
	for (i = 0; i < nq; i++)
		q[i].tap_fd = vhost_tap_open(ifname, VNET_HDR_LEN, 0);
	/* every queue's ring holds tx_queue_len frames: the window must fit */
	if (window >= (unsigned long)if_get_txqlen(ifname))
		die("--window %lu must be below %s's tx_queue_len %d", window, ifname,
		    if_get_txqlen(ifname));
	if_disable_ipv6(ifname);
	if_set_addr4(ifname, local_ip, "255.255.255.0");
	if_set_up(ifname, true);
	neigh_add_perm(ifname, peer_ip, peer_mac);

	tx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tx_fd < 0)
		die_errno("socket");

	/* queue i's worker, created by VHOST_SET_OWNER, inherits our affinity */
	if (sched_getaffinity(0, sizeof(own), &own))
		die_errno("sched_getaffinity");
	for (i = 0; i < nq; i++) {
		if (nwcpu)
			pin_cpu(wcpu[i % nwcpu]);
		setup_queue(&q[i], num);
	}
	if (app_cpu >= 0)
		pin_cpu(app_cpu);
	else if (sched_setaffinity(0, sizeof(own), &own))
		die_errno("sched_setaffinity (back to where we started)");
	if (nwcpu && (workers = vhost_workers_pinned(wcpu, nwcpu)) < nq)
		die("%d vhost workers pinned, want %d (no vhost_task threads named "
		    "vhost-%d on this kernel?)", workers, nq, getpid());

	/* every buffer on the avail ring before the backend is attached */
	for (i = 0; i < nq; i++) {
		post(&q[i], q[i].r.nfree);
		q[i].reposts = 0;
		be.index = VQ_RX;
		be.fd = q[i].tap_fd;
		if (ioctl(q[i].r.vhost_fd, VHOST_NET_SET_BACKEND, &be))
			die_errno("VHOST_NET_SET_BACKEND queue %d", i);
		kick(&q[i]);
	}
	dev_stats_read(ifname, &st0);

	last_progress = now_s();
	while (ours < count) {
		struct pollfd pfd[MAX_QUEUES];
		bool progress = false;

		for (i = 0; i < nq; i++) {
			struct rxq *t = &q[i];

			if (reap(t, flen))
				progress = true;
			/* repost in chunks, or at once when vhost runs short */
			if (t->r.nfree && (t->r.nfree >= chunk || t->posted - t->used < chunk))
				post(t, t->r.nfree);
		}
		for (ours = 0, i = 0; i < nq; i++)
			ours += q[i].ours;
		while (sent < count && sent - ours < window) {
			send_one(sent++, flen);
			progress = true;
		}
		if (ours >= count)
			break;
		if (progress) {
			last_progress = now_s();
			continue;
		}
		if (now_s() - last_progress > 2.0) {
			/* a frame went missing (dropped?): report what we have */
			warnx_("no progress for 2 s with %lu of %lu frames delivered; "
			       "giving up", ours, count);
			break;
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
	/* strays the kernel may still send: take what is there after 50 ms */
	usleep(50000);
	for (i = 0; i < nq; i++)
		reap(&q[i], flen);
	dev_stats_read(ifname, &st1);

	printf("{\"netns\":\"%s\",\"ifname\":\"%s\",\"ring\":%lu,\"len\":%lu,"
	       "\"window\":%lu,\"queues\":[", nsname, ifname, num, flen, window);
	for (ours = 0, i = 0; i < nq; i++) {
		printf("%s{\"queue\":%d,\"worker_cpu\":%d,\"used\":%lu,\"frames\":%lu,"
		       "\"stray\":%lu,\"kicks\":%lu,\"reposts\":%lu}", i ? "," : "", i,
		       nwcpu ? wcpu[i % nwcpu] : -1, q[i].used, q[i].ours, q[i].stray,
		       q[i].kicks, q[i].reposts);
		used += q[i].used;
		ours += q[i].ours;
		stray += q[i].stray;
	}
	printf("],\"worker_cpu\":%d,\"app_cpu\":%d,\"workers\":%d,", nwcpu ? wcpu[0] : -1,
	       app_cpu, workers);
	printf("\"sent\":%lu,\"used\":%lu,\"delivered\":%lu,\"stray\":%lu,"
	       "\"tx_packets\":%llu,\"tx_dropped\":%llu}\n",
	       sent, used, ours, stray,
	       (unsigned long long)(st1.tx_packets - st0.tx_packets),
	       (unsigned long long)(st1.tx_dropped - st0.tx_dropped));
	fflush(stdout);
	cleanup_run();
	return ours == count ? 0 : 1;
}
