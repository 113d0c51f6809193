// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chain.h"

#define F(t) { CHECK_FENTRY, t }
#define K(t) { CHECK_KPROBE, t }
#define TB(t) { CHECK_TP_BTF, t }
#define TR(t) { CHECK_RAW_TP, t }
#define KS(t) { CHECK_KSYM, t }
#define BV(t) { CHECK_BTF_VAR, t }

/*
 * Function targets named "a|b" use the first name this kernel has
 * (kmem_cache_alloc_bulk became kmem_cache_alloc_bulk_noprof in 6.10,
 * commit 7bd230a26648 "mm/slab: enable slab allocation tagging for kmalloc").
 */
/*
 * The csd tracepoints pass the csd function as smp_call_func_t, a pointer to
 * a function prototype: tp_btf programs may not read such an argument (the
 * verifier only allows struct pointers and scalars), so they use raw_tp.
 */
const struct probe_spec probe_specs[] = {
	{ "drops", "drops", "skb:kfree_skb", "drops by reason and CPU (-L: + device, queue, location)",
	  OBJ_DROPS, {
		{ MODE_TP_BTF, "tp_btf", { "kfree_skb_btf" }, { TB("skb:kfree_skb") } },
		{ MODE_RAW_TP, "raw_tp", { "kfree_skb_raw" }, { TR("skb:kfree_skb") } },
	} },
	{ "tun_consume", "tun", "skb:consume_skb", "consume_skb() per tun/tap queue",
	  OBJ_DROPS, {
		{ MODE_TP_BTF, "tp_btf", { "tun_consume_btf" }, { TB("skb:consume_skb") } },
		{ MODE_RAW_TP, "raw_tp", { "tun_consume_raw" }, { TR("skb:consume_skb") } },
	} },
	{ "defer_queue", "defer", "skb_attempt_defer_free", "skbs queued per target CPU",
	  OBJ_DEFER, {
		{ MODE_FENTRY, "fentry", { "defer_queue" }, { F("skb_attempt_defer_free") } },
		{ MODE_KPROBE, "kprobe", { "defer_queue_kprobe" }, { K("skb_attempt_defer_free") } },
	} },
	{ "defer_kick", "defer", "csd:csd_queue_cpu", "kicks sender->target (func trigger_rx_softirq)",
	  OBJ_DEFER, {
		{ MODE_RAW_TP, "raw_tp", { "defer_kick_raw" },
		  { TR("csd:csd_queue_cpu"), { CHECK_KSYM, "trigger_rx_softirq" } } },
	} },
	{ "defer_ipi", "defer", "ipi:ipi_send_cpu", "IPIs sent for defer kicks",
	  OBJ_DEFER, {
		{ MODE_RAW_TP, "raw_tp", { "defer_ipi_raw", "defer_kick_raw" },
		  { TR("ipi:ipi_send_cpu"), TR("csd:csd_queue_cpu"),
		    { CHECK_KSYM, "trigger_rx_softirq" } } },
	} },
	{ "defer_recv", "defer", "csd:csd_function_entry", "kicks run on the target CPU",
	  OBJ_DEFER, {
		{ MODE_RAW_TP, "raw_tp", { "defer_recv_raw" },
		  { TR("csd:csd_function_entry"), { CHECK_KSYM, "trigger_rx_softirq" } } },
	} },
	/*
	 * No program on skb_defer_free_flush: its skbs are the consume_skb
	 * events located in it, and the last skb of a defer list (next ==
	 * NULL) closes the flush (probes/defer.bpf.c).
	 */
	{ "defer_flush", "defer", "skb_defer_free_flush", "flushes and skbs per flush",
	  OBJ_DEFER, {
		{ MODE_TP_BTF, "consume_skb location", { "flush_consume_btf" },
		  { TB("skb:consume_skb"), { CHECK_TP_ARGS, "skb:consume_skb:2" },
		    { CHECK_KSYM, "skb_defer_free_flush" } }, NULL, PROBE_CAP_FLUSH_COUNT },
		{ MODE_RAW_TP, "consume_skb location", { "flush_consume_raw" },
		  { TR("skb:consume_skb"), { CHECK_TP_ARGS, "skb:consume_skb:2" },
		    { CHECK_KSYM, "skb_defer_free_flush" } }, NULL, PROBE_CAP_FLUSH_COUNT },
	} },
	{ "cache_get", "cache", "napi_skb_cache_get",
	  "NAPI cache gets, hits, misses (refilled, fell back to the slab)",
	  OBJ_ALLOC, {
		{ MODE_FENTRY, "fentry+level", { "cache_get_alloc" },
		  { F("napi_skb_cache_get"), { CHECK_FUNC_ARG, "napi_skb_cache_get:alloc" },
		    KS("napi_alloc_cache"), BV("napi_alloc_cache") }, NULL, PROBE_CAP_CACHE_HITS },
		{ MODE_FENTRY, "fentry+level", { "cache_get" },
		  { F("napi_skb_cache_get"), KS("napi_alloc_cache"), BV("napi_alloc_cache") },
		  NULL, PROBE_CAP_CACHE_HITS },
		/* inline from 7.0: "net: inline napi_skb_cache_get()" */
		{ MODE_FENTRY, "callers+level",
		  { "cache_get_build", "cache_get_napi_alloc", "cache_get_napi_alloc_exit",
		    "cache_get_alloc_skb_exit", "cache_get_slab_fallback" },
		  { { CHECK_ABSENT, "napi_skb_cache_get" }, F("napi_build_skb"), F("napi_alloc_skb"),
		    F("__alloc_skb"), F("kmem_cache_alloc_node_noprof"), KS("napi_alloc_cache"),
		    KS("__preempt_count") },
		  "napi_skb_cache_get is inline: gets counted at napi_build_skb, napi_alloc_skb "
		  "and __alloc_skb; a process-context __alloc_skb with IRQs disabled (the kernel "
		  "skips the cache there; BPF cannot see the IRQ flag) counts as a miss",
		  PROBE_CAP_CACHE_HITS },
		{ MODE_FENTRY, "fentry (gets only)", { "cache_get_count" }, { F("napi_skb_cache_get") },
		  "no hits or misses: napi_alloc_cache not in kallsyms or BTF (KALLSYMS_ALL off)" },
		{ MODE_KPROBE, "kprobe (gets only)", { "cache_get_kprobe" }, { K("napi_skb_cache_get") },
		  "no hits or misses under kprobes" },
	} },
	{ "cache_put", "cache", "napi_skb_cache_put", "heads returned to the NAPI cache",
	  OBJ_ALLOC, {
		{ MODE_FENTRY, "fentry", { "cache_put" }, { F("napi_skb_cache_put") } },
	} },
	{ "cache_refill", "cache", "kmem_cache_alloc_bulk_noprof|kmem_cache_alloc_bulk",
	  "NAPI cache refills and other slab bulk allocations of skb heads",
	  OBJ_ALLOC, {
		/*
		 * xsk_alloc_batch_skb(): the xsk batch RFC ("xsk: add
		 * xsk_alloc_batch_skb() to build skbs in batch", net-next v3,
		 * Oct 2025); in no rig kernel, so these two variants are
		 * unit-tested over faked facts only (tests/unit/test_chain.c)
		 */
		{ MODE_FENTRY, "fexit+xsk", { "cache_refill", "cache_refill_bulk_entry",
					      "cache_refill_bulk_exit", "cache_refill_xsk_entry",
					      "cache_refill_xsk_exit" },
		  { F("kmem_cache_alloc_bulk_noprof|kmem_cache_alloc_bulk"),
		    F("napi_skb_cache_get_bulk"), F("xsk_alloc_batch_skb"), KS("napi_alloc_cache"),
		    BV("napi_alloc_cache") }, NULL, PROBE_CAP_XSK_SPLIT },
		{ MODE_FENTRY, "fexit+xsk", { "cache_refill", "cache_refill_xsk_entry",
					      "cache_refill_xsk_exit" },
		  { F("kmem_cache_alloc_bulk_noprof|kmem_cache_alloc_bulk"),
		    { CHECK_ABSENT, "napi_skb_cache_get_bulk" }, F("xsk_alloc_batch_skb"),
		    KS("napi_alloc_cache"), BV("napi_alloc_cache") }, NULL, PROBE_CAP_XSK_SPLIT },
		{ MODE_FENTRY, "fexit", { "cache_refill", "cache_refill_bulk_entry",
					  "cache_refill_bulk_exit" },
		  { F("kmem_cache_alloc_bulk_noprof|kmem_cache_alloc_bulk"),
		    F("napi_skb_cache_get_bulk"), KS("napi_alloc_cache"), BV("napi_alloc_cache") } },
		{ MODE_FENTRY, "fexit", { "cache_refill" },
		  { F("kmem_cache_alloc_bulk_noprof|kmem_cache_alloc_bulk"),
		    { CHECK_ABSENT, "napi_skb_cache_get_bulk" }, KS("napi_alloc_cache"),
		    BV("napi_alloc_cache") } },
	} },
	{ "cache_flush", "cache", "kmem_cache_free_bulk",
	  "NAPI cache flushes and other slab bulk frees of skb heads",
	  OBJ_ALLOC, {
		{ MODE_FENTRY, "fentry", { "cache_flush" },
		  { F("kmem_cache_free_bulk"), KS("napi_alloc_cache"), BV("napi_alloc_cache") } },
	} },
	/*
	 * Not attached: run at each read (bpf_prog_test_run), which proves it
	 * at open. bpf_per_cpu_ptr() on the per-CPU variable needs its address
	 * (kallsyms, KALLSYMS_ALL) and its type (BTF).
	 */
	{ "cache_level", "cache", "napi_alloc_cache", "NAPI cache fill level per CPU (a gauge)",
	  OBJ_ALLOC, {
		{ MODE_SYSCALL, "syscall", { "cache_level_read" },
		  { KS("napi_alloc_cache"), BV("napi_alloc_cache") }, NULL, PROBE_CAP_LEVEL },
	} },
	{ "bulk", "bulk", "napi_skb_cache_get_bulk", "bulk calls, asked, got, short, non-BH",
	  OBJ_ALLOC, {
		{ MODE_FENTRY, "fexit+BH check", { "bulk" },
		  { F("napi_skb_cache_get_bulk"), { CHECK_KSYM, "__preempt_count" } }, NULL,
		  PROBE_CAP_BH_CHECK },
		{ MODE_FENTRY, "fexit", { "bulk_nobh" }, { F("napi_skb_cache_get_bulk") },
		  "no BH-context check: __preempt_count not in kallsyms (KALLSYMS_ALL off)" },
		{ MODE_KPROBE, "kprobe+kretprobe", { "bulk_kprobe", "bulk_kretprobe" },
		  { K("napi_skb_cache_get_bulk") }, "no BH-context check under kprobes" },
	} },
	{ "build", "build", "napi_build_skb", "skbs built (build_skb, build_skb_around, napi_build_skb)",
	  OBJ_ALLOC, {
		{ MODE_FENTRY, "fentry", { "build", "build_around", "build_napi" },
		  { F("build_skb"), F("build_skb_around"), F("napi_build_skb") } },
		{ MODE_KPROBE, "kprobe", { "build_kprobe", "build_around_kprobe", "build_napi_kprobe" },
		  { K("build_skb"), K("build_skb_around"), K("napi_build_skb") } },
	} },
	{ "tun_sendmsg", "tun", "tun_sendmsg",
	  "per-queue attribution of builds and bulk calls; latency per queue and batch",
	  OBJ_ALLOC, {
		{ MODE_FENTRY, "fentry+fexit", { "tun_sendmsg_entry", "tun_sendmsg_exit" },
		  { F("tun_sendmsg") }, NULL, PROBE_CAP_SENDMSG_LAT },
	} },
	{ "consume", "consume", "napi_consume_skb", "budget 0, deferred, recycled",
	  OBJ_CONSUME, {
		{ MODE_FENTRY, "fentry+tp", { "consume_entry", "consume_defer", "consume_freed" },
		  { F("napi_consume_skb"), F("skb_attempt_defer_free"), TB("skb:consume_skb"),
		    { CHECK_TP_ARGS, "skb:consume_skb:2" } }, NULL, PROBE_CAP_DEFER_SPLIT },
		{ MODE_FENTRY, "fentry+tp (no location)",
		  { "consume_entry", "consume_defer", "consume_freed_noloc" },
		  { F("napi_consume_skb"), F("skb_attempt_defer_free"), TB("skb:consume_skb") },
		  NULL, PROBE_CAP_DEFER_SPLIT },
		{ MODE_FENTRY, "fentry+tp", { "consume_entry", "consume_freed" },
		  { F("napi_consume_skb"), TB("skb:consume_skb"), { CHECK_TP_ARGS, "skb:consume_skb:2" } },
		  "skb_attempt_defer_free not traceable: deferred calls not separated" },
		{ MODE_FENTRY, "fentry+tp (no location)", { "consume_entry", "consume_freed_noloc" },
		  { F("napi_consume_skb"), TB("skb:consume_skb") },
		  "skb_attempt_defer_free not traceable: deferred calls not separated" },
	} },
	{ "consume_task", "consume", "napi_consume_skb",
	  "non-zero budget in task context (outside a NAPI poll)",
	  OBJ_CONSUME, {
		{ MODE_FENTRY, "fentry+BH check", { "consume_task" },
		  { F("napi_consume_skb"), { CHECK_KSYM, "__preempt_count" } } },
	} },
	/*
	 * Where NET_RX/NET_TX ran (probes/softirq.bpf.c). The fexits come
	 * before the fentries: attached first, so no call in flight leaves a
	 * depth raised. The stack modes find the caller in the unwound stack.
	 */
	{ "softirq_where", "softirq", "irq:softirq_entry",
	  "NET_RX/NET_TX runs and time by where they ran: task, irq exit, ksoftirqd, idle",
	  OBJ_SOFTIRQ, {
		{ MODE_FENTRY, "fentry+tp_btf",
		  { "sirq_irq_exit_rcu_exit", "sirq_irq_exit_exit", "sirq_ksoftirqd_exit",
		    "sirq_irq_exit_rcu_entry", "sirq_irq_exit_entry", "sirq_ksoftirqd_entry",
		    "sirq_entry_btf", "sirq_exit_btf" },
		  { F("irq_exit_rcu"), F("irq_exit"), F("run_ksoftirqd"), TB("irq:softirq_entry"),
		    TB("irq:softirq_exit") } },
		{ MODE_TP_BTF, "tp_btf+stack", { "sirq_entry_stack_btf", "sirq_exit_btf" },
		  { TB("irq:softirq_entry"), TB("irq:softirq_exit"), KS("irq_exit_rcu"),
		    KS("run_ksoftirqd"), KS("do_softirq") },
		  "location from a walk of the kernel stack at each NET_RX/NET_TX entry: runs "
		  "whose walk finds no caller are counted as unknown", PROBE_CAP_SIRQ_STACK },
		{ MODE_RAW_TP, "raw_tp+stack", { "sirq_entry_stack_raw", "sirq_exit_raw" },
		  { TR("irq:softirq_entry"), TR("irq:softirq_exit"), KS("irq_exit_rcu"),
		    KS("run_ksoftirqd"), KS("do_softirq") },
		  "location from a walk of the kernel stack at each NET_RX/NET_TX entry: runs "
		  "whose walk finds no caller are counted as unknown", PROBE_CAP_SIRQ_STACK },
	} },
};

const size_t nr_probes = sizeof(probe_specs) / sizeof(probe_specs[0]);
_Static_assert(sizeof(probe_specs) / sizeof(probe_specs[0]) <= CHAIN_MAX_PROBES,
	       "raise CHAIN_MAX_PROBES");
size_t chain__find(const char *name)
{
	size_t i;

	for (i = 0; i < nr_probes && strcmp(probe_specs[i].name, name); i++)
		;
	return i;
}

/* Split "a|b" alternatives: the first name the kernel has (kallsyms). */
const char *chain__pick_name(struct kfacts *kf, const char *spec, char *buf, size_t len)
{
	const char *p = spec;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		snprintf(buf, len, "%.*s", (int)n, p);
		if (kfacts__get(kf, KF_SYMBOL, buf))
			return buf;
		p = bar ? bar + 1 : NULL;
	}
	/* none present: report the first */
	p = strchr(spec, '|');
	snprintf(buf, len, "%.*s", p ? (int)(p - spec) : (int)strlen(spec), spec);
	return buf;
}

static void errno_reason(int err, const char *what, const char *target, char *why, size_t len)
{
	if (err == -EPERM || err == -EACCES)
		snprintf(why, len, "%s on %s refused: %s (lockdown or LSM)", what, target,
			 strerror(-err));
	else if (err == -EINVAL && !strcmp(what, "fentry"))
		snprintf(why, len, "%s on %s rejected: %s (inlined or not traceable)", what,
			 target, strerror(-err));
	else
		snprintf(why, len, "%s on %s failed: %s", what, target, strerror(-err));
}

static int check_fentry(struct kfacts *kf, const char *spec, char *why, size_t len)
{
	char name[128];
	const char *func = chain__pick_name(kf, spec, name, sizeof(name));
	bool sym = kfacts__get(kf, KF_SYMBOL, func);
	int err;

	if (!kfacts__get(kf, KF_BTF_FUNC, func)) {
		if (sym)
			snprintf(why, len, "%s has a symbol but no BTF", func);
		else
			snprintf(why, len, "%s absent on this kernel (no symbol, no BTF)", func);
		return -ENOENT;
	}
	if (!sym) {
		snprintf(why, len, "%s is in BTF but has no symbol (inlined)", func);
		return -ENOENT;
	}
	err = kfacts__get(kf, KF_FENTRY, func);	/* loads and attaches a program */
	if (err)
		errno_reason(err, "fentry", func, why, len);
	return err;
}

static int check_kprobe(struct kfacts *kf, const char *spec, char *why, size_t len)
{
	char name[128];
	const char *func = chain__pick_name(kf, spec, name, sizeof(name));

	if (!kfacts__get(kf, KF_KPROBE_PMU, "-")) {
		snprintf(why, len, "no kprobe support (no kprobe PMU in /sys/bus/event_source)");
		return -EOPNOTSUPP;
	}
	if (!kfacts__get(kf, KF_SYMBOL, func)) {
		snprintf(why, len, "%s absent on this kernel (no symbol: inlined or removed)", func);
		return -ENOENT;
	}
	return 0;
}

static int check_tp_btf(struct kfacts *kf, const char *tp, char *why, size_t len)
{
	int err = kfacts__get(kf, KF_TP_BTF, tp);

	if (err == -ENOENT)
		snprintf(why, len, "tracepoint %s absent on this kernel (no btf_trace_%s)", tp,
			 strchr(tp, ':') ? strchr(tp, ':') + 1 : tp);
	else if (err)
		errno_reason(err, "tp_btf", tp, why, len);
	return err;
}

/* "skb:consume_skb:2": the tracepoint passes at least 2 arguments. */
static int check_tp_args(struct kfacts *kf, const char *spec, char *why, size_t len)
{
	char tp[96];
	const char *last = strrchr(spec, ':');
	int want = atoi(last + 1), n;

	snprintf(tp, sizeof(tp), "%.*s", (int)(last - spec), spec);
	n = kfacts__get(kf, KF_TP_NARGS, tp);
	if (n < 0 || n >= want)	/* no BTF to check against: trust the tracepoint */
		return 0;
	snprintf(why, len, "tracepoint %s has fewer than %d arguments on this kernel", tp, want);
	return -ENOTSUP;
}

static int run_check(struct kfacts *kf, const struct check *c, char *why, size_t len)
{
	switch (c->kind) {
	case CHECK_FENTRY: return check_fentry(kf, c->target, why, len);
	case CHECK_KPROBE: return check_kprobe(kf, c->target, why, len);
	case CHECK_TP_BTF: return check_tp_btf(kf, c->target, why, len);
	case CHECK_RAW_TP:
		if (kfacts__get(kf, KF_TRACEPOINT, c->target))
			return 0;
		snprintf(why, len, "tracepoint %s absent on this kernel", c->target);
		return -ENOENT;
	case CHECK_TP_ARGS: return check_tp_args(kf, c->target, why, len);
	case CHECK_KSYM:
		if (kfacts__get(kf, KF_SYMBOL, c->target))
			return 0;
		snprintf(why, len, "%s not in /proc/kallsyms", c->target);
		return -ENOENT;
	case CHECK_ABSENT:
		if (!kfacts__get(kf, KF_SYMBOL, c->target))
			return 0;
		snprintf(why, len, "%s is a function on this kernel (this mode is for where it is "
			 "inline)", c->target);
		return -EEXIST;
	case CHECK_BTF_VAR:
		if (kfacts__get(kf, KF_BTF_VAR, c->target))
			return 0;
		snprintf(why, len, "variable %s not in the kernel's BTF", c->target);
		return -ENOENT;
	case CHECK_FUNC_ARG:
		if (kfacts__get(kf, KF_FUNC_ARG, c->target))
			return 0;
		snprintf(why, len, "%.*s has no parameter %s on this kernel",
			 (int)(strrchr(c->target, ':') - c->target), c->target,
			 strrchr(c->target, ':') + 1);
		return -ENOENT;
	default: return 0;
	}
}

void chain__ask_all(struct kfacts *kf)
{
	char why[PROBE_REASON_LEN];

	for (size_t i = 0; i < nr_probes; i++)
		for (int v = 0; v < MAX_VARIANTS && probe_specs[i].variants[v].mode; v++)
			for (int c = 0; c < MAX_CHECKS && probe_specs[i].variants[v].checks[c].kind; c++)
				run_check(kf, &probe_specs[i].variants[v].checks[c], why, sizeof(why));
}

static bool mode_allowed(const struct chain_opts *o, enum probe_mode m)
{
	if (!o->max_mode)
		return true;
	if (!strcmp(o->max_mode, "kprobe"))
		return m != MODE_FENTRY;
	if (!strcmp(o->max_mode, "tracepoint"))
		return m != MODE_FENTRY && m != MODE_KPROBE;
	return true;
}

/* --probes: "a,b" selects those; "-a,-b" every probe but those. */
static bool probe_enabled(const struct chain_opts *o, const char *name)
{
	const char *p = o->only;
	size_t n = strlen(name);
	bool except;

	if (!p)
		return true;
	except = *p == '-';
	while (*p) {
		if (except && *p == '-')
			p++;
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return !except;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return except;
}

/* Append "label: why" to the reason, once each. */
static void add_reason(struct probe_status *s, const char *label, const char *why)
{
	size_t used = strlen(s->reason);

	if (strstr(s->reason, why))
		return;
	snprintf(s->reason + used, sizeof(s->reason) - used, "%s%s: %s", used ? "; " : "",
		 label, why);
}

int chain__choose(struct kfacts *kf, const struct chain_opts *o, size_t i, int from,
		  const char *failed, struct probe_status *s)
{
	const struct probe_spec *ps = &probe_specs[i];

	s->name = ps->name;
	s->group = ps->group;
	s->target = ps->target;
	s->metrics = ps->metrics;
	s->mode = MODE_UNAVAILABLE;
	s->variant = NULL;
	s->note = NULL;
	s->caps = 0;
	if (!from)
		s->reason[0] = 0;
	if (failed && from > 0)
		add_reason(s, ps->variants[from - 1].label, failed);
	if (!probe_enabled(o, ps->name)) {
		s->mode = MODE_DISABLED;
		snprintf(s->reason, sizeof(s->reason), "not selected (--probes)");
		return -1;
	}
	for (int v = from; v < MAX_VARIANTS && ps->variants[v].mode; v++) {
		const struct variant *var = &ps->variants[v];
		char why[PROBE_REASON_LEN] = "";
		int err = 0;

		if (!mode_allowed(o, var->mode)) {
			snprintf(why, sizeof(why), "%s skipped (--max-mode %s)", var->label,
				 o->max_mode);
			err = -1;
		}
		for (int c = 0; !err && c < MAX_CHECKS && var->checks[c].kind; c++)
			err = run_check(kf, &var->checks[c], why, sizeof(why));
		if (!err) {
			s->mode = var->mode;
			s->variant = var->label;
			s->note = var->note;
			s->caps = var->caps;
			/* -L changes what the drop probe keys its counts by: say so */
			if (o->drop_detail && !strcmp(ps->name, "drops"))
				s->note = "-L: counts per (reason, device, queue, location), "
					  "in a per-CPU cell or a hash";
			return v;
		}
		/* every mode tried and why it failed, best first */
		add_reason(s, var->label, why);
	}
	return -1;
}
