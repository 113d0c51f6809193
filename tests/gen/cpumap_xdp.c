// SPDX-License-Identifier: GPL-2.0
/*
 * cpumap_xdp: native XDP on a veth redirecting every frame into a
 * BPF_MAP_TYPE_CPUMAP entry, so the cpumap kthread on the target CPU builds
 * the skbs (via napi_skb_cache_get_bulk() on 6.14+, up to 8 per call).
 *
 * Topology, all in netns skbgen-cpumap-<pid>:
 *   skbcpu0 (10.201.0.1/24, sender)  <-veth->  skbcpu1 (XDP, no address)
 * 10.201.0.2 is a permanent neighbour on skbcpu0 with skbcpu1's MAC, so
 * UDP sent to it crosses the veth and hits the XDP program. After the
 * cpumap the stack drops the skbs (destination not local, no forwarding).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "cpumap_xdp.h"
#include "cpumap_xdp.skel.h"

#define TX_IF "skbcpu0"
#define RX_IF "skbcpu1"
#define DPORT 9

static const char *local_ip = "10.201.0.1";
static const char *peer_ip = "10.201.0.2";

static struct cpumap_xdp_bpf *skel;
static int xdp_ifindex;
static int tx_fd = -1;
static int ncpus;

static void usage(FILE *f)
{
	fprintf(f,
"usage: cpumap_xdp [options]\n"
"  Native XDP on a veth (netns skbgen-cpumap-<pid>) redirects every frame to\n"
"  a cpumap entry; sends N UDP datagrams through the veth and prints:\n"
"  {\"netns\":..,\"sent\":N,\"xdp_seen\":..,\"xdp_ours\":..,\"redirected\":R,\n"
"   \"xdp_pass\":P,\"enqueue_processed\":..,\"enqueue_drops\":..,\n"
"   \"kthread_runs\":..,\"kthread_processed\":K,\"kthread_drops\":..}\n"
"  Expect redirected == sent and kthread_processed == sent.\n"
"options:\n"
"  -n, --count N     datagrams (default 10000)\n"
"  -c, --cpu C       cpumap target CPU (default 1)\n"
"  -Q, --qsize Q     cpumap queue size (default 256)\n"
"  -s, --size B      UDP payload bytes (default 64)\n"
"  -p, --pace K      after every K datagrams wait until the cpumap kthread\n"
"                    has caught up, so the cpumap ring (qsize) never\n"
"                    overflows (default qsize/2; 0 = never: expect drops)\n"
"      --no-trace    do not attach the xdp_cpumap_* tracepoint counters\n"
"  -t, --timeout S   give up after S seconds (default 30)\n"
"  -h, --help        this text\n");
}

static void teardown(void *arg)
{
	(void)arg;
	if (tx_fd >= 0)
		close(tx_fd);
	tx_fd = -1;
	if (xdp_ifindex)
		bpf_xdp_detach(xdp_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	xdp_ifindex = 0;
	/* the veth pair dies with the namespace */
}

static void destroy_skel(void *arg)
{
	(void)arg;
	if (skel)
		cpumap_xdp_bpf__destroy(skel);
	skel = NULL;
}

static void stats_read(__u64 out[ST_MAX])
{
	__u64 vals[ncpus];
	__u32 k;
	int fd = bpf_map__fd(skel->maps.stats), i;

	for (k = 0; k < ST_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			die_errno("read stats map");
		out[k] = 0;
		for (i = 0; i < ncpus; i++)
			out[k] += vals[i];
	}
}

int main(int argc, char **argv)
{
	enum { OPT_NOTRACE = 256 };
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "qsize", required_argument, NULL, 'Q' },
		{ "size", required_argument, NULL, 's' },
		{ "pace", required_argument, NULL, 'p' },
		{ "no-trace", no_argument, NULL, OPT_NOTRACE },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long count = 10000, cpu = 1, qsize = 256, size = 64;
	long pace = -1;
	unsigned long timeout = 30, sent = 0, retries = 0;
	bool trace = true, traced = false, named;
	struct bpf_cpumap_val val = {};
	struct bpf_map_info minfo = {};
	__u32 mlen = sizeof(minfo), key;
	__u64 st0[ST_MAX], st1[ST_MAX];
	unsigned char mac[6];
	struct sockaddr_in sa;
	char nsname[64], *buf;
	double deadline;
	int c, err;

	prog_name = "cpumap_xdp";
	while ((c = getopt_long(argc, argv, "n:c:Q:s:p:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_ulong("--count", optarg, 1, 100000000);
			break;
		case 'c':
			cpu = parse_ulong("--cpu", optarg, 0, 4095);
			break;
		case 'Q':
			qsize = parse_ulong("--qsize", optarg, 1, 16384);
			break;
		case 's':
			size = parse_ulong("--size", optarg, 0, 1400);
			break;
		case 'p':
			pace = parse_ulong("--pace", optarg, 0, 100000000);
			break;
		case OPT_NOTRACE:
			trace = false;
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
	gen_init("cpumap_xdp", timeout);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		die("cannot get the number of possible CPUs");
	if ((long)cpu >= ncpus)
		die("--cpu %lu: only %d possible CPUs", cpu, ncpus);
	if (pace < 0)
		pace = qsize / 2 ? qsize / 2 : 1;
	if (pace && !trace)
		pace = 0;	/* pacing waits on the kthread counter */

	snprintf(nsname, sizeof(nsname), "skbgen-cpumap-%d", getpid());
	named = netns_create(nsname);
	if (!named)
		snprintf(nsname, sizeof(nsname), "anonymous");
	if_set_up("lo", true);
	veth_create(TX_IF, RX_IF);
	if_disable_ipv6(TX_IF);
	if_disable_ipv6(RX_IF);
	if_set_addr4(TX_IF, local_ip, "255.255.255.0");
	if_get_mac(RX_IF, mac);

	cleanup_push(destroy_skel, NULL);
	skel = cpumap_xdp_bpf__open();
	if (!skel)
		die_errno("open BPF skeleton");
	skel->rodata->target_cpu = cpu;
	skel->rodata->udp_dport = DPORT;
	if (bpf_map__set_max_entries(skel->maps.cpu_map, ncpus))
		die("set cpumap size");
	if (!trace) {
		bpf_program__set_autoload(skel->progs.tp_cpumap_enqueue, false);
		bpf_program__set_autoload(skel->progs.tp_cpumap_kthread, false);
	}
	err = cpumap_xdp_bpf__load(skel);
	if (err) {
		errno = -err;
		die_errno("load BPF programs");
	}
	if (bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.cpu_map), &minfo, &mlen))
		die_errno("cpumap info");
	skel->bss->cpumap_id = minfo.id;
	key = cpu;
	val.qsize = qsize;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.cpu_map), &key, &val, 0))
		die_errno("add CPU %lu (qsize %lu) to the cpumap", cpu, qsize);
	if (trace) {
		skel->links.tp_cpumap_enqueue =
			bpf_program__attach(skel->progs.tp_cpumap_enqueue);
		skel->links.tp_cpumap_kthread =
			bpf_program__attach(skel->progs.tp_cpumap_kthread);
		if (!skel->links.tp_cpumap_enqueue || !skel->links.tp_cpumap_kthread)
			die("attach xdp:xdp_cpumap_* tracepoints failed (use --no-trace)");
		traced = true;
	}

	cleanup_push(teardown, NULL);
	xdp_ifindex = if_index(RX_IF);
	err = bpf_xdp_attach(xdp_ifindex, bpf_program__fd(skel->progs.xdp_to_cpumap),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		xdp_ifindex = 0;
		errno = -err;
		die_errno("attach native XDP to %s", RX_IF);
	}
	if_set_up(RX_IF, true);
	if_set_up(TX_IF, true);
	neigh_add_perm(TX_IF, peer_ip, mac);

	buf = calloc(1, size + 1);
	if (!buf)
		die("out of memory");
	memset(buf, 'x', size);
	tx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tx_fd < 0)
		die_errno("socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(DPORT);
	inet_pton(AF_INET, peer_ip, &sa.sin_addr);
	if (connect(tx_fd, (struct sockaddr *)&sa, sizeof(sa)))
		die_errno("connect %s", peer_ip);

	stats_read(st0);
	while (sent < count) {
		ssize_t n = send(tx_fd, buf, size, 0);

		if (n == (ssize_t)size) {
			sent++;
		} else if (n < 0 && (errno == ENOBUFS || errno == EAGAIN ||
				     errno == EINTR) && ++retries < 1000000) {
			usleep(100);
			continue;
		} else {
			die_errno("send #%lu", sent);
		}
		if (pace && sent % pace == 0) {
			/* wait (bounded) for the kthread to take what is queued */
			deadline = now_s() + 0.2;
			do {
				stats_read(st1);
				if (st1[ST_KT_PROCESSED] + st1[ST_ENQ_DROPS] -
				    st0[ST_KT_PROCESSED] - st0[ST_ENQ_DROPS] >= sent)
					break;
				usleep(50);
			} while (now_s() < deadline);
		}
	}
	/*
	 * settle: wait until the counters stop moving and the kthread has
	 * taken (or the enqueue dropped) every frame XDP redirected. Compare
	 * with the redirects, not the enqueue events: frames still in the
	 * per-CPU bulk queue have not been enqueued yet. Bounded: 10 s (TCG).
	 */
	stats_read(st1);
	deadline = now_s() + 10;
	for (;;) {
		__u64 prev = st1[ST_KT_PROCESSED] + st1[ST_SEEN];

		usleep(20000);
		stats_read(st1);
		if (st1[ST_KT_PROCESSED] + st1[ST_SEEN] == prev &&
		    (!traced || st1[ST_KT_PROCESSED] - st0[ST_KT_PROCESSED] +
			st1[ST_ENQ_DROPS] - st0[ST_ENQ_DROPS] >=
			st1[ST_REDIRECTED] - st0[ST_REDIRECTED]))
			break;
		if (now_s() > deadline)
			break;
	}

#define D(i) ((unsigned long long)(st1[i] - st0[i]))
	printf("{\"netns\":\"%s\",\"ifname\":\"%s\",\"cpu\":%lu,\"qsize\":%lu,"
	       "\"size\":%lu,\"sent\":%lu,\"xdp_seen\":%llu,\"xdp_ours\":%llu,"
	       "\"redirected\":%llu,\"xdp_pass\":%llu",
	       nsname, RX_IF, cpu, qsize, size, sent, D(ST_SEEN), D(ST_OURS),
	       D(ST_REDIRECTED), D(ST_PASS));
	if (traced)
		printf(",\"enqueue_processed\":%llu,\"enqueue_drops\":%llu,"
		       "\"kthread_runs\":%llu,\"kthread_processed\":%llu,"
		       "\"kthread_drops\":%llu",
		       D(ST_ENQ_PROCESSED), D(ST_ENQ_DROPS), D(ST_KT_RUNS),
		       D(ST_KT_PROCESSED), D(ST_KT_DROPS));
	printf(",\"send_retries\":%lu}\n", retries);
#undef D
	fflush(stdout);
	cleanup_run();
	return 0;
}
