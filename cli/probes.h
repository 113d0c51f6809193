/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe table, feature detection, and the loader/collector. Each probe
 * has an attach chain (fentry/fexit -> kprobe -> tracepoint-derived ->
 * unavailable); the first variant whose checks pass on this kernel is
 * loaded. One probe that cannot attach never stops the others.
 */
#ifndef SKBTOP_PROBES_H
#define SKBTOP_PROBES_H

#include <stdbool.h>
#include <stdio.h>
#include "snapshot.h"

enum probe_mode {
	MODE_UNAVAILABLE = 0,
	MODE_FENTRY,	/* fentry and/or fexit: exact, cheapest */
	MODE_KPROBE,	/* kprobe/kretprobe: exact, slower */
	MODE_TP_BTF,	/* BTF-typed tracepoint: exact */
	MODE_RAW_TP,	/* raw tracepoint: exact */
	MODE_DERIVED,	/* approximated from a tracepoint: see the probe's note */
	MODE_SYSCALL,	/* a syscall program skbtop runs at each read: reads kernel state */
	MODE_DISABLED,	/* turned off by the user */
};

const char *probe_mode_name(enum probe_mode m);

#define PROBE_REASON_LEN 320

/* Capabilities a probe mode declares (probe_status.caps). */
#define PROBE_CAP_CACHE_HITS	0x1	/* cache_get: hits and misses (reads the fill level) */
#define PROBE_CAP_BH_CHECK	0x2	/* bulk: reads the preempt count (calls outside BH) */
#define PROBE_CAP_FLUSH_COUNT	0x4	/* defer_flush: flushes and skbs per flush */
#define PROBE_CAP_DEFER_SPLIT	0x8	/* consume: calls handed to skb_attempt_defer_free() */
#define PROBE_CAP_XSK_SPLIT	0x20	/* cache_refill: xsk_alloc_batch_skb()'s bulk calls apart */
#define PROBE_CAP_SIRQ_STACK	0x80	/* softirq_where: located by a stack walk (unknown counted) */
#define PROBE_CAP_LEVEL		0x10	/* cache_level: fill levels read (live only: a
					 * capture holds no levels and drops this bit) */
#define PROBE_CAP_SENDMSG_LAT	0x40	/* tun_sendmsg: durations per queue and batch class */

struct probe_status {
	const char *name;	/* "drops", "bulk", ... */
	const char *group;	/* metric group: cache, bulk, build, consume, defer, drops, tun */
	const char *target;	/* kernel function or "category:tracepoint" */
	const char *metrics;	/* what it feeds */
	enum probe_mode mode;
	const char *variant;	/* e.g. "fexit+BH check", "tp_btf" */
	const char *note;	/* what a derived or partial mode cannot see */
	unsigned int caps;	/* PROBE_CAP_*: what the chosen mode measures beyond its counts */
	char reason[PROBE_REASON_LEN];	/* why better modes (or all) were not used */
};

struct skbtop_opts {
	const char *btf_path;		/* --btf FILE, NULL for /sys/kernel/btf/vmlinux */
	const char *only;		/* comma list of probe names to enable, NULL for all */
	const char *max_mode;		/* "kprobe", "tracepoint": skip better modes (testing) */
	bool verbose;			/* libbpf messages */
	bool prog_stats;		/* enable kernel BPF run-time stats while running */
	bool drop_detail;		/* -L: drops per (reason, device, queue, location) */
	bool drops_by_cpu;		/* per-CPU drops by reason too (snapshot.cpu_drop_*) */
};

struct skbtop;

/*
 * Detect features, open, configure, load and attach every probe. Returns
 * NULL with errno set only when nothing at all could be set up (e.g. not
 * permitted); individual probe failures are in the status table.
 */
struct skbtop *skbtop__open(const struct skbtop_opts *opts, char *err, size_t errlen);
/* Only detect: fill the status table without loading anything. */
struct skbtop *skbtop__detect(const struct skbtop_opts *opts, char *err, size_t errlen);
void skbtop__close(struct skbtop *st);

size_t skbtop__nprobes(const struct skbtop *st);
/*
 * What makes an attached probe's counts wrong (also in its note), the first
 * time it is asked after it was found at open or by a read; else NULL.
 */
const char *skbtop__new_warning(struct skbtop *st);
const struct probe_status *skbtop__probe(const struct skbtop *st, size_t i);
void skbtop__mode_counts(const struct skbtop *st, int *exact, int *derived, int *unavailable);
__u32 skbtop__ncpus(const struct skbtop *st);
/* Were BPF run-time stats asked for (--prog-stats)? */
bool skbtop__prog_stats(const struct skbtop *st);

/* Read every map once into s (reset by this call: zeroed, or reused). Returns 0 or -errno. */
int skbtop__read(struct skbtop *st, struct snapshot *s);

/* The kernel facts the probe chains asked, as a facts file (kfacts.h). */
int skbtop__dump_facts(const struct skbtop *st, FILE *f);

/* Human-readable probe table (for `skbtop probes`). */
struct ksyms;
struct reasons;
struct ksyms *skbtop__ksyms(const struct skbtop *st);
struct reasons *skbtop__reasons(const struct skbtop *st);

/*
 * Check a --probes list against the probe table: 0, or -EINVAL with
 * "unknown probe 'x' ... (valid: ...)" in err. Needs no privileges.
 */
int skbtop__check_probe_list(const char *list, char *err, size_t errlen);

/* Check privileges up front: 0, or -EPERM with a message in err. */
int skbtop__check_privileges(char *err, size_t errlen);

#endif
