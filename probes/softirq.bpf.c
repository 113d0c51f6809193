// SPDX-License-Identifier: GPL-2.0
/*
 * softirq_where: where NET_RX and NET_TX softirqs ran (kernel/softirq.c).
 * handle_softirqs() (__do_softirq() before 6.10) fires softirq_entry and
 * softirq_exit around each vector's action; it is reached from
 *   - irq_exit_rcu()/irq_exit() on hardirq exit (invoke_softirq()),
 *   - run_ksoftirqd() in this CPU's ksoftirqd,
 *   - do_softirq() in a task: __local_bh_enable_ip() when BH is enabled
 *     again with softirqs pending (local_bh_enable(), spin_unlock_bh(), the
 *     end of netif_rx()), and the idle task's flush of smp-call-function
 *     requests (do_softirq_post_smp_call_flush()).
 *
 * fentry mode: per-CPU depth counters of irq_exit_rcu()/irq_exit() and of
 * run_ksoftirqd() (fentry +1, fexit -1). Inside an irq exit nothing else
 * runs softirqs (do_softirq() returns when in_interrupt()), and softirqs
 * never nest, so at softirq_entry: irq depth > 0 is the irq exit, else
 * ksoftirqd depth > 0 is ksoftirqd, else it is do_softirq() in the current
 * task (idle when that is the idle task, pid 0). run_ksoftirqd() can sleep
 * (cond_resched() after the softirqs) with its depth raised, so its depth
 * counts only in the task that raised it (this CPU's ksoftirqd, bound to
 * it); irq_exit_rcu() never sleeps. The fexits attach before
 * the fentries (their order in the variant), so a call already in flight
 * never leaves a depth raised; a depth never goes below 0.
 *
 * tracepoint mode: a walk of the kernel stack at softirq_entry (up to
 * SKBTOP_SIRQ_STACK_DEPTH frames, bpf_get_stack()), the innermost return
 * address inside one of those callers decides; none found: unknown.
 *
 * softirq_entry decides the location and notes the time; softirq_exit counts
 * the run and its time (hardirqs that interrupt the softirq count in it), so
 * a run and its time always land in the same interval. Runs in a task's
 * do_softirq() are also counted per task and CPU, at softirq_exit: in the
 * task's cell of a per-CPU direct-mapped array (a compare and two adds), or,
 * when another task owns that cell, in a per-CPU hash (include/skbtop.h,
 * struct sirq_task_cell). Runs whose task has no room in either count in
 * sirq_task_untracked.
 */
#include "common.bpf.h"

#define NET_TX_SOFTIRQ_NR 2	/* include/linux/interrupt.h, stable since 2.6 */
#define NET_RX_SOFTIRQ_NR 3

/* tracepoint mode: text ranges of the callers, and the location each means */
const volatile __u64 where_lo[SKBTOP_SIRQ_RANGES];
const volatile __u64 where_hi[SKBTOP_SIRQ_RANGES];
const volatile __u32 where_loc[SKBTOP_SIRQ_RANGES];

struct sirq_state {
	__s64 irq_depth;	/* inside irq_exit_rcu()/irq_exit() */
	__s64 ksoftirqd_depth;	/* inside run_ksoftirqd() ... */
	__u64 ksoftirqd_task;	/* ... in this task (it may sleep there: cond_resched()) */
	__u64 ts;		/* softirq_entry of the run in progress */
	__u32 vec;		/* its SIRQ_NET_* + 1; 0: none in progress */
	__u32 loc;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sirq_state);
} sirq_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SKBTOP_SIRQ_TASK_CELLS);
	__type(key, __u32);
	__type(value, struct sirq_task_cell);
} sirq_task_cells SEC(".maps");

/* tasks whose cell another task owns */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SKBTOP_SIRQ_TASK_KEYS);
	__type(key, struct sirq_task_id);
	__type(value, struct sirq_task_cell);
} sirq_tasks SEC(".maps");

static __always_inline struct sirq_state *this_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sirq_state, &zero);
}

static __always_inline void depth_add(__s64 *d, int v)
{
	*d += v;
	if (*d < 0)
		*d = 0;
}

/* ---- fentry mode: where the run came from, by depth ---- */

SEC("fentry/irq_exit_rcu")
int BPF_PROG(sirq_irq_exit_rcu_entry)
{
	struct sirq_state *st = this_state();

	if (st)
		depth_add(&st->irq_depth, 1);
	return 0;
}

SEC("fexit/irq_exit_rcu")
int BPF_PROG(sirq_irq_exit_rcu_exit)
{
	struct sirq_state *st = this_state();

	if (st)
		depth_add(&st->irq_depth, -1);
	return 0;
}

SEC("fentry/irq_exit")
int BPF_PROG(sirq_irq_exit_entry)
{
	struct sirq_state *st = this_state();

	if (st)
		depth_add(&st->irq_depth, 1);
	return 0;
}

SEC("fexit/irq_exit")
int BPF_PROG(sirq_irq_exit_exit)
{
	struct sirq_state *st = this_state();

	if (st)
		depth_add(&st->irq_depth, -1);
	return 0;
}

SEC("fentry/run_ksoftirqd")
int BPF_PROG(sirq_ksoftirqd_entry)
{
	struct sirq_state *st = this_state();

	if (st) {
		depth_add(&st->ksoftirqd_depth, 1);
		st->ksoftirqd_task = bpf_get_current_task();
	}
	return 0;
}

SEC("fexit/run_ksoftirqd")
int BPF_PROG(sirq_ksoftirqd_exit)
{
	struct sirq_state *st = this_state();

	if (st)
		depth_add(&st->ksoftirqd_depth, -1);
	return 0;
}

/* ---- tracepoint mode: where the run came from, by a stack walk ---- */

static __always_inline __u32 loc_from_stack(void *ctx)
{
	__u64 ips[SKBTOP_SIRQ_STACK_DEPTH] = {};
	long n = bpf_get_stack(ctx, ips, sizeof(ips), 0);

	if (n <= 0)
		return SIRQ_UNKNOWN;
	for (int i = 0; i < SKBTOP_SIRQ_STACK_DEPTH; i++) {
		if (i * 8 >= n)
			break;
		for (int r = 0; r < SKBTOP_SIRQ_RANGES; r++)
			if (ips[i] >= where_lo[r] && ips[i] < where_hi[r])
				return where_loc[r];
	}
	return SIRQ_UNKNOWN;
}

/* ---- the one handler pair ---- */

static __always_inline int handle_entry(void *ctx, unsigned int vec_nr, bool stack)
{
	struct sirq_state *st = this_state();
	__u32 loc;

	if (vec_nr != NET_RX_SOFTIRQ_NR && vec_nr != NET_TX_SOFTIRQ_NR)
		return 0;
	if (!st)
		return 0;
	if (stack)
		loc = loc_from_stack(ctx);
	else if (st->irq_depth > 0)
		loc = SIRQ_IRQ;
	else if (st->ksoftirqd_depth > 0 && st->ksoftirqd_task == bpf_get_current_task())
		loc = SIRQ_KSOFTIRQD;
	else
		loc = SIRQ_TASK;
	if (loc == SIRQ_TASK && !(__u32)bpf_get_current_pid_tgid())
		loc = SIRQ_IDLE;
	if (loc >= SIRQ_NR_LOCS)
		loc = SIRQ_UNKNOWN;
	st->vec = (vec_nr == NET_RX_SOFTIRQ_NR ? SIRQ_NET_RX : SIRQ_NET_TX) + 1;
	st->loc = loc;
	st->ts = bpf_ktime_get_ns();
	return 0;
}

/* Take cell t for this task: one program run at a time per CPU, no race. */
static __always_inline void claim(struct sirq_task_cell *t, __u32 pid, __u32 tgid)
{
	bpf_get_current_comm(t->comm, sizeof(t->comm));
	t->tgid = tgid;
	asm volatile("" ::: "memory");	/* owner complete before it is marked */
	t->pid = pid;
}

/* This task's cell on this CPU: its own in the array, else in the hash. */
static __always_inline struct sirq_task_cell *task_cell(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = (__u32)id, tgid = id >> 32, i = sirq_task_cell_index(pid);
	struct sirq_task_id k = { .pid = pid, .tgid = tgid };
	struct sirq_task_cell *t = bpf_map_lookup_elem(&sirq_task_cells, &i);

	if (!t)
		return NULL;
	if (!t->pid)
		claim(t, pid, tgid);
	if (t->pid == pid && t->tgid == tgid)
		return t;
	t = bpf_map_lookup_elem(&sirq_tasks, &k);
	if (!t) {
		struct sirq_task_cell init = { .pid = pid, .tgid = tgid };

		bpf_get_current_comm(init.comm, sizeof(init.comm));
		return percpu_hash_get(&sirq_tasks, &k, &init);
	}
	/* made on another CPU: this CPU's copy started zeroed */
	if (!t->pid)
		claim(t, pid, tgid);
	return t;
}

static __always_inline int handle_exit(unsigned int vec_nr)
{
	struct sirq_state *st = this_state();
	struct sirq_task_cell *t;
	struct cpu_counters *c;
	__u32 v, loc;
	__u64 ns;

	if (vec_nr != NET_RX_SOFTIRQ_NR && vec_nr != NET_TX_SOFTIRQ_NR)
		return 0;
	if (!st || !st->vec)
		return 0;
	v = vec_nr == NET_RX_SOFTIRQ_NR ? SIRQ_NET_RX : SIRQ_NET_TX;
	loc = st->loc;
	if (st->vec != v + 1)
		return 0;
	st->vec = 0;
	c = this_cpu_counters();
	if (!c || loc >= SIRQ_NR_LOCS)
		return 0;
	ns = bpf_ktime_get_ns() - st->ts;
	INC(c->sirq_runs[v][loc]);
	ADD(c->sirq_ns[v][loc], ns);
	if (loc != SIRQ_TASK)
		return 0;
	t = task_cell();
	if (!t) {
		INC(c->sirq_task_untracked);
		return 0;
	}
	INC(t->n.runs[v]);
	ADD(t->n.ns[v], ns);
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(sirq_entry_btf, unsigned int vec_nr)
{
	return handle_entry(ctx, vec_nr, false);
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(sirq_entry_stack_btf, unsigned int vec_nr)
{
	return handle_entry(ctx, vec_nr, true);
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(sirq_entry_stack_raw, unsigned int vec_nr)
{
	return handle_entry(ctx, vec_nr, true);
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(sirq_exit_btf, unsigned int vec_nr)
{
	return handle_exit(vec_nr);
}

SEC("raw_tp/softirq_exit")
int BPF_PROG(sirq_exit_raw, unsigned int vec_nr)
{
	return handle_exit(vec_nr);
}
