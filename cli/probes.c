// SPDX-License-Identifier: GPL-2.0
/*
 * Probe table, feature detection and loader. Lifecycle per object:
 * open -> configure (rodata, max_entries, autoload, attach targets) ->
 * load -> attach program by program.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <malloc.h>
#include <bpf/libbpf.h>
#include "probes.h"
#include "dropcells.h"
#include "ksyms.h"
#include "reasons.h"
#include "drops.skel.h"
#include "defer.skel.h"
#include "alloc.skel.h"
#include "consume.skel.h"

enum obj_id { OBJ_DROPS, OBJ_DEFER, OBJ_ALLOC, OBJ_CONSUME, NR_OBJS };

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

#define MAX_PROGS 6
#define MAX_CHECKS 6
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
static const struct probe_spec probe_specs[] = {
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
	{ "defer_flush", "defer", "skb_defer_free_flush", "flushes and skbs per flush",
	  OBJ_DEFER, {
		{ MODE_FENTRY, "fexit", { "defer_flush_exit", "flush_consume_btf" },
		  { F("skb_defer_free_flush"), TB("skb:consume_skb"),
		    { CHECK_TP_ARGS, "skb:consume_skb:2" }, { CHECK_KSYM, "skb_defer_free_flush" } } },
		{ MODE_FENTRY, "fexit", { "defer_flush_exit", "flush_consume_raw" },
		  { F("skb_defer_free_flush"), TR("skb:consume_skb"),
		    { CHECK_TP_ARGS, "skb:consume_skb:2" }, { CHECK_KSYM, "skb_defer_free_flush" } } },
		{ MODE_DERIVED, "consume_skb location", { "flush_consume_btf" },
		  { TB("skb:consume_skb"), { CHECK_TP_ARGS, "skb:consume_skb:2" },
		    { CHECK_KSYM, "skb_defer_free_flush" } },
		  "skbs freed by flushes only (consume_skb events located in "
		  "skb_defer_free_flush); flush count and per-flush histogram need the fexit" },
		{ MODE_DERIVED, "consume_skb location", { "flush_consume_raw" },
		  { TR("skb:consume_skb"), { CHECK_TP_ARGS, "skb:consume_skb:2" },
		    { CHECK_KSYM, "skb_defer_free_flush" } },
		  "skbs freed by flushes only (consume_skb events located in "
		  "skb_defer_free_flush); flush count and per-flush histogram need the fexit" },
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
		    "cache_get_alloc_skb", "cache_get_alloc_skb_exit" },
		  { { CHECK_ABSENT, "napi_skb_cache_get" }, F("napi_build_skb"), F("napi_alloc_skb"),
		    F("__alloc_skb"), KS("napi_alloc_cache"), KS("__preempt_count") },
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
	{ "bulk", "bulk", "napi_skb_cache_get_bulk", "bulk calls, asked, got, short, non-BH",
	  OBJ_ALLOC, {
		{ MODE_FENTRY, "fexit+BH check", { "bulk" },
		  { F("napi_skb_cache_get_bulk"), { CHECK_KSYM, "__preempt_count" } } },
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
	{ "tun_sendmsg", "tun", "tun_sendmsg", "per-queue attribution of builds and bulk calls",
	  OBJ_ALLOC, {
		{ MODE_FENTRY, "fentry+fexit", { "tun_sendmsg_entry", "tun_sendmsg_exit" },
		  { F("tun_sendmsg") } },
	} },
	{ "consume", "consume", "napi_consume_skb", "budget 0, deferred, recycled",
	  OBJ_CONSUME, {
		{ MODE_FENTRY, "fentry+tp", { "consume_entry", "consume_defer", "consume_freed" },
		  { F("napi_consume_skb"), F("skb_attempt_defer_free"), TB("skb:consume_skb"),
		    { CHECK_TP_ARGS, "skb:consume_skb:2" } } },
		{ MODE_FENTRY, "fentry+tp (no location)",
		  { "consume_entry", "consume_defer", "consume_freed_noloc" },
		  { F("napi_consume_skb"), F("skb_attempt_defer_free"), TB("skb:consume_skb") } },
		{ MODE_FENTRY, "fentry+tp", { "consume_entry", "consume_freed" },
		  { F("napi_consume_skb"), TB("skb:consume_skb"), { CHECK_TP_ARGS, "skb:consume_skb:2" } },
		  "skb_attempt_defer_free not traceable: deferred calls not separated" },
		{ MODE_FENTRY, "fentry+tp (no location)", { "consume_entry", "consume_freed_noloc" },
		  { F("napi_consume_skb"), TB("skb:consume_skb") },
		  "skb_attempt_defer_free not traceable: deferred calls not separated" },
	} },
};

#define NR_PROBES (sizeof(probe_specs) / sizeof(probe_specs[0]))

struct skbtop {
	struct skbtop_opts opts;
	struct probe_status status[NR_PROBES];
	const struct variant *chosen[NR_PROBES];
	struct bpf_object *objs[NR_OBJS];
	struct drops_bpf *drops;
	struct defer_bpf *defer;
	struct alloc_bpf *alloc;
	struct consume_bpf *consume;
	struct bpf_link **links;
	const struct bpf_program **link_progs;
	size_t nlinks;
	struct btf *vmlinux_btf;
	struct ksyms *ksyms;
	struct reasons *reasons;
	__u32 ncpus;
	int stats_fd;
	bool have_kprobe_pmu;
	bool loaded[NR_OBJS];
	/* cached test-load results for fentry: errno per target name */
	char fentry_err[NR_PROBES * MAX_CHECKS][64];
	int fentry_errno[NR_PROBES * MAX_CHECKS];
	size_t nfentry;
	void *valbuf;		/* per-CPU value buffer for map reads */
	size_t valbuf_len;
	struct drop_cells cells;	/* -L cells of one read, merged into the drop rows */
	char flush_note[512];	/* defer_flush's note when another fexit hides it */
	__u32 napi_consume_btf_id;	/* for that look: 0 when it cannot be done */
	__u32 vmlinux_btf_obj_id;
	__u64 flush_checked_ns;	/* CLOCK_MONOTONIC of the last look for one */
	bool warning_new;	/* flush_note set and not yet handed out */
};

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!verbose_libbpf && level != LIBBPF_WARN)
		return 0;
	if (!verbose_libbpf)
		return 0;	/* warnings are turned into probe reasons instead */
	return vfprintf(stderr, fmt, args);
}

/* ---- feature checks ---- */

/* Split "a|b" alternatives: return the first name the kernel has (kallsyms). */
static const char *pick_name(const struct skbtop *st, const char *spec, char *buf, size_t len)
{
	const char *p = spec;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		snprintf(buf, len, "%.*s", (int)n, p);
		if (ksyms__addr(st->ksyms, buf))
			return buf;
		p = bar ? bar + 1 : NULL;
	}
	/* none present: report the first */
	p = strchr(spec, '|');
	snprintf(buf, len, "%.*s", p ? (int)(p - spec) : (int)strlen(spec), spec);
	return buf;
}

/* Whether fd is a kernel BTF object (vmlinux or a module's), and its name. */
static bool kernel_btf_name(int fd, char *name, __u32 len)
{
	struct bpf_btf_info info = {};
	__u32 info_len = sizeof(info);

	memset(name, 0, len);
	info.name = (__u64)(unsigned long)name;
	info.name_len = len;
	return !bpf_obj_get_info_by_fd(fd, &info, &info_len) && info.kernel_btf;
}

/* Find a function's BTF: vmlinux, or the module whose kallsyms tag names it. */
static int find_func_btf(struct skbtop *st, const char *func, int *btf_id, int *btf_obj_fd,
			 char *why, size_t whylen)
{
	__u32 id = 0;
	int ret;

	*btf_obj_fd = 0;
	if (!st->vmlinux_btf) {
		snprintf(why, whylen, "no kernel BTF");
		return -ENOENT;
	}
	ret = btf__find_by_name_kind(st->vmlinux_btf, func, BTF_KIND_FUNC);
	if (ret > 0) {
		*btf_id = ret;
		return 0;
	}
	/* module BTF objects loaded in the kernel */
	while (!bpf_btf_get_next_id(id, &id)) {
		char name[64];
		struct btf *mod;
		int fd;

		fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!kernel_btf_name(fd, name, sizeof(name)) || !strcmp(name, "vmlinux")) {
			close(fd);
			continue;
		}
		mod = btf__load_from_kernel_by_id_split(id, st->vmlinux_btf);
		ret = mod ? btf__find_by_name_kind(mod, func, BTF_KIND_FUNC) : -ENOENT;
		btf__free(mod);
		if (ret > 0) {
			*btf_id = ret;
			*btf_obj_fd = fd;
			return 0;
		}
		close(fd);
	}
	if (ksyms__addr(st->ksyms, func))
		snprintf(why, whylen, "%s has a symbol but no BTF", func);
	else
		snprintf(why, whylen, "%s absent on this kernel (no symbol, no BTF)", func);
	return -ENOENT;
}

static int test_load_tracing(enum bpf_attach_type type, int btf_id, int btf_obj_fd)
{
	/* r0 = 0; exit */
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = type,
		    .attach_btf_id = btf_id,
		    .attach_btf_obj_fd = btf_obj_fd);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
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

static int check_fentry(struct skbtop *st, const char *spec, char *why, size_t len)
{
	char name[128];
	const char *func = pick_name(st, spec, name, sizeof(name));
	int btf_id, obj_fd, err;

	for (size_t i = 0; i < st->nfentry; i++)
		if (!strcmp(st->fentry_err[i], func)) {
			err = st->fentry_errno[i];
			goto done;
		}
	err = find_func_btf(st, func, &btf_id, &obj_fd, why, len);
	if (err)
		return err;
	if (!ksyms__addr(st->ksyms, func)) {
		snprintf(why, len, "%s is in BTF but has no symbol (inlined)", func);
		if (obj_fd > 0)
			close(obj_fd);
		return -ENOENT;
	}
	err = test_load_tracing(BPF_TRACE_FENTRY, btf_id, obj_fd);
	if (obj_fd > 0)
		close(obj_fd);
	if (st->nfentry < sizeof(st->fentry_errno) / sizeof(st->fentry_errno[0])) {
		snprintf(st->fentry_err[st->nfentry], sizeof(st->fentry_err[0]), "%s", func);
		st->fentry_errno[st->nfentry++] = err;
	}
done:
	if (err)
		errno_reason(err, "fentry", func, why, len);
	return err;
}

static int check_kprobe(struct skbtop *st, const char *spec, char *why, size_t len)
{
	char name[128];
	const char *func = pick_name(st, spec, name, sizeof(name));

	if (!st->have_kprobe_pmu) {
		snprintf(why, len, "no kprobe support (no kprobe PMU in /sys/bus/event_source)");
		return -EOPNOTSUPP;
	}
	if (!ksyms__addr(st->ksyms, func)) {
		snprintf(why, len, "%s absent on this kernel (no symbol: inlined or removed)", func);
		return -ENOENT;
	}
	return 0;
}

/* "cat:name" -> name */
static const char *tp_name(const char *tp)
{
	const char *c = strchr(tp, ':');

	return c ? c + 1 : tp;
}

static bool tracefs_has(const char *tp)
{
	char path[256], cat[64];
	const char *c = strchr(tp, ':');
	struct stat sb;

	if (!c)
		return false;
	snprintf(cat, sizeof(cat), "%.*s", (int)(c - tp), tp);
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", cat, c + 1);
	if (!stat(path, &sb))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/%s", cat, c + 1);
	return !stat(path, &sb);
}

static int tp_btf_id(const struct skbtop *st, const char *tp)
{
	char tname[128];

	if (!st->vmlinux_btf)
		return -ENOENT;
	snprintf(tname, sizeof(tname), "btf_trace_%s", tp_name(tp));
	return btf__find_by_name_kind(st->vmlinux_btf, tname, BTF_KIND_TYPEDEF);
}

static int check_tp_btf(struct skbtop *st, const char *tp, char *why, size_t len)
{
	int id = tp_btf_id(st, tp), err;

	if (id <= 0) {
		snprintf(why, len, "tracepoint %s absent on this kernel (no btf_trace_%s)", tp,
			 tp_name(tp));
		return -ENOENT;
	}
	err = test_load_tracing(BPF_TRACE_RAW_TP, id, 0);
	if (err)
		errno_reason(err, "tp_btf", tp, why, len);
	return err;
}

static int check_raw_tp(struct skbtop *st, const char *tp, char *why, size_t len)
{
	if (tp_btf_id(st, tp) > 0 || tracefs_has(tp))
		return 0;
	snprintf(why, len, "tracepoint %s absent on this kernel", tp);
	return -ENOENT;
}

/* "skb:consume_skb:2": the tracepoint passes at least 2 arguments. */
static int check_tp_args(struct skbtop *st, const char *spec, char *why, size_t len)
{
	char tp[96];
	const char *last = strrchr(spec, ':');
	int want = atoi(last + 1), id, proto;
	const struct btf_type *t;

	snprintf(tp, sizeof(tp), "%.*s", (int)(last - spec), spec);
	id = tp_btf_id(st, tp);
	if (id <= 0)
		return 0;	/* no BTF to check against: trust the tracepoint */
	t = btf__type_by_id(st->vmlinux_btf, id);	/* typedef -> ptr -> func_proto */
	t = btf__type_by_id(st->vmlinux_btf, t->type);
	proto = t->type;
	t = btf__type_by_id(st->vmlinux_btf, proto);
	/* the first parameter is the tracepoint's void *__data */
	if (btf_is_func_proto(t) && (int)btf_vlen(t) - 1 >= want)
		return 0;
	snprintf(why, len, "tracepoint %s has fewer than %d arguments on this kernel", tp, want);
	return -ENOTSUP;
}

/* The FUNC_PROTO of a vmlinux function, or NULL. */
static const struct btf_type *func_proto(const struct skbtop *st, const char *func)
{
	int id = st->vmlinux_btf ? btf__find_by_name_kind(st->vmlinux_btf, func, BTF_KIND_FUNC) : -1;
	const struct btf_type *t;

	if (id <= 0)
		return NULL;
	t = btf__type_by_id(st->vmlinux_btf, id);
	t = t ? btf__type_by_id(st->vmlinux_btf, t->type) : NULL;
	return t && btf_is_func_proto(t) ? t : NULL;
}

/* "napi_skb_cache_get:alloc": the function's BTF has a parameter of that name. */
static int check_func_arg(struct skbtop *st, const char *spec, char *why, size_t len)
{
	char func[96];
	const char *arg = strrchr(spec, ':') + 1;
	const struct btf_type *proto;
	const struct btf_param *p;

	snprintf(func, sizeof(func), "%.*s", (int)(arg - 1 - spec), spec);
	proto = func_proto(st, func);
	p = proto ? btf_params(proto) : NULL;
	for (int i = 0; p && i < btf_vlen(proto); i++)
		if (!strcmp(btf__name_by_offset(st->vmlinux_btf, p[i].name_off), arg))
			return 0;
	snprintf(why, len, "%s has no parameter %s on this kernel", func, arg);
	return -ENOENT;
}

/* Whether a vmlinux function returns bool (through typedefs and modifiers). */
static bool func_returns_bool(const struct skbtop *st, const char *func)
{
	const struct btf_type *proto = func_proto(st, func);
	const struct btf_type *t;

	if (!proto)
		return false;
	t = btf__type_by_id(st->vmlinux_btf, proto->type);
	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(st->vmlinux_btf, t->type);
	return t && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL);
}

static int run_check(struct skbtop *st, const struct check *c, char *why, size_t len)
{
	switch (c->kind) {
	case CHECK_FENTRY: return check_fentry(st, c->target, why, len);
	case CHECK_KPROBE: return check_kprobe(st, c->target, why, len);
	case CHECK_TP_BTF: return check_tp_btf(st, c->target, why, len);
	case CHECK_RAW_TP: return check_raw_tp(st, c->target, why, len);
	case CHECK_TP_ARGS: return check_tp_args(st, c->target, why, len);
	case CHECK_KSYM:
		if (ksyms__has(st->ksyms, c->target))
			return 0;
		snprintf(why, len, "%s not in /proc/kallsyms", c->target);
		return -ENOENT;
	case CHECK_ABSENT:
		if (!ksyms__addr(st->ksyms, c->target))
			return 0;
		snprintf(why, len, "%s is a function on this kernel (this mode is for where it is "
			 "inline)", c->target);
		return -EEXIST;
	case CHECK_BTF_VAR:
		if (st->vmlinux_btf &&
		    btf__find_by_name_kind(st->vmlinux_btf, c->target, BTF_KIND_VAR) > 0)
			return 0;
		snprintf(why, len, "variable %s not in the kernel's BTF", c->target);
		return -ENOENT;
	case CHECK_FUNC_ARG: return check_func_arg(st, c->target, why, len);
	default: return 0;
	}
}

static bool mode_allowed(const struct skbtop *st, enum probe_mode m)
{
	const char *max = st->opts.max_mode;

	if (!max)
		return true;
	if (!strcmp(max, "kprobe"))
		return m != MODE_FENTRY;
	if (!strcmp(max, "tracepoint"))
		return m != MODE_FENTRY && m != MODE_KPROBE;
	return true;
}

static bool probe_enabled(const struct skbtop *st, const char *name)
{
	const char *p = st->opts.only;
	size_t n = strlen(name);

	if (!p)
		return true;
	while (*p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return false;
}

static void choose_variants(struct skbtop *st)
{
	for (size_t i = 0; i < NR_PROBES; i++) {
		const struct probe_spec *ps = &probe_specs[i];
		struct probe_status *s = &st->status[i];
		bool first_reason = true;

		s->name = ps->name;
		s->group = ps->group;
		s->target = ps->target;
		s->metrics = ps->metrics;
		s->mode = MODE_UNAVAILABLE;
		if (!probe_enabled(st, ps->name)) {
			s->mode = MODE_DISABLED;
			snprintf(s->reason, sizeof(s->reason), "not selected (--probes)");
			continue;
		}
		for (int v = 0; v < MAX_VARIANTS && ps->variants[v].mode; v++) {
			const struct variant *var = &ps->variants[v];
			char why[PROBE_REASON_LEN] = "";
			int err = 0;

			if (!mode_allowed(st, var->mode)) {
				snprintf(why, sizeof(why), "%s skipped (--max-mode %s)", var->label,
					 st->opts.max_mode);
				err = -1;
			}
			for (int c = 0; !err && c < MAX_CHECKS && var->checks[c].kind; c++)
				err = run_check(st, &var->checks[c], why, sizeof(why));
			if (!err) {
				st->chosen[i] = var;
				s->mode = var->mode;
				s->variant = var->label;
				s->note = var->note;
				s->caps = var->caps;
				break;
			}
			/* every mode tried and why it failed, best first, once each */
			if (!strstr(s->reason, why)) {
				size_t used = strlen(s->reason);

				snprintf(s->reason + used, sizeof(s->reason) - used, "%s%s: %s",
					 first_reason ? "" : "; ", var->label, why);
				first_reason = false;
			}
		}
		/* -L changes what the drop probe keys its counts by: say so */
		if (st->chosen[i] && st->opts.drop_detail && !strcmp(ps->name, "drops"))
			s->note = "-L: counts per (reason, device, queue, location), "
				  "in a per-CPU cell or a hash";
	}
}

/* ---- setup ---- */

static int bump_memlock(void)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };

	/* kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK */
	return setrlimit(RLIMIT_MEMLOCK, &r) ? -errno : 0;
}

int skbtop__check_probe_list(const char *list, char *err, size_t errlen)
{
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ","), i, off;

		for (i = 0; i < NR_PROBES; i++)
			if (strlen(probe_specs[i].name) == n && !strncmp(p, probe_specs[i].name, n))
				break;
		if (i == NR_PROBES) {
			off = snprintf(err, errlen, n ? "unknown probe '%.*s' in --probes (valid:"
						      : "empty name in --probes '%.*s' (valid:",
				       n ? (int)n : (int)strlen(list), n ? p : list);
			for (i = 0; i < NR_PROBES && off < errlen; i++)
				off += snprintf(err + off, errlen - off, " %s", probe_specs[i].name);
			if (off < errlen)
				snprintf(err + off, errlen - off, ")");
			return -EINVAL;
		}
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

int skbtop__check_privileges(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(err, errlen, "failed to read capabilities: %s", strerror(errno));
		return -errno;
	}
	eff = ((__u64)data[1].effective << 32) | data[0].effective;
#ifndef CAP_BPF
#define CAP_BPF 39
#define CAP_PERFMON 38
#endif
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return 0;
	if ((eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON)))
		return 0;
	snprintf(err, errlen, "needs root, or CAP_BPF, CAP_PERFMON and CAP_SYSLOG "
		 "(run it with sudo)");
	return -EPERM;
}

static struct skbtop *skbtop_new(const struct skbtop_opts *opts, char *err, size_t errlen)
{
	struct skbtop *st = calloc(1, sizeof(*st));
	struct stat sb;
	int n;

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->opts = *opts;
	st->stats_fd = -1;
	verbose_libbpf = opts->verbose;
	libbpf_set_print(libbpf_print);
	n = libbpf_num_possible_cpus();
	if (n <= 0) {
		snprintf(err, errlen, "failed to count possible CPUs: %s", strerror(-n));
		goto fail;
	}
	st->ncpus = n;
	st->ksyms = ksyms__load(NULL);
	if (!st->ksyms) {
		snprintf(err, errlen, "failed to read /proc/kallsyms: %s", strerror(errno));
		goto fail;
	}
	if (!ksyms__addr(st->ksyms, "kfree_skb_reason") && !ksyms__addr(st->ksyms, "sk_skb_reason_drop") &&
	    !ksyms__addr(st->ksyms, "consume_skb")) {
		/* kallsyms_show_value(): CAP_SYSLOG, and kptr_restrict < 2 */
		snprintf(err, errlen, "/proc/kallsyms shows no addresses: reading them needs "
			 "CAP_SYSLOG (root has it) and kernel.kptr_restrict below 2");
		goto fail;
	}
	st->vmlinux_btf = opts->btf_path ? btf__parse(opts->btf_path, NULL)
					 : btf__load_vmlinux_btf();
	if (!st->vmlinux_btf) {
		char msg[128];

		/* errno may be a libbpf code (LIBBPF_ERRNO__FORMAT for garbage) */
		libbpf_strerror(errno, msg, sizeof(msg));
		if (opts->btf_path)
			snprintf(err, errlen, "failed to load BTF from --btf %s: %s (want raw BTF "
				 "like /sys/kernel/btf/vmlinux, or an ELF file with .BTF)",
				 opts->btf_path, msg);
		else
			snprintf(err, errlen, "failed to load kernel BTF /sys/kernel/btf/vmlinux: "
				 "%s; the kernel needs CONFIG_DEBUG_INFO_BTF, or supply BTF "
				 "with --btf FILE", msg);
		goto fail;
	}
	st->reasons = reasons__load(opts->btf_path, opts->btf_path ? "" : NULL);
	if (!st->reasons) {
		if (errno == ENOMSG)
			snprintf(err, errlen, "kernel too old: its BTF has no enum skb_drop_reason "
				 "(added in Linux 5.17); skbtop needs Linux 5.17 or later");
		else
			snprintf(err, errlen, "failed to read drop reasons from BTF: %s",
				 strerror(errno));
		goto fail;
	}
	st->have_kprobe_pmu = !stat("/sys/bus/event_source/devices/kprobe", &sb);
	choose_variants(st);
	return st;
fail:
	skbtop__close(st);
	return NULL;
}

struct skbtop *skbtop__detect(const struct skbtop_opts *opts, char *err, size_t errlen)
{
	return skbtop_new(opts, err, errlen);
}

static struct bpf_object *obj_of(struct skbtop *st, enum obj_id o)
{
	return st->objs[o];
}

static void set_obj_probes_unavailable(struct skbtop *st, enum obj_id o, const char *fmt, int err)
{
	for (size_t i = 0; i < NR_PROBES; i++) {
		if (probe_specs[i].obj != o || !st->chosen[i])
			continue;
		snprintf(st->status[i].reason, PROBE_REASON_LEN, fmt, strerror(-err));
		st->status[i].mode = MODE_UNAVAILABLE;
		st->status[i].variant = NULL;
		st->status[i].caps = 0;
		st->chosen[i] = NULL;
	}
}

static int configure_obj(struct skbtop *st, enum obj_id o)
{
	struct bpf_object *obj = obj_of(st, o);
	struct bpf_program *prog;
	int used = 0;

	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (size_t i = 0; i < NR_PROBES; i++) {
		const struct variant *var = st->chosen[i];

		if (probe_specs[i].obj != o || !var)
			continue;
		for (int p = 0; p < MAX_PROGS && var->progs[p]; p++) {
			prog = bpf_object__find_program_by_name(obj, var->progs[p]);
			if (!prog)
				return -ENOENT;
			bpf_program__set_autoload(prog, true);
			used++;
		}
		/* functions with alternative names: attach to the one this kernel has */
		if (var->mode == MODE_FENTRY && strchr(var->checks[0].target, '|')) {
			char name[128];

			prog = bpf_object__find_program_by_name(obj, var->progs[0]);
			pick_name(st, var->checks[0].target, name, sizeof(name));
			bpf_program__set_attach_target(prog, 0, name);
		}
	}
	return used;
}

static bool prog_attached(const struct skbtop *st, const struct bpf_program *prog)
{
	for (size_t l = 0; l < st->nlinks; l++)
		if (st->link_progs[l] == prog)
			return true;
	return false;
}

static int add_link(struct skbtop *st, struct bpf_link *link, const struct bpf_program *prog)
{
	struct bpf_link **links = realloc(st->links, (st->nlinks + 1) * sizeof(*links));
	const struct bpf_program **progs;

	if (links)
		st->links = links;
	progs = realloc(st->link_progs, (st->nlinks + 1) * sizeof(*progs));
	if (progs)
		st->link_progs = progs;
	if (!links || !progs)
		return -ENOMEM;
	st->links[st->nlinks] = link;
	st->link_progs[st->nlinks++] = prog;
	return 0;
}

/* Attach program by program: a failure marks only its probe unavailable. */
static int attach_obj(struct skbtop *st, enum obj_id o)
{
	for (size_t i = 0; i < NR_PROBES; i++) {
		const struct variant *var = st->chosen[i];
		size_t first = st->nlinks;

		if (probe_specs[i].obj != o || !var)
			continue;
		for (int p = 0; p < MAX_PROGS && var->progs[p]; p++) {
			struct bpf_program *prog =
				bpf_object__find_program_by_name(obj_of(st, o), var->progs[p]);
			struct bpf_link *link;

			/* a program shared by two probes (defer_kick) attaches once */
			if (prog_attached(st, prog))
				continue;
			link = bpf_program__attach(prog);
			if (!link) {
				snprintf(st->status[i].reason, PROBE_REASON_LEN,
					 "attach %s failed: %s", var->progs[p], strerror(errno));
				st->status[i].mode = MODE_UNAVAILABLE;
				st->status[i].variant = NULL;
				st->status[i].caps = 0;
				st->chosen[i] = NULL;
				while (st->nlinks > first)
					bpf_link__destroy(st->links[--st->nlinks]);
				break;
			}
			if (add_link(st, link, prog)) {
				bpf_link__destroy(link);
				return -ENOMEM;
			}
		}
	}
	return 0;
}

static int set_rodata(struct skbtop *st)
{
	uint64_t lo = 0, hi = 0;
	char name[64];

	st->defer->rodata->trigger_rx_softirq_addr = ksyms__addr(st->ksyms, "trigger_rx_softirq");
	if (!ksyms__range(st->ksyms, "skb_defer_free_flush", &lo, &hi)) {
		st->defer->rodata->flush_text_lo = lo;
		st->defer->rodata->flush_text_hi = hi;
	}
	if (!ksyms__range(st->ksyms, "napi_consume_skb", &lo, &hi)) {
		st->consume->rodata->consume_text_lo = lo;
		st->consume->rodata->consume_text_hi = hi;
	}
	/* kmem_cache_alloc_bulk() returns bool (all or nothing) in 7.2's BTF, a count in 6.12's */
	st->alloc->rodata->refill_returns_bool = func_returns_bool(st,
		pick_name(st, "kmem_cache_alloc_bulk_noprof|kmem_cache_alloc_bulk", name,
			  sizeof(name)));
	st->defer->rodata->nr_cpus = st->ncpus;
	st->drops->rodata->drop_detail = st->opts.drop_detail;
	return bpf_map__set_max_entries(st->defer->maps.kick_matrix, st->ncpus);
}

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The kernel's id of the vmlinux BTF object, 0 if not found. */
static __u32 find_vmlinux_btf_obj(void)
{
	__u32 id = 0;

	while (!bpf_btf_get_next_id(id, &id)) {
		char name[16];
		int fd = bpf_btf_get_fd_by_id(id);
		bool vmlinux;

		if (fd < 0)
			continue;
		vmlinux = kernel_btf_name(fd, name, sizeof(name)) && !strcmp(name, "vmlinux");
		close(fd);
		if (vmlinux)
			return id;
	}
	return 0;
}

/* The index of the named probe in the status table (NR_PROBES if none). */
static size_t probe_index(const struct skbtop *st, const char *name)
{
	size_t i;

	for (i = 0; i < NR_PROBES && strcmp(st->status[i].name, name); i++)
		;
	return i;
}

/*
 * defer_flush finds a flush's skbs by napi_consume_skb()'s return address
 * in consume_skb events. An fexit or fmod_ret on napi_consume_skb (skbtop
 * attaches neither) calls it from a trampoline, whose address replaces the
 * flush's: flushes then read 0. Name the program that does this, in the
 * probe's note. Checked at attach and then every 5 s of reads (a program
 * attached in between hides the flushes until the next look); a kretprobe
 * or the function_graph tracer, which rewrite the return address too, go
 * unnoticed. Once set, the note stays: the counts of that run are short.
 */
static void check_flush_locations(struct skbtop *st)
{
	size_t i = probe_index(st, "defer_flush");
	__u32 id = 0;

	if (st->flush_note[0] || !st->napi_consume_btf_id)
		return;
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_TRACING &&
		    (info.tracing.attach_type == BPF_TRACE_FEXIT ||
		     info.tracing.attach_type == BPF_MODIFY_RETURN) &&
		    info.tracing.target_obj_id == st->vmlinux_btf_obj_id &&
		    info.tracing.target_btf_id == st->napi_consume_btf_id) {
			snprintf(st->flush_note, sizeof(st->flush_note),
				 "BPF prog %u has an %s on napi_consume_skb: consume_skb locations "
				 "point into its trampoline, so flushes and their skbs read 0 while it "
				 "is attached%s%s", info.prog_id,
				 info.tracing.attach_type == BPF_TRACE_FEXIT ? "fexit" : "fmod_ret",
				 st->status[i].note ? "; " : "",
				 st->status[i].note ? st->status[i].note : "");
			st->status[i].note = st->flush_note;
			st->warning_new = true;
			close(fd);
			return;
		}
		close(fd);
	}
}

/* The ids check_flush_locations() matches links by, once: only for an attached defer_flush. */
static void init_flush_check(struct skbtop *st)
{
	size_t i = probe_index(st, "defer_flush");
	int func;

	if (i == NR_PROBES || !st->chosen[i] || st->opts.btf_path || !st->vmlinux_btf)
		return;
	func = btf__find_by_name_kind(st->vmlinux_btf, "napi_consume_skb", BTF_KIND_FUNC);
	st->vmlinux_btf_obj_id = find_vmlinux_btf_obj();
	if (func > 0 && st->vmlinux_btf_obj_id)
		st->napi_consume_btf_id = func;
}

struct skbtop *skbtop__open(const struct skbtop_opts *opts, char *err, size_t errlen)
{
	struct skbtop *st = skbtop_new(opts, err, errlen);
	int e, any = 0;

	if (!st)
		return NULL;
	bump_memlock();
	st->drops = drops_bpf__open();
	st->defer = defer_bpf__open();
	st->alloc = alloc_bpf__open();
	st->consume = consume_bpf__open();
	if (!st->drops || !st->defer || !st->alloc || !st->consume) {
		snprintf(err, errlen, "failed to open BPF objects: %s", strerror(errno));
		goto fail;
	}
	st->objs[OBJ_DROPS] = st->drops->obj;
	st->objs[OBJ_DEFER] = st->defer->obj;
	st->objs[OBJ_ALLOC] = st->alloc->obj;
	st->objs[OBJ_CONSUME] = st->consume->obj;
	e = set_rodata(st);
	if (e) {
		snprintf(err, errlen, "failed to size kick matrix: %s", strerror(-e));
		goto fail;
	}
	for (int o = 0; o < NR_OBJS; o++) {
		int used = configure_obj(st, o);

		if (used < 0) {
			snprintf(err, errlen, "failed to configure BPF object: %s", strerror(-used));
			goto fail;
		}
		if (!used)
			continue;
		e = bpf_object__load(st->objs[o]);
		if (e) {
			set_obj_probes_unavailable(st, o, "load failed: %s", e);
			continue;
		}
		st->loaded[o] = true;
		e = attach_obj(st, o);
		if (e) {
			snprintf(err, errlen, "failed to attach: %s", strerror(-e));
			goto fail;
		}
	}
	init_flush_check(st);
	check_flush_locations(st);
	st->flush_checked_ns = now_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < NR_PROBES; i++)
		if (st->chosen[i])
			any++;
	if (!any) {
		snprintf(err, errlen, "no probe could be attached (see `skbtop probes`)");
		errno = ENOTSUP;
		goto fail;
	}
	if (opts->prog_stats) {
		/* run-time stats stay on while this fd is open; the kernel restores them */
		st->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	}
	st->valbuf_len = st->ncpus * sizeof(struct cpu_counters);
	/*
	 * Zeroed: valgrind does not know per-CPU lookups fill ncpus values, nor
	 * batch lookups at all, and would flag every counter read as undefined.
	 */
	st->valbuf = calloc(1, st->valbuf_len);
	if (!st->valbuf || drop_cells__init(&st->cells, st->ncpus)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/*
	 * Setup (kallsyms, BTF, object loads) grows and frees buffers of
	 * megabytes; hand the freed pages back rather than keep them resident
	 * for the whole run.
	 */
	malloc_trim(0);
	return st;
fail:
	skbtop__close(st);
	return NULL;
}

void skbtop__close(struct skbtop *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	free(st->links);
	free(st->link_progs);
	drops_bpf__destroy(st->drops);
	defer_bpf__destroy(st->defer);
	alloc_bpf__destroy(st->alloc);
	consume_bpf__destroy(st->consume);
	if (st->stats_fd >= 0)
		close(st->stats_fd);
	btf__free(st->vmlinux_btf);
	ksyms__free(st->ksyms);
	reasons__free(st->reasons);
	free(st->valbuf);
	drop_cells__free(&st->cells);
	free(st);
}

const char *skbtop__new_warning(struct skbtop *st)
{
	if (!st->warning_new)
		return NULL;
	st->warning_new = false;
	return st->flush_note;
}

size_t skbtop__nprobes(const struct skbtop *st)
{
	(void)st;
	return NR_PROBES;
}

const struct probe_status *skbtop__probe(const struct skbtop *st, size_t i)
{
	return i < NR_PROBES ? &st->status[i] : NULL;
}

void skbtop__mode_counts(const struct skbtop *st, int *exact, int *derived, int *unavailable)
{
	*exact = *derived = *unavailable = 0;
	for (size_t i = 0; i < NR_PROBES; i++) {
		switch (st->status[i].mode) {
		case MODE_DERIVED: (*derived)++; break;
		case MODE_UNAVAILABLE: (*unavailable)++; break;
		case MODE_DISABLED: break;
		default: (*exact)++;
		}
	}
}

__u32 skbtop__ncpus(const struct skbtop *st)
{
	return st->ncpus;
}

struct ksyms *skbtop__ksyms(const struct skbtop *st)
{
	return st->ksyms;
}

struct reasons *skbtop__reasons(const struct skbtop *st)
{
	return st->reasons;
}

/* ---- collector ---- */

static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static int read_cpu_counters(struct skbtop *st, struct bpf_map *map, struct snapshot *s)
{
	size_t stride = round8(sizeof(struct cpu_counters));
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(map), &zero, st->valbuf))
		return -errno;
	for (__u32 c = 0; c < st->ncpus; c++) {
		const __u64 *v = (const __u64 *)((char *)st->valbuf + c * stride);
		__u64 *acc = (__u64 *)&s->cpus[c];

		for (size_t w = 0; w < sizeof(struct cpu_counters) / 8; w++)
			acc[w] += v[w];
	}
	return 0;
}

static int read_kicks(struct skbtop *st, struct snapshot *s)
{
	size_t stride = round8(sizeof(struct kick_cell));
	int fd = bpf_map__fd(st->defer->maps.kick_matrix);

	for (__u32 t = 0; t < st->ncpus; t++) {
		if (bpf_map_lookup_elem(fd, &t, st->valbuf))
			return -errno;
		for (__u32 c = 0; c < st->ncpus; c++)
			s->kicks[c * st->ncpus + t] =
				*(struct kick_cell *)((char *)st->valbuf + c * stride);
	}
	return 0;
}

/*
 * Walk a per-CPU hash with batch lookups; fn gets each key and its per-CPU
 * values. Falls back to key iteration where batch ops are missing.
 */
typedef int (*row_fn)(struct skbtop *st, struct snapshot *s, const void *key, const void *vals);

static int read_percpu_hash(struct skbtop *st, struct bpf_map *map, struct snapshot *s, row_fn fn)
{
	size_t ksz = bpf_map__key_size(map), vsz = round8(bpf_map__value_size(map)) * st->ncpus;
	__u32 batch = snapshot_batch_keys(vsz), count;
	int fd = bpf_map__fd(map), err = 0;
	/* zeroed for valgrind, as valbuf (it has no model of BPF_MAP_LOOKUP_BATCH) */
	char *keys = calloc(batch, ksz), *vals = calloc(batch, vsz);
	void *in = NULL, *out = calloc(1, ksz);
	bool done = false;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (!keys || !vals || !out) {
		err = -ENOMEM;
		goto out;
	}
	while (!done) {
		count = batch;
		err = bpf_map_lookup_batch(fd, in, out, keys, vals, &count, &opts);
		if (err && errno == ENOSPC && batch < 4096) {
			/* a hash bucket holds more keys than the batch: retry it bigger */
			free(keys);
			free(vals);
			batch *= 2;
			keys = calloc(batch, ksz);
			vals = calloc(batch, vsz);
			if (!keys || !vals) {
				err = -ENOMEM;
				break;
			}
			continue;
		}
		if (err && errno == ENOENT) {
			err = 0;
			done = true;
		} else if (err) {
			err = -errno;
			break;
		}
		for (__u32 i = 0; i < count && !err; i++)
			err = fn(st, s, keys + i * ksz, vals + i * vsz);
		if (err)
			break;
		if (!in)
			in = calloc(1, ksz);
		if (!in) {
			err = -ENOMEM;
			break;
		}
		memcpy(in, out, ksz);
	}
	if (err == -EINVAL || err == -ENOTSUP) {
		/* no batch support: iterate keys */
		void *cur = NULL;
		char *next = keys;

		err = 0;
		while (!bpf_map_get_next_key(fd, cur, next)) {
			if (!bpf_map_lookup_elem(fd, next, vals))
				err = fn(st, s, next, vals);
			if (err)
				break;
			memcpy(out, next, ksz);
			cur = out;
		}
	}
out:
	free(keys);
	free(vals);
	free(in);
	free(out);
	return err;
}

/* One index of the -L cell array: each CPU's owner, kept for the merge. */
static int cell_row(struct skbtop *st, struct snapshot *s, const void *key, const void *vals)
{
	(void)s;
	(void)key;
	drop_cells__add(&st->cells, vals, round8(sizeof(struct drop_cell)));
	return 0;
}

/* Drop rows of one key, and the per-CPU drop totals (the probe keeps no other). */
static int drop_row(struct skbtop *st, struct snapshot *s, const void *key, const void *vals)
{
	return drop_cells__hash_row(&st->cells, s, key, vals, st->opts.drops_by_cpu);
}

/* One slot of the per-reason drop array: rows with no device or location. */
static int reason_row(struct skbtop *st, struct snapshot *s, const void *key, const void *vals)
{
	struct drop_key dk = { .reason = drop_slot_reason(*(const __u32 *)key) };

	/* no location: never the key of a -L cell, so nothing to merge */
	return snapshot__add_percpu_drops(s, &dk, vals, st->opts.drops_by_cpu);
}

/* Add c to the row of key, or append one (rows of a queue come from several maps). */
static int merge_queue(struct snapshot *s, const struct queue_key *key,
		       const struct queue_counters *c)
{
	for (size_t i = 0; i < s->nqueues; i++) {
		if (memcmp(&s->queues[i].key, key, sizeof(*key)))
			continue;
		for (size_t w = 0; w < sizeof(*c) / 8; w++)
			((__u64 *)&s->queues[i].c)[w] += ((const __u64 *)c)[w];
		return 0;
	}
	return snapshot__add_queue(s, key, c);
}

static int queue_row(struct skbtop *st, struct snapshot *s, const void *key, const void *vals)
{
	size_t stride = round8(sizeof(struct queue_counters));
	struct queue_counters sum = {};

	for (__u32 c = 0; c < st->ncpus; c++) {
		const __u64 *v = (const __u64 *)((const char *)vals + c * stride);

		for (size_t w = 0; w < sizeof(sum) / 8; w++)
			((__u64 *)&sum)[w] += v[w];
	}
	return merge_queue(s, key, &sum);
}

/* One cell of the per-CPU direct-mapped tun queue array: each CPU's owner. */
static int queue_slot_row(struct skbtop *st, struct snapshot *s, const void *key,
			  const void *vals)
{
	size_t stride = round8(sizeof(struct queue_slot));

	(void)key;
	for (__u32 c = 0; c < st->ncpus; c++) {
		const struct queue_slot *cell =
			(const struct queue_slot *)((const char *)vals + c * stride);
		struct queue_counters qc = { .drops = cell->drops, .consumes = cell->consumes };
		struct queue_key qk;
		int err;

		if (!cell->key.ifindex)
			continue;
		qk = cell->key;
		qk.pad = 0;
		qk.ifname[SKBTOP_IFNAMSIZ - 1] = '\0';
		err = merge_queue(s, &qk, &qc);
		if (err)
			return err;
	}
	return 0;
}



static int read_progs(struct skbtop *st, struct snapshot *s)
{
	for (int o = 0; o < NR_OBJS; o++) {
		struct bpf_program *prog;

		if (!st->loaded[o])
			continue;
		bpf_object__for_each_program(prog, st->objs[o]) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int err;

			if (!bpf_program__autoload(prog) || bpf_program__fd(prog) < 0)
				continue;
			if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
				continue;
			err = snapshot__add_prog(s, bpf_program__name(prog), info.run_time_ns,
						 info.run_cnt);
			if (err)
				return err;
			s->progs[s->nprogs - 1].misses = info.recursion_misses;
		}
	}
	return 0;
}

int skbtop__read(struct skbtop *st, struct snapshot *s)
{
	struct rusage ru;
	int err;

	err = snapshot__reset(s, st->ncpus);
	if (err)
		return err;
	s->mono_ns = now_ns(CLOCK_MONOTONIC);
	s->real_ns = now_ns(CLOCK_REALTIME);
	if (st->loaded[OBJ_DROPS]) {
		err = read_cpu_counters(st, st->drops->maps.cpu_counters, s);
		err = err ?: read_percpu_hash(st, st->drops->maps.drop_reasons, s, reason_row);
		st->cells.ncells = 0;
		err = err ?: read_percpu_hash(st, st->drops->maps.drop_cells, s, cell_row);
		drop_cells__sort(&st->cells);
		err = err ?: read_percpu_hash(st, st->drops->maps.drop_counts, s, drop_row);
		err = err ?: drop_cells__rest(&st->cells, s, st->opts.drops_by_cpu);
		err = err ?: read_percpu_hash(st, st->drops->maps.queue_slots, s, queue_slot_row);
		err = err ?: read_percpu_hash(st, st->drops->maps.queue_counters, s, queue_row);
	}
	if (!err && st->loaded[OBJ_DEFER]) {
		err = read_cpu_counters(st, st->defer->maps.cpu_counters, s);
		err = err ?: read_kicks(st, s);
	}
	if (!err && st->loaded[OBJ_ALLOC]) {
		err = read_cpu_counters(st, st->alloc->maps.cpu_counters, s);
		err = err ?: read_percpu_hash(st, st->alloc->maps.queue_counters, s, queue_row);
	}
	if (!err && st->loaded[OBJ_CONSUME]) {
		err = read_cpu_counters(st, st->consume->maps.cpu_counters, s);
		err = err ?: read_percpu_hash(st, st->consume->maps.queue_counters, s, queue_row);
	}
	err = err ?: read_progs(st, s);
	if (!err && s->mono_ns - st->flush_checked_ns >= 5000000000ULL) {
		check_flush_locations(st);
		st->flush_checked_ns = s->mono_ns;
	}
	if (!err && !getrusage(RUSAGE_SELF, &ru))
		s->user_cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
				 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
	if (err)
		snapshot__free(s);
	return err;
}
