/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the skbtop traffic generators: error exits, cleanup on
 * exit/signal/timeout, named network namespaces, interface ioctls, counters
 * read from /proc.
 */
#ifndef SKBTOP_GEN_COMMON_H
#define SKBTOP_GEN_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern const char *prog_name;

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Cleanup stack. Handlers run in reverse order of registration, exactly once,
 * from exit(), die() or a signal (SIGINT, SIGTERM, SIGHUP, SIGALRM for the
 * timeout). Handlers must only use async-signal-safe calls.
 */
typedef void (*cleanup_fn)(void *arg);
int cleanup_push(cleanup_fn fn, void *arg);
void cleanup_pop(int handle);	/* disarm a handler without running it */
void cleanup_run(void);
void gen_init(const char *name, unsigned int timeout_s);

/* Returns true once a terminating signal has been seen (timeout included). */
bool gen_stopping(void);

/* Parse an unsigned long option value or die. */
unsigned long parse_ulong(const char *opt, const char *s, unsigned long min,
			  unsigned long max);

/* An interface name the kernel accepts (< IFNAMSIZ, no '/'), or die. */
const char *parse_ifname(const char *s);

/* Network namespaces */
/*
 * Create a new network namespace for the calling process and, when possible,
 * publish it as /run/netns/<name> (visible to "ip netns"). The name is
 * removed again by the cleanup stack. Returns true if the name was bound.
 */
bool netns_create(const char *name);
/* Enter an existing named namespace /run/netns/<name>. */
void netns_enter(const char *name);

/* Interfaces (current netns) */
int if_index(const char *ifname);
void if_set_up(const char *ifname, bool up);
void if_set_addr4(const char *ifname, const char *addr, const char *mask);
void if_set_txqlen(const char *ifname, int qlen);
int if_get_txqlen(const char *ifname);
void if_get_mac(const char *ifname, unsigned char mac[6]);
void if_disable_ipv6(const char *ifname);
/* Create a veth pair with rtnetlink in the current netns. */
void veth_create(const char *name, const char *peer);
void neigh_add_perm(const char *ifname, const char *ip, const unsigned char mac[6]);
void parse_mac(const char *s, unsigned char mac[6]);

struct dev_stats {
	uint64_t rx_packets, rx_dropped;
	uint64_t tx_packets, tx_dropped;
	uint64_t rx_frame;	/* "frame" column: length, over, crc and frame errors */
};
/* From /proc/self/net/dev, i.e. the current namespace. */
void dev_stats_read(const char *ifname, struct dev_stats *st);

/* One counter from /proc/self/net/snmp, e.g. ("Udp", "RcvbufErrors"). */
uint64_t snmp_read(const char *proto, const char *field);

/* Sum over CPUs of the "dropped" column of /proc/net/softnet_stat (global). */
uint64_t softnet_dropped(void);

/* Read an integer from a file (sysctl etc.); returns -1 if unreadable. */
long long read_ll_file(const char *path);
int write_str_file(const char *path, const char *val);

void pin_cpu(int cpu);
double now_s(void);

#endif
