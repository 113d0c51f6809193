// SPDX-License-Identifier: GPL-2.0
/*
 * tap_write: write N frames into a tap opened with IFF_NAPI | IFF_NAPI_FRAGS,
 * so that every frame allocates its skb through the NAPI skb cache.
 *
 * With IFF_NAPI_FRAGS, tun_get_user() takes each frame's skb from
 * napi_get_frags(), i.e. napi_alloc_skb() -> napi_skb_cache_get() (on every
 * kernel since 5.13, through __alloc_skb(SKB_ALLOC_NAPI) or __napi_build_skb()),
 * and feeds it to napi_gro_frags(). The frames carry an ethertype nobody
 * handles (0x88b5, IEEE local experimental), so GRO passes them on unmerged,
 * each one is delivered and freed by kfree_skb(SKB_DROP_REASON_UNHANDLED_PROTO)
 * to the slab, not back to the NAPI cache, and the device counts it in
 * rx_dropped (rx_nohandler where delivery is exact-only). Expect, over the
 * run: napi_skb_cache_get() calls == N + 1 (netif_napi_add() takes and
 * frees one frags skb in napi_get_frags_check(), 5.19+), UNHANDLED_PROTO
 * drops == N == rx_dropped + rx_nohandler delta == rx_packets delta.
 *
 * The tap lives in a fresh network namespace (skbgen-wr-<pid>); device
 * counters are read from a private sysfs mount of that namespace.
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
#include <sys/mount.h>
#include <unistd.h>

#include "common.h"

#ifndef IFF_NAPI
#define IFF_NAPI	0x0010
#endif
#ifndef IFF_NAPI_FRAGS
#define IFF_NAPI_FRAGS	0x0020
#endif

#define FRAME_LEN 60	/* minimum Ethernet frame without FCS */
#define ETHERTYPE_EXPERIMENTAL 0x88b5

static int tap_fd = -1;

static void usage(FILE *f)
{
	fprintf(f,
"usage: tap_write [options]\n"
"  Creates netns skbgen-wr-<pid> with a tap opened IFF_NAPI|IFF_NAPI_FRAGS,\n"
"  writes N frames of an unhandled ethertype into it and prints one JSON\n"
"  line: {\"netns\":..,\"ifname\":..,\"written\":N,\"rx_packets\":..,\n"
"  \"rx_dropped\":..,\"rx_nohandler\":..} (device counter deltas).\n"
"  Every frame takes one skb from the NAPI skb cache (napi_skb_cache_get).\n"
"options:\n"
"  -n, --count N      frames to write (default 10000)\n"
"  -i, --ifname NAME  tap name (default skbwr0)\n"
"  -t, --timeout S    give up after S seconds (default 30)\n"
"  -h, --help         this text\n");
}

static void close_tap(void *arg)
{
	(void)arg;
	if (tap_fd >= 0)
		close(tap_fd);
	tap_fd = -1;
}

/* One counter of the tap, from this namespace's sysfs (mounted privately). */
static unsigned long long stat_read(const char *ifname, const char *name)
{
	char path[128];
	long long v;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	v = read_ll_file(path);
	if (v < 0)
		die("cannot read %s", path);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const char *stats[] = { "rx_packets", "rx_dropped", "rx_nohandler" };
	unsigned long long before[3], after[3];
	unsigned long count = 10000, timeout = 30, written = 0;
	const char *ifname = "skbwr0";
	unsigned char frame[FRAME_LEN] = {};
	char nsname[64];
	struct ifreq ifr;
	int c;

	prog_name = "tap_write";
	while ((c = getopt_long(argc, argv, "n:i:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_ulong("--count", optarg, 1, 100000000);
			break;
		case 'i':
			ifname = parse_ifname(optarg);
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
	gen_init("tap_write", timeout);
	snprintf(nsname, sizeof(nsname), "skbgen-wr-%d", getpid());
	if (!netns_create(nsname))
		snprintf(nsname, sizeof(nsname), "anonymous");
	/* sysfs shows the namespace of whoever mounted it: mount our own */
	if (unshare(CLONE_NEWNS))
		die_errno("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die_errno("make / private");
	if (mount("sysfs", "/sys", "sysfs", 0, NULL))
		die_errno("mount sysfs");

	tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap_fd < 0)
		die_errno("open /dev/net/tun");
	cleanup_push(close_tap, NULL);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_NAPI | IFF_NAPI_FRAGS;
	if (ioctl(tap_fd, TUNSETIFF, &ifr))
		die_errno("TUNSETIFF %s (tap, IFF_NAPI | IFF_NAPI_FRAGS)", ifname);
	if_disable_ipv6(ifname);
	if_set_up(ifname, true);

	/* to the tap's own address, from a locally administered one */
	if_get_mac(ifname, frame);
	frame[6] = 0x02;
	frame[11] = 0x01;
	frame[12] = ETHERTYPE_EXPERIMENTAL >> 8;
	frame[13] = ETHERTYPE_EXPERIMENTAL & 0xff;

	for (c = 0; c < 3; c++)
		before[c] = stat_read(ifname, stats[c]);
	while (written < count && !gen_stopping()) {
		ssize_t n = write(tap_fd, frame, sizeof(frame));

		if (n == (ssize_t)sizeof(frame)) {
			written++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		die_errno("write frame %lu to %s", written, ifname);
	}
	if (written < count)
		die("stopped after %lu of %lu frames", written, count);
	for (c = 0; c < 3; c++)
		after[c] = stat_read(ifname, stats[c]);

	printf("{\"netns\":\"%s\",\"ifname\":\"%s\",\"written\":%lu", nsname, ifname, written);
	for (c = 0; c < 3; c++)
		printf(",\"%s\":%llu", stats[c], after[c] - before[c]);
	printf("}\n");
	return 0;
}
