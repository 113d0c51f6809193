/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe table and its attach chains: for each probe, its variants best
 * first, each naming the kernel facts it needs (kfacts.h). Choosing runs on
 * facts alone, so unit tests run every chain over a faked kernel.
 */
#ifndef SKBTOP_CHAIN_H
#define SKBTOP_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include "kfacts.h"
#include "probes.h"

/* The BPF object a probe's programs live in. */
enum obj_id { OBJ_DROPS, OBJ_DEFER, OBJ_ALLOC, OBJ_CONSUME, OBJ_SOFTIRQ, NR_OBJS };

enum check_kind {
	CHECK_NONE = 0,
	CHECK_FENTRY,	/* function traceable with fentry/fexit */
	CHECK_KPROBE,	/* function probeable with a kprobe */
	CHECK_TP_BTF,	/* tracepoint usable as tp_btf */
	CHECK_RAW_TP,	/* tracepoint exists */
	CHECK_KSYM,	/* a (data) symbol is in kallsyms: typed __ksym works */
	CHECK_TP_ARGS,	/* tracepoint has at least N arguments (target "tp:N") */
	CHECK_ABSENT,	/* function has no symbol: inlined (or removed) on this kernel */
	CHECK_BTF_VAR,	/* a variable is in the kernel's BTF: a typed __ksym resolves */
	CHECK_FUNC_ARG,	/* function's BTF names this parameter (target "func:arg") */
};

struct check {
	enum check_kind kind;
	const char *target;
};

#define MAX_PROGS 8
#define MAX_CHECKS 7
#define MAX_VARIANTS 5

struct variant {
	enum probe_mode mode;
	const char *label;
	const char *progs[MAX_PROGS];
	struct check checks[MAX_CHECKS];
	const char *note;
	unsigned int caps;	/* PROBE_CAP_* */
};

struct probe_spec {
	const char *name;
	const char *group;
	const char *target;
	const char *metrics;
	enum obj_id obj;
	struct variant variants[MAX_VARIANTS];
};

/* Room for the table in per-probe arrays (chain.c checks that it fits). */
#define CHAIN_MAX_PROBES 24

extern const struct probe_spec probe_specs[];
extern const size_t nr_probes;

struct chain_opts {
	const char *only;	/* --probes: comma list, "-" before each: all but those; NULL: all */
	const char *max_mode;	/* --max-mode: "kprobe", "tracepoint", NULL */
	bool drop_detail;	/* -L */
};

/*
 * Fill s for probe i with the first of its variants, from variant `from`
 * on, whose checks pass (a variant before `from` failed to load or attach:
 * say why in `failed`, appended to the reason). Returns the variant's index,
 * or -1 when none passes (s->mode unavailable, or disabled by --probes).
 */
int chain__choose(struct kfacts *kf, const struct chain_opts *o, size_t i, int from,
		  const char *failed, struct probe_status *s);

/* Ask every fact every variant needs, whether chosen or not (a complete facts file). */
void chain__ask_all(struct kfacts *kf);

/* The function of a spec "a|b" the kernel has (the first one when neither). */
const char *chain__pick_name(struct kfacts *kf, const char *spec, char *buf, size_t len);

/* Probe i's index in the table by name; nr_probes when unknown. */
size_t chain__find(const char *name);

#endif
