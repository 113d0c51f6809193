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
#include "chain.h"
#include "kfacts.h"
#include "collect.h"
#include "ksyms.h"
#include "reasons.h"
#include "drops.skel.h"
#include "defer.skel.h"
#include "alloc.skel.h"
#include "consume.skel.h"
#include "softirq.skel.h"

/* Room for the probe table (chain.c checks it fits). */
#define NR_PROBES CHAIN_MAX_PROBES

struct skbtop {
	struct skbtop_opts opts;
	struct probe_status status[NR_PROBES];
	const struct variant *chosen[NR_PROBES];
	int chosen_idx[NR_PROBES];	/* index of chosen[i] in its probe's variants, -1 none */
	struct kfacts *facts;
	struct chain_opts chain;
	struct bpf_object *objs[NR_OBJS];
	struct drops_bpf *drops;
	struct defer_bpf *defer;
	struct alloc_bpf *alloc;
	struct consume_bpf *consume;
	struct softirq_bpf *softirq;
	struct bpf_link **links;
	const struct bpf_program **link_progs;
	size_t nlinks;
	struct btf *vmlinux_btf;
	struct ksyms *ksyms;
	struct reasons *reasons;
	__u32 ncpus;
	int stats_fd;
	bool loaded[NR_OBJS];
	struct collector col;	/* turns the map reads into snapshots */
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

/* ---- setup ---- */

static int bump_memlock(void)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };

	/* kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK */
	return setrlimit(RLIMIT_MEMLOCK, &r) ? -errno : 0;
}

int skbtop__check_probe_list(const char *list, char *err, size_t errlen)
{
	bool except = *list == '-';
	const char *p = list;

	for (;;) {
		size_t n, i, off;

		if ((*p == '-') != except) {
			snprintf(err, errlen, "--probes '%s': either names or -names (all but those), "
				 "not both", list);
			return -EINVAL;
		}
		p += except;
		n = strcspn(p, ",");

		for (i = 0; i < nr_probes; i++)
			if (strlen(probe_specs[i].name) == n && !strncmp(p, probe_specs[i].name, n))
				break;
		if (i == nr_probes) {
			off = snprintf(err, errlen, n ? "unknown probe '%.*s' in --probes (valid:"
						      : "empty name in --probes '%.*s' (valid:",
				       n ? (int)n : (int)strlen(list), n ? p : list);
			for (i = 0; i < nr_probes && off < errlen; i++)
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

/* (Re)choose probe i's variant from variant `from` on; `failed` says why the one before failed. */
static void choose(struct skbtop *st, size_t i, int from, const char *failed)
{
	int v = chain__choose(st->facts, &st->chain, i, from, failed, &st->status[i]);

	st->chosen_idx[i] = v;
	st->chosen[i] = v >= 0 ? &probe_specs[i].variants[v] : NULL;
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
		struct rlimit rl;
		char msg[128], lim[32];

		/* errno may be a libbpf code (LIBBPF_ERRNO__FORMAT for garbage) */
		libbpf_strerror(errno, msg, sizeof(msg));
		if (opts->btf_path)
			snprintf(err, errlen, "failed to load BTF from --btf %s: %s (want raw BTF "
				 "like /sys/kernel/btf/vmlinux, or an ELF file with .BTF)",
				 opts->btf_path, msg);
		else if (access("/sys/kernel/btf/vmlinux", R_OK))
			snprintf(err, errlen, "failed to load kernel BTF /sys/kernel/btf/vmlinux: "
				 "%s; the kernel needs CONFIG_DEBUG_INFO_BTF, or supply BTF "
				 "with --btf FILE", msg);
		else {	/* the kernel has it: parsing it failed (libbpf's errno can be
			 * ESRCH when a memory limit made an allocation fail) */
			snprintf(lim, sizeof(lim), "none");
			if (!getrlimit(RLIMIT_AS, &rl) && rl.rlim_cur != RLIM_INFINITY)
				snprintf(lim, sizeof(lim), "%llu KB",
					 (unsigned long long)rl.rlim_cur / 1024);
			snprintf(err, errlen, "failed to parse kernel BTF /sys/kernel/btf/vmlinux "
				 "(%s): out of memory? (address space limit, ulimit -v: %s)", msg,
				 lim);
		}
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
	st->facts = kfacts__live(st->ksyms, st->vmlinux_btf,
				 !stat("/sys/bus/event_source/devices/kprobe", &sb));
	if (!st->facts) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	st->chain = (struct chain_opts){ .only = opts->only, .max_mode = opts->max_mode,
					 .drop_detail = opts->drop_detail };
	for (size_t i = 0; i < nr_probes; i++)
		choose(st, i, 0, NULL);
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

/* Autoload the programs of the probes of o that have a variant (only: just that probe). */
static int configure_obj(struct skbtop *st, enum obj_id o, int only)
{
	struct bpf_object *obj = obj_of(st, o);
	struct bpf_program *prog;
	int used = 0;

	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (size_t i = 0; i < nr_probes; i++) {
		const struct variant *var = st->chosen[i];

		if (probe_specs[i].obj != o || !var || (only >= 0 && (size_t)only != i))
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
			chain__pick_name(st->facts, var->checks[0].target, name, sizeof(name));
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

/*
 * Testing hook: SKBTOP_FAIL_ATTACH=prog,... makes these programs' attach
 * fail (EPERM), as lockdown or an LSM would, to prove the demotion.
 */
static bool forced_attach_failure(const char *prog)
{
	const char *list = getenv("SKBTOP_FAIL_ATTACH"), *p = list;
	size_t n = strlen(prog);

	while (p && *p) {
		if (!strncmp(p, prog, n) && (p[n] == ',' || !p[n])) {
			errno = EPERM;
			return true;
		}
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/*
 * Run a syscall program (the cache fill level): 0, or -errno. It returns
 * how many CPUs it read; fewer than the possible CPUs is -ENXIO.
 */
static int run_prog(struct skbtop *st, const struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	if (forced_attach_failure(bpf_program__name(prog)))
		return -errno;
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		return -errno;
	return o.retval == st->ncpus ? 0 : -ENXIO;
}

/*
 * Attach program by program; a syscall program is run once instead, so
 * that it is proven as an attach is. A probe whose program fails to attach
 * (or run) loses its links and is moved to its next variant; returns how
 * many moved (the object must then be loaded again), or -ENOMEM.
 */
static int attach_obj(struct skbtop *st, enum obj_id o)
{
	int demoted = 0;

	for (size_t i = 0; i < nr_probes; i++) {
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
			if (bpf_program__type(prog) == BPF_PROG_TYPE_SYSCALL) {
				int e = run_prog(st, prog);

				errno = -e;
				link = NULL;
				if (!e)
					continue;
			} else {
				link = forced_attach_failure(var->progs[p]) ? NULL
									    : bpf_program__attach(prog);
			}
			if (!link) {
				char why[160];

				snprintf(why, sizeof(why), "%s %s failed: %s",
					 bpf_program__type(prog) == BPF_PROG_TYPE_SYSCALL ? "run"
											 : "attach",
					 var->progs[p], errno == ENXIO ? "it read fewer CPUs than "
					 "are possible" : strerror(errno));
				while (st->nlinks > first)
					bpf_link__destroy(st->links[--st->nlinks]);
				choose(st, i, st->chosen_idx[i] + 1, why);
				demoted++;
				break;
			}
			if (add_link(st, link, prog)) {
				bpf_link__destroy(link);
				return -ENOMEM;
			}
		}
	}
	return demoted;
}

/*
 * softirq_where's stack modes: the callers of handle_softirqs() (or
 * __do_softirq()) whose return address in the stack tells where a run came
 * from; a name this kernel lacks (or has under another suffix) is skipped.
 */
static void set_sirq_ranges(struct skbtop *st)
{
	static const struct { const char *name; __u32 loc; } callers[] = {
		{ "irq_exit_rcu", SIRQ_IRQ }, { "irq_exit", SIRQ_IRQ },
		{ "__irq_exit_rcu", SIRQ_IRQ }, { "run_ksoftirqd", SIRQ_KSOFTIRQD },
		{ "do_softirq", SIRQ_TASK }, { "do_softirq.part.0", SIRQ_TASK },
	};
	size_t n = 0;

	_Static_assert(sizeof(callers) / sizeof(callers[0]) <= SKBTOP_SIRQ_RANGES,
		       "raise SKBTOP_SIRQ_RANGES");
	for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++) {
		uint64_t lo, hi;

		if (ksyms__range(st->ksyms, callers[i].name, &lo, &hi))
			continue;
		st->softirq->rodata->where_lo[n] = lo;
		st->softirq->rodata->where_hi[n] = hi;
		st->softirq->rodata->where_loc[n++] = callers[i].loc;
	}
}

/* Open object o's skeleton afresh (closing the one before) and set its read-only data. */
static int open_obj(struct skbtop *st, enum obj_id o)
{
	uint64_t lo = 0, hi = 0;
	char name[64];
	size_t i;

	switch (o) {
	case OBJ_DROPS:
		drops_bpf__destroy(st->drops);
		st->drops = drops_bpf__open();
		if (!st->drops)
			return -errno;
		st->drops->rodata->drop_detail = st->opts.drop_detail;
		st->objs[o] = st->drops->obj;
		return 0;
	case OBJ_DEFER:
		defer_bpf__destroy(st->defer);
		st->defer = defer_bpf__open();
		if (!st->defer)
			return -errno;
		st->defer->rodata->trigger_rx_softirq_addr =
			ksyms__addr(st->ksyms, "trigger_rx_softirq");
		if (!ksyms__range(st->ksyms, "skb_defer_free_flush", &lo, &hi)) {
			st->defer->rodata->flush_text_lo = lo;
			st->defer->rodata->flush_text_hi = hi;
		}
		st->defer->rodata->nr_cpus = st->ncpus;
		st->objs[o] = st->defer->obj;
		return bpf_map__set_max_entries(st->defer->maps.kick_matrix, st->ncpus);
	case OBJ_ALLOC:
		alloc_bpf__destroy(st->alloc);
		st->alloc = alloc_bpf__open();
		if (!st->alloc)
			return -errno;
		/* kmem_cache_alloc_bulk() returns bool (all or nothing) in 7.2's BTF, a count in 6.12's */
		st->alloc->rodata->refill_returns_bool = kfacts__get(st->facts, KF_RET_BOOL,
			chain__pick_name(st->facts, "kmem_cache_alloc_bulk_noprof|kmem_cache_alloc_bulk",
					 name, sizeof(name)));
		st->alloc->rodata->nr_cpus = st->ncpus;
		i = chain__find("cache_refill");
		st->alloc->rodata->xsk_split = st->chosen[i] &&
					       (st->chosen[i]->caps & PROBE_CAP_XSK_SPLIT);
		st->objs[o] = st->alloc->obj;
		return 0;
	case OBJ_CONSUME:
		consume_bpf__destroy(st->consume);
		st->consume = consume_bpf__open();
		if (!st->consume)
			return -errno;
		if (!ksyms__range(st->ksyms, "napi_consume_skb", &lo, &hi)) {
			st->consume->rodata->consume_text_lo = lo;
			st->consume->rodata->consume_text_hi = hi;
		}
		st->objs[o] = st->consume->obj;
		return 0;
	case OBJ_SOFTIRQ:
		softirq_bpf__destroy(st->softirq);
		st->softirq = softirq_bpf__open();
		if (!st->softirq)
			return -errno;
		set_sirq_ranges(st);
		st->objs[o] = st->softirq->obj;
		return 0;
	default:
		return -EINVAL;
	}
}

/* No variant of probe i is left to try: unavailable, saying why the last one failed. */
static void give_up(struct skbtop *st, size_t i, const char *why)
{
	struct probe_status *s = &st->status[i];
	size_t used = strlen(s->reason);

	snprintf(s->reason + used, sizeof(s->reason) - used, "%s%s: %s", used ? "; " : "",
		 s->variant ? s->variant : "", why);
	s->mode = MODE_UNAVAILABLE;
	s->variant = NULL;
	s->note = NULL;
	s->caps = 0;
	st->chosen[i] = NULL;
	st->chosen_idx[i] = -1;
}

/*
 * Load object o with its probes' chosen variants and attach them. A probe
 * whose variant fails to load (found by loading each probe alone) or to
 * attach moves to its next variant and the object is opened and loaded
 * again: the other probes stay up. 0, or -errno when nothing can go on.
 */
static int load_obj(struct skbtop *st, enum obj_id o)
{
	size_t first = st->nlinks;
	char why[160];
	int e;

	for (int round = 0; round < 2 * MAX_VARIANTS * NR_PROBES; round++) {
		bool culprit = false;

		e = open_obj(st, o);
		e = e ?: configure_obj(st, o, -1);
		if (e <= 0)
			return e;	/* an error, or no probe of o left */
		e = bpf_object__load(st->objs[o]);
		if (!e) {
			e = attach_obj(st, o);
			if (e <= 0) {
				st->loaded[o] = !e;
				return e;
			}
			while (st->nlinks > first)	/* a probe moved: load again */
				bpf_link__destroy(st->links[--st->nlinks]);
			continue;
		}
		/* which probe's programs fail: load each alone */
		for (size_t i = 0; i < nr_probes; i++) {
			int r;

			if (probe_specs[i].obj != o || !st->chosen[i])
				continue;
			r = open_obj(st, o);
			r = r ?: configure_obj(st, o, i);
			if (r < 0)
				return r;
			r = bpf_object__load(st->objs[o]);
			if (r) {
				snprintf(why, sizeof(why), "load failed: %s", strerror(-r));
				choose(st, i, st->chosen_idx[i] + 1, why);
				culprit = true;
			}
		}
		if (!culprit) {	/* each loads alone, not together: none of them then */
			snprintf(why, sizeof(why), "load failed with the other probes of its object: %s",
				 strerror(-e));
			for (size_t i = 0; i < nr_probes; i++)
				if (probe_specs[i].obj == o && st->chosen[i])
					give_up(st, i, why);
		}
	}
	return 0;
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
		vmlinux = kfacts__kernel_btf_name(fd, name, sizeof(name)) && !strcmp(name, "vmlinux");
		close(fd);
		if (vmlinux)
			return id;
	}
	return 0;
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
	size_t i = chain__find("defer_flush");	/* status[] is in table order */
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
	size_t i = chain__find("defer_flush");	/* status[] is in table order */
	int func;

	if (i == nr_probes || !st->chosen[i] || st->opts.btf_path || !st->vmlinux_btf)
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
	for (int o = 0; o < NR_OBJS; o++) {
		e = load_obj(st, o);
		if (e) {
			snprintf(err, errlen, "failed to set up BPF object: %s", strerror(-e));
			goto fail;
		}
	}
	init_flush_check(st);
	check_flush_locations(st);
	st->flush_checked_ns = now_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < nr_probes; i++)
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
	if (collector__init(&st->col, st->ncpus, opts->drops_by_cpu)) {
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
	softirq_bpf__destroy(st->softirq);
	if (st->stats_fd >= 0)
		close(st->stats_fd);
	kfacts__free(st->facts);
	btf__free(st->vmlinux_btf);
	ksyms__free(st->ksyms);
	reasons__free(st->reasons);
	collector__free(&st->col);
	free(st);
}

const char *skbtop__new_warning(struct skbtop *st)
{
	if (!st->warning_new)
		return NULL;
	st->warning_new = false;
	return st->flush_note;
}

int skbtop__dump_facts(const struct skbtop *st, FILE *f)
{
	chain__ask_all(st->facts);
	fprintf(f, "# skbtop probes --facts: every kernel fact the probe chains ask\n");
	return kfacts__dump(st->facts, f);
}

size_t skbtop__nprobes(const struct skbtop *st)
{
	(void)st;
	return nr_probes;
}

const struct probe_status *skbtop__probe(const struct skbtop *st, size_t i)
{
	return i < nr_probes ? &st->status[i] : NULL;
}

void skbtop__mode_counts(const struct skbtop *st, int *exact, int *derived, int *unavailable)
{
	*exact = *derived = *unavailable = 0;
	for (size_t i = 0; i < nr_probes; i++) {
		switch (st->status[i].mode) {
		case MODE_DERIVED: (*derived)++; break;
		case MODE_UNAVAILABLE: (*unavailable)++; break;
		case MODE_DISABLED: break;
		default: (*exact)++;
		}
	}
}

bool skbtop__prog_stats(const struct skbtop *st)
{
	return st->opts.prog_stats;
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

/* ---- collector: the map reads (collect.c builds the snapshot) ---- */

static struct bpf_map *collect_map_of(struct skbtop *st, enum collect_map m)
{
	switch (m) {
	case CM_DROPS_CPU: return st->drops->maps.cpu_counters;
	case CM_DROP_REASONS: return st->drops->maps.drop_reasons;
	case CM_DROP_CELLS: return st->drops->maps.drop_cells;
	case CM_DROP_COUNTS: return st->drops->maps.drop_counts;
	case CM_QUEUE_SLOTS: return st->drops->maps.queue_slots;
	case CM_DROPS_QUEUES: return st->drops->maps.queue_counters;
	case CM_DEFER_CPU: return st->defer->maps.cpu_counters;
	case CM_KICKS: return st->defer->maps.kick_matrix;
	case CM_ALLOC_CPU: return st->alloc->maps.cpu_counters;
	case CM_ALLOC_QUEUES: return st->alloc->maps.queue_counters;
	case CM_CONSUME_CPU: return st->consume->maps.cpu_counters;
	case CM_CONSUME_QUEUES: return st->consume->maps.queue_counters;
	case CM_ALLOC_SENDMSG: return st->alloc->maps.sendmsg_hist;
	case CM_SOFTIRQ_CPU: return st->softirq->maps.cpu_counters;
	case CM_SOFTIRQ_TASK_CELLS: return st->softirq->maps.sirq_task_cells;
	case CM_SOFTIRQ_TASKS: return st->softirq->maps.sirq_tasks;
	case CM_NR: break;
	}
	return NULL;
}

static int map_lookup(void *arg, enum collect_map m, __u32 key, void *vals)
{
	return bpf_map_lookup_elem(bpf_map__fd(collect_map_of(arg, m)), &key, vals) ? -errno : 0;
}

/*
 * Walk a per-CPU map with batch lookups; row gets each key and its per-CPU
 * values. Falls back to key iteration where batch ops are missing.
 */
static int map_walk(void *arg, enum collect_map m, collect_row_fn row, struct collector *c,
		    struct snapshot *s)
{
	struct skbtop *st = arg;
	struct bpf_map *map = collect_map_of(st, m);
	size_t ksz = bpf_map__key_size(map), vsz = collect_stride(bpf_map__value_size(map)) * st->ncpus;
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
			err = row(c, s, keys + i * ksz, vals + i * vsz);
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
				err = row(c, s, next, vals);
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

static int map_progs(void *arg, struct snapshot *s)
{
	struct skbtop *st = arg;

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
	static const unsigned int obj_maps[NR_OBJS] = {
		[OBJ_DROPS] = 1u << CM_DROPS_CPU | 1u << CM_DROP_REASONS | 1u << CM_DROP_CELLS |
			      1u << CM_DROP_COUNTS | 1u << CM_QUEUE_SLOTS | 1u << CM_DROPS_QUEUES,
		[OBJ_DEFER] = 1u << CM_DEFER_CPU | 1u << CM_KICKS,
		[OBJ_ALLOC] = 1u << CM_ALLOC_CPU | 1u << CM_ALLOC_QUEUES | 1u << CM_ALLOC_SENDMSG,
		[OBJ_CONSUME] = 1u << CM_CONSUME_CPU | 1u << CM_CONSUME_QUEUES,
		[OBJ_SOFTIRQ] = 1u << CM_SOFTIRQ_CPU | 1u << CM_SOFTIRQ_TASK_CELLS |
				 1u << CM_SOFTIRQ_TASKS,
	};
	struct collect_source src = {
		.lookup = map_lookup, .walk = map_walk, .progs = map_progs, .arg = st,
	};
	int err;

	/* the fill levels first, into the cells the collector reads next */
	if (st->loaded[OBJ_ALLOC] && st->chosen[chain__find("cache_level")]) {
		err = run_prog(st, st->alloc->progs.cache_level_read);
		if (err)
			return err;
	}
	for (int o = 0; o < NR_OBJS; o++)
		if (st->loaded[o])
			src.maps |= obj_maps[o];
	err = collector__read(&st->col, &src, s);
	if (!err && s->mono_ns - st->flush_checked_ns >= 5000000000ULL) {
		check_flush_locations(st);
		st->flush_checked_ns = s->mono_ns;
	}
	return err;
}
