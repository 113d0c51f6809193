// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers for the skbtop traffic generators.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

const char *prog_name = "gen";

#define MAX_CLEANUPS 32

static struct {
	cleanup_fn fn;
	void *arg;
} cleanups[MAX_CLEANUPS];
static volatile sig_atomic_t ncleanups;
static volatile sig_atomic_t stopping;
static unsigned int timeout_secs;

static void vmsg(const char *fmt, va_list ap, int err)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", prog_name);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (err && n < (int)sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	cleanup_run();
	exit(1);
}

void die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, err);
	va_end(ap);
	cleanup_run();
	exit(1);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

int cleanup_push(cleanup_fn fn, void *arg)
{
	int i = ncleanups;

	if (i >= MAX_CLEANUPS)
		die("too many cleanup handlers");
	cleanups[i].fn = fn;
	cleanups[i].arg = arg;
	ncleanups = i + 1;
	return i;
}

void cleanup_pop(int handle)
{
	if (handle >= 0 && handle < MAX_CLEANUPS)
		cleanups[handle].fn = NULL;
}

void cleanup_run(void)
{
	sigset_t all, old;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	while (ncleanups > 0) {
		int i = --ncleanups;
		cleanup_fn fn = cleanups[i].fn;

		cleanups[i].fn = NULL;
		if (fn)
			fn(cleanups[i].arg);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void on_signal(int sig)
{
	char buf[128];
	int n;

	stopping = 1;
	if (sig == SIGALRM)
		n = snprintf(buf, sizeof(buf), "%s: timeout after %u s, cleaning up\n",
			     prog_name, timeout_secs);
	else
		n = snprintf(buf, sizeof(buf), "%s: got signal %d, cleaning up\n",
			     prog_name, sig);
	if (write(STDERR_FILENO, buf, n) < 0)
		n = 0;
	cleanup_run();
	_exit(sig == SIGALRM ? 3 : 128 + sig);
}

static void atexit_cleanup(void)
{
	cleanup_run();
}

void gen_init(const char *name, unsigned int timeout_s)
{
	struct sigaction sa;

	prog_name = name;
	timeout_secs = timeout_s;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(atexit_cleanup);
	if (timeout_s)
		alarm(timeout_s);
}

bool gen_stopping(void)
{
	return stopping;
}

unsigned long parse_ulong(const char *opt, const char *s, unsigned long min,
			  unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		warnx_("invalid value '%s' for %s (expected %lu..%lu)", s, opt, min, max);
		exit(2);
	}
	return v;
}

const char *parse_ifname(const char *s)
{
	if (strlen(s) >= IFNAMSIZ || strchr(s, '/'))
		die("bad interface name %s", s);
	return s;
}

/* ---- network namespaces ---- */

static char netns_path[PATH_MAX];

static void netns_cleanup(void *arg)
{
	(void)arg;
	if (!netns_path[0])
		return;
	umount2(netns_path, MNT_DETACH);
	unlink(netns_path);
	netns_path[0] = 0;
}

bool netns_create(const char *name)
{
	bool named = false;
	int fd;

	if (strchr(name, '/') || !name[0] || strlen(name) > 64)
		die("bad netns name '%s'", name);
	if (mkdir("/run/netns", 0755) && errno != EEXIST)
		warnx_("warning: mkdir /run/netns: %s (netns stays anonymous)",
		       strerror(errno));
	snprintf(netns_path, sizeof(netns_path), "/run/netns/%s", name);
	fd = open(netns_path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		if (errno == EEXIST)
			die("netns %s already exists", name);
		warnx_("warning: create %s: %s (netns stays anonymous)",
		       netns_path, strerror(errno));
		netns_path[0] = 0;
	} else {
		close(fd);
		cleanup_push(netns_cleanup, NULL);
	}
	if (unshare(CLONE_NEWNET))
		die_errno("unshare(CLONE_NEWNET) (need root/CAP_SYS_ADMIN)");
	if (netns_path[0]) {
		if (mount("/proc/self/ns/net", netns_path, "none", MS_BIND, NULL)) {
			warnx_("warning: bind netns to %s: %s (netns stays anonymous)",
			       netns_path, strerror(errno));
			unlink(netns_path);
			netns_path[0] = 0;
		} else {
			named = true;
		}
	}
	return named;
}

void netns_enter(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("open %s", path);
	if (setns(fd, CLONE_NEWNET))
		die_errno("setns %s", path);
	close(fd);
}

/* ---- interfaces ---- */

static int ctl_sock(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die_errno("socket(AF_INET)");
	return fd;
}

static void ifr_init(struct ifreq *ifr, const char *ifname)
{
	memset(ifr, 0, sizeof(*ifr));
	if (strlen(ifname) >= IFNAMSIZ)
		die("interface name too long: %s", ifname);
	strcpy(ifr->ifr_name, ifname);
}

int if_index(const char *ifname)
{
	int idx = if_nametoindex(ifname);

	if (!idx)
		die_errno("if_nametoindex %s", ifname);
	return idx;
}

void if_set_up(const char *ifname, bool up)
{
	struct ifreq ifr;
	int fd = ctl_sock();

	ifr_init(&ifr, ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		die_errno("SIOCGIFFLAGS %s", ifname);
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		die_errno("SIOCSIFFLAGS %s", ifname);
	close(fd);
}

static void set_sin(struct sockaddr *sa, const char *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		die("bad IPv4 address %s", addr);
}

void if_set_addr4(const char *ifname, const char *addr, const char *mask)
{
	struct ifreq ifr;
	int fd = ctl_sock();

	ifr_init(&ifr, ifname);
	set_sin(&ifr.ifr_addr, addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr))
		die_errno("SIOCSIFADDR %s %s", ifname, addr);
	ifr_init(&ifr, ifname);
	set_sin(&ifr.ifr_netmask, mask);
	if (ioctl(fd, SIOCSIFNETMASK, &ifr))
		die_errno("SIOCSIFNETMASK %s %s", ifname, mask);
	close(fd);
}

void if_set_txqlen(const char *ifname, int qlen)
{
	struct ifreq ifr;
	int fd = ctl_sock();

	ifr_init(&ifr, ifname);
	ifr.ifr_qlen = qlen;
	if (ioctl(fd, SIOCSIFTXQLEN, &ifr))
		die_errno("SIOCSIFTXQLEN %s %d", ifname, qlen);
	close(fd);
}

int if_get_txqlen(const char *ifname)
{
	struct ifreq ifr;
	int fd = ctl_sock();

	ifr_init(&ifr, ifname);
	if (ioctl(fd, SIOCGIFTXQLEN, &ifr))
		die_errno("SIOCGIFTXQLEN %s", ifname);
	close(fd);
	return ifr.ifr_qlen;
}

void if_get_mac(const char *ifname, unsigned char mac[6])
{
	struct ifreq ifr;
	int fd = ctl_sock();

	ifr_init(&ifr, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		die_errno("SIOCGIFHWADDR %s", ifname);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

void if_disable_ipv6(const char *ifname)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	if (write_str_file(path, "1") && errno != ENOENT)
		die_errno("disable IPv6 on %s", ifname);
}

/* ---- minimal rtnetlink ---- */

struct nlbuf {
	struct nlmsghdr *nh;
	size_t cap;
};

static struct rtattr *nl_put(struct nlbuf *b, int type, const void *data, size_t len)
{
	struct rtattr *rta;
	size_t off = NLMSG_ALIGN(b->nh->nlmsg_len);

	if (off + RTA_SPACE(len) > b->cap)
		die("netlink message too long");
	rta = (struct rtattr *)((char *)b->nh + off);
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	b->nh->nlmsg_len = off + RTA_SPACE(len);
	return rta;
}

static void nl_end(struct nlbuf *b, struct rtattr *nest)
{
	nest->rta_len = (char *)b->nh + b->nh->nlmsg_len - (char *)nest;
}

static void nl_talk(struct nlmsghdr *nh, const char *what)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *r;
	ssize_t n;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		die_errno("socket(NETLINK_ROUTE)");
	nh->nlmsg_seq = 1;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die_errno("netlink send (%s)", what);
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		die_errno("netlink recv (%s)", what);
	close(fd);
	for (r = (struct nlmsghdr *)buf; NLMSG_OK(r, (size_t)n); r = NLMSG_NEXT(r, n)) {
		if (r->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(r);

			if (e->error) {
				errno = -e->error;
				die_errno("%s", what);
			}
			return;
		}
	}
	die("%s: no netlink ack", what);
}

void veth_create(const char *name, const char *peer)
{
	union {
		struct nlmsghdr nh;
		char buf[1024];
	} u;
	struct nlbuf b = { &u.nh, sizeof(u) };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *linkinfo, *data, *peerinfo;
	char what[96];

	memset(&u, 0, sizeof(u));
	u.nh.nlmsg_type = RTM_NEWLINK;
	u.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	u.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifi));
	memcpy(NLMSG_DATA(&u.nh), &ifi, sizeof(ifi));
	nl_put(&b, IFLA_IFNAME, name, strlen(name) + 1);
	linkinfo = nl_put(&b, IFLA_LINKINFO, NULL, 0);
	nl_put(&b, IFLA_INFO_KIND, "veth", 4);
	data = nl_put(&b, IFLA_INFO_DATA, NULL, 0);
	peerinfo = nl_put(&b, VETH_INFO_PEER, &ifi, sizeof(ifi));
	nl_put(&b, IFLA_IFNAME, peer, strlen(peer) + 1);
	nl_end(&b, peerinfo);
	nl_end(&b, data);
	nl_end(&b, linkinfo);
	snprintf(what, sizeof(what), "create veth %s/%s", name, peer);
	nl_talk(&u.nh, what);
}

void parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		die("bad MAC address %s", s);
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			die("bad MAC address %s", s);
		mac[i] = b[i];
	}
}

void neigh_add_perm(const char *ifname, const char *ip, const unsigned char mac[6])
{
	struct arpreq req;
	int fd = ctl_sock();

	memset(&req, 0, sizeof(req));
	set_sin(&req.arp_pa, ip);
	req.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(req.arp_ha.sa_data, mac, 6);
	req.arp_flags = ATF_PERM | ATF_COM;
	if (strlen(ifname) >= sizeof(req.arp_dev))
		die("interface name too long: %s", ifname);
	strcpy(req.arp_dev, ifname);
	if (ioctl(fd, SIOCSARP, &req))
		die_errno("SIOCSARP %s %s", ifname, ip);
	close(fd);
}

void dev_stats_read(const char *ifname, struct dev_stats *st)
{
	unsigned long long v[16];
	char line[512];
	FILE *f;
	bool found = false;

	f = fopen("/proc/self/net/dev", "re");
	if (!f)
		die_errno("open /proc/self/net/dev");
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *name = line;

		if (!colon)
			continue;
		*colon = 0;
		while (*name == ' ')
			name++;
		if (strcmp(name, ifname))
			continue;
		if (sscanf(colon + 1,
			   "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
			   &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]) != 16)
			die("cannot parse /proc/net/dev line for %s", ifname);
		st->rx_packets = v[1];
		st->rx_dropped = v[3];
		st->tx_packets = v[9];
		st->tx_dropped = v[11];
		st->rx_frame = v[5];
		found = true;
		break;
	}
	fclose(f);
	if (!found)
		die("%s not found in /proc/self/net/dev", ifname);
}

uint64_t snmp_read(const char *proto, const char *field)
{
	char hdr[2048], val[2048], prefix[32];
	char *hs, *vs, *h, *v;
	FILE *f;

	snprintf(prefix, sizeof(prefix), "%s:", proto);
	f = fopen("/proc/self/net/snmp", "re");
	if (!f)
		die_errno("open /proc/self/net/snmp");
	while (fgets(hdr, sizeof(hdr), f)) {
		if (!fgets(val, sizeof(val), f))
			break;
		h = strtok_r(hdr, " \n", &hs);
		v = strtok_r(val, " \n", &vs);
		if (!h || !v || strcmp(h, prefix))
			continue;
		for (;;) {
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
			if (!h || !v)
				break;
			if (!strcmp(h, field)) {
				fclose(f);
				return strtoull(v, NULL, 10);
			}
		}
	}
	fclose(f);
	die("%s %s not found in /proc/self/net/snmp", proto, field);
}

uint64_t softnet_dropped(void)
{
	char line[512];
	uint64_t sum = 0;
	unsigned int processed, dropped;
	FILE *f;

	f = fopen("/proc/net/softnet_stat", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x %x", &processed, &dropped) == 2)
			sum += dropped;
	fclose(f);
	return sum;
}

long long read_ll_file(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

int write_str_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, val, len) != (ssize_t)len) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die_errno("pin to CPU %d", cpu);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
