// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kfacts.h"
#include "ksyms.h"

static const char *const kind_names[NR_KFACTS] = {
	[KF_SYMBOL] = "symbol",		[KF_BTF_FUNC] = "btf_func",
	[KF_FENTRY] = "fentry",		[KF_KPROBE_PMU] = "kprobe_pmu",
	[KF_TP_BTF] = "tp_btf",		[KF_TRACEPOINT] = "tracepoint",
	[KF_TP_NARGS] = "tp_nargs",	[KF_FUNC_ARG] = "func_arg",
	[KF_BTF_VAR] = "btf_var",	[KF_RET_BOOL] = "ret_bool",
};

struct fact {
	enum kfact kind;
	char *name;
	int value;
};

struct kfacts {
	struct fact *facts;
	size_t n, cap;
	bool live;
	const struct ksyms *ks;
	const struct btf *btf;
	bool kprobe_pmu;
};

/* ---- the running kernel ---- */

bool kfacts__kernel_btf_name(int fd, char *name, unsigned int len)
{
	struct bpf_btf_info info = {};
	__u32 info_len = sizeof(info);

	memset(name, 0, len);
	info.name = (__u64)(unsigned long)name;
	info.name_len = len;
	return !bpf_obj_get_info_by_fd(fd, &info, &info_len) && info.kernel_btf;
}

/* A function's BTF id in vmlinux (*obj_fd 0) or in a loaded module (*obj_fd its fd). */
static int find_func_btf(const struct kfacts *kf, const char *func, int *obj_fd)
{
	__u32 id = 0;
	int ret;

	*obj_fd = 0;
	if (!kf->btf)
		return -ENOENT;
	ret = btf__find_by_name_kind(kf->btf, func, BTF_KIND_FUNC);
	if (ret > 0)
		return ret;
	while (!bpf_btf_get_next_id(id, &id)) {
		char name[64];
		struct btf *mod;
		int fd = bpf_btf_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!kfacts__kernel_btf_name(fd, name, sizeof(name)) || !strcmp(name, "vmlinux")) {
			close(fd);
			continue;
		}
		mod = btf__load_from_kernel_by_id_split(id, (struct btf *)kf->btf);
		ret = mod ? btf__find_by_name_kind(mod, func, BTF_KIND_FUNC) : -ENOENT;
		btf__free(mod);
		if (ret > 0) {
			*obj_fd = fd;
			return ret;
		}
		close(fd);
	}
	return -ENOENT;
}

/* Load "r0 = 0; exit" as a tracing program and attach it: 0 or -errno. */
static int try_tracing(enum bpf_attach_type type, int btf_id, int btf_obj_fd)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = type,
		    .attach_btf_id = btf_id,
		    .attach_btf_obj_fd = btf_obj_fd);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts), link, err = 0;

	if (fd < 0)
		return -errno;
	link = bpf_link_create(fd, 0, type, NULL);
	if (link < 0)
		err = -errno;
	else
		close(link);
	close(fd);
	return err;
}

static int tp_btf_id(const struct kfacts *kf, const char *tp)
{
	char tname[128];
	const char *c = strchr(tp, ':');

	if (!kf->btf)
		return -ENOENT;
	snprintf(tname, sizeof(tname), "btf_trace_%s", c ? c + 1 : tp);
	return btf__find_by_name_kind(kf->btf, tname, BTF_KIND_TYPEDEF);
}

static bool tracefs_has(const char *tp)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	const char *c = strchr(tp, ':');
	char path[256];
	struct stat sb;

	for (int i = 0; c && i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events/%.*s/%s", roots[i], (int)(c - tp), tp, c + 1);
		if (!stat(path, &sb))
			return true;
	}
	return false;
}

/* The FUNC_PROTO of a vmlinux function, or NULL. */
static const struct btf_type *func_proto(const struct btf *btf, const char *func)
{
	int id = btf ? btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) : -1;
	const struct btf_type *t;

	if (id <= 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_func_proto(t) ? t : NULL;
}

static int live_fact(const struct kfacts *kf, enum kfact k, const char *name)
{
	const struct btf_type *t;
	int id, fd, err;

	switch (k) {
	case KF_SYMBOL:
		return ksyms__has(kf->ks, name);
	case KF_BTF_FUNC:
		id = find_func_btf(kf, name, &fd);
		if (fd > 0)
			close(fd);
		return id > 0;
	case KF_FENTRY:
		id = find_func_btf(kf, name, &fd);
		if (id <= 0)
			return -ENOENT;
		err = try_tracing(BPF_TRACE_FENTRY, id, fd);
		if (fd > 0)
			close(fd);
		return err;
	case KF_KPROBE_PMU:
		return kf->kprobe_pmu;
	case KF_TP_BTF:
		id = tp_btf_id(kf, name);
		return id > 0 ? try_tracing(BPF_TRACE_RAW_TP, id, 0) : -ENOENT;
	case KF_TRACEPOINT:
		return tp_btf_id(kf, name) > 0 || tracefs_has(name);
	case KF_TP_NARGS:
		id = tp_btf_id(kf, name);
		if (id <= 0)
			return -1;
		t = btf__type_by_id(kf->btf, id);	/* typedef -> ptr -> func_proto */
		t = t ? btf__type_by_id(kf->btf, t->type) : NULL;
		t = t ? btf__type_by_id(kf->btf, t->type) : NULL;
		/* the first parameter is the tracepoint's void *__data */
		return t && btf_is_func_proto(t) ? (int)btf_vlen(t) - 1 : -1;
	case KF_FUNC_ARG: {
		const char *arg = strrchr(name, ':');
		char func[128];

		if (!arg)
			return 0;
		snprintf(func, sizeof(func), "%.*s", (int)(arg - name), name);
		t = func_proto(kf->btf, func);
		for (int i = 0; t && i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(kf->btf, btf_params(t)[i].name_off), arg + 1))
				return 1;
		return 0;
	}
	case KF_BTF_VAR:
		return kf->btf && btf__find_by_name_kind(kf->btf, name, BTF_KIND_VAR) > 0;
	case KF_RET_BOOL:
		t = func_proto(kf->btf, name);
		t = t ? btf__type_by_id(kf->btf, t->type) : NULL;
		while (t && (btf_is_typedef(t) || btf_is_mod(t)))
			t = btf__type_by_id(kf->btf, t->type);
		return t && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL);
	default:
		return 0;
	}
}

/* ---- the table ---- */

static struct fact *find(const struct kfacts *kf, enum kfact k, const char *name)
{
	for (size_t i = 0; i < kf->n; i++)
		if (kf->facts[i].kind == k && !strcmp(kf->facts[i].name, name))
			return &kf->facts[i];
	return NULL;
}

static int add(struct kfacts *kf, enum kfact k, const char *name, int value)
{
	if (kf->n == kf->cap) {
		size_t cap = kf->cap ? kf->cap * 2 : 64;
		struct fact *f = realloc(kf->facts, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		kf->facts = f;
		kf->cap = cap;
	}
	kf->facts[kf->n].name = strdup(name);
	if (!kf->facts[kf->n].name)
		return -ENOMEM;
	kf->facts[kf->n].kind = k;
	kf->facts[kf->n++].value = value;
	return 0;
}

/* Absent: what a fact reads when nothing says otherwise. */
static int absent(enum kfact k)
{
	return k == KF_FENTRY || k == KF_TP_BTF ? -ENOENT : k == KF_TP_NARGS ? -1 : 0;
}

int kfacts__get(struct kfacts *kf, enum kfact k, const char *name)
{
	const struct fact *f = find(kf, k, name);
	int v;

	if (f)
		return f->value;
	v = kf->live ? live_fact(kf, k, name) : absent(k);
	add(kf, k, name, v);	/* out of memory: asked again next time */
	return v;
}

struct kfacts *kfacts__live(const struct ksyms *ks, const struct btf *btf, bool kprobe_pmu)
{
	struct kfacts *kf = calloc(1, sizeof(*kf));

	if (!kf)
		return NULL;
	kf->live = true;
	kf->ks = ks;
	kf->btf = btf;
	kf->kprobe_pmu = kprobe_pmu;
	return kf;
}

struct kfacts *kfacts__load(const char *path, char *err, size_t errlen)
{
	struct kfacts *kf = calloc(1, sizeof(*kf));
	char line[512], kind[32], name[256];
	int value, lineno = 0, k;
	FILE *f;

	if (!kf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "failed to open %s: %s", path, strerror(errno));
		free(kf);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%31s %255s %d", kind, name, &value) != 3)
			goto bad;
		for (k = 0; k < NR_KFACTS && strcmp(kind_names[k], kind); k++)
			;
		if (k == NR_KFACTS || find(kf, k, name))
			goto bad;
		if (add(kf, k, name, value)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	fclose(f);
	return kf;
bad:
	snprintf(err, errlen, "%s:%d: not \"kind name value\" with a known kind, once each",
		 path, lineno);
fail:
	fclose(f);
	kfacts__free(kf);
	errno = EINVAL;
	return NULL;
}

void kfacts__free(struct kfacts *kf)
{
	if (!kf)
		return;
	for (size_t i = 0; i < kf->n; i++)
		free(kf->facts[i].name);
	free(kf->facts);
	free(kf);
}

int kfacts__dump(const struct kfacts *kf, FILE *f)
{
	for (size_t i = 0; i < kf->n; i++)
		fprintf(f, "%s %s %d\n", kind_names[kf->facts[i].kind], kf->facts[i].name,
			kf->facts[i].value);
	return ferror(f) ? -EIO : 0;
}
