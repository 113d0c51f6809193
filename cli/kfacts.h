/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel facts the probe chains decide from: kallsyms, BTF (functions,
 * variables, parameter names, return types, tracepoint arity), tracefs, and
 * whether an fentry program loads and attaches. Each fact is asked once and
 * remembered. A facts file (kfacts__dump, `skbtop probes --facts`) answers
 * the same questions without the kernel: unit tests run every probe's chain
 * over the facts of each kernel of the rig.
 */
#ifndef SKBTOP_KFACTS_H
#define SKBTOP_KFACTS_H

#include <stdbool.h>
#include <stdio.h>

enum kfact {
	KF_SYMBOL,	/* name in kallsyms (text, data, or absolute per-CPU): 1/0 */
	KF_BTF_FUNC,	/* function in vmlinux or a loaded module's BTF: 1/0 */
	KF_FENTRY,	/* an fentry program on it loads and attaches: 0 or -errno */
	KF_KPROBE_PMU,	/* the kernel has a kprobe PMU (name "-"): 1/0 */
	KF_TP_BTF,	/* a tp_btf program on the tracepoint loads: 0 or -errno */
	KF_TRACEPOINT,	/* "cat:name" exists (tracefs or its btf_trace_ typedef): 1/0 */
	KF_TP_NARGS,	/* the tracepoint's arguments in BTF, -1 without BTF */
	KF_FUNC_ARG,	/* "func:arg": the function's BTF names that parameter: 1/0 */
	KF_BTF_VAR,	/* variable in vmlinux BTF (a typed __ksym resolves): 1/0 */
	KF_RET_BOOL,	/* the function's BTF return type is bool: 1/0 */
	NR_KFACTS
};

struct kfacts;
struct ksyms;
struct btf;

/* Facts of the running kernel; ks and btf are borrowed (btf may be NULL). */
struct kfacts *kfacts__live(const struct ksyms *ks, const struct btf *btf, bool kprobe_pmu);
/*
 * Facts from a file of "kind name value" lines (kfacts__dump); a fact the
 * file does not hold is absent (0, or -ENOENT). NULL with errno on error.
 */
struct kfacts *kfacts__load(const char *path, char *err, size_t errlen);
void kfacts__free(struct kfacts *kf);
int kfacts__get(struct kfacts *kf, enum kfact k, const char *name);
/* Whether fd is a kernel BTF object (vmlinux or a module's), and its name. */
bool kfacts__kernel_btf_name(int fd, char *name, unsigned int len);
/* Every fact asked so far, one per line, in the order asked. */
int kfacts__dump(const struct kfacts *kf, FILE *f);

#endif
