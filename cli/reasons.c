// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "reasons.h"

struct reason_name {
	__u32 value;
	char *name;
};

struct reasons {
	struct reason_name *core, *subsys, *sub;	/* core reasons, subsystems, subsystem reasons */
	size_t ncore, nsubsys, nsub;
};

static int add_name(struct reason_name **arr, size_t *n, __u32 value, const char *name)
{
	struct reason_name *p = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!p)
		return -ENOMEM;
	*arr = p;
	p[*n].value = value;
	p[*n].name = strdup(name);
	if (!p[*n].name)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static const char *strip(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(name, prefix, len) ? name : name + len;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/* Collect enumerators of the enums we care about from one BTF (skipping its base). */
static int scan_btf(struct reasons *r, const struct btf *btf, __u32 first_id)
{
	__u32 n = btf__type_cnt(btf);
	int err = 0;

	for (__u32 id = first_id; id < n && !err; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tname;
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		tname = btf__name_by_offset(btf, t->name_off);
		if (!tname || !*tname)
			continue;
		e = btf_enum(t);
		for (__u16 i = 0; i < btf_vlen(t) && !err; i++) {
			const char *en = btf__name_by_offset(btf, e[i].name_off);
			__u32 v = (__u32)e[i].val;

			if (!strcmp(tname, "skb_drop_reason"))
				err = add_name(&r->core, &r->ncore, v, strip(en, "SKB_DROP_REASON_"));
			else if (!strcmp(tname, "skb_drop_reason_subsys"))
				err = add_name(&r->subsys, &r->nsubsys, v,
					       strip(en, "SKB_DROP_REASON_SUBSYS_"));
			else if (ends_with(tname, "drop_reason") && v >> DROP_REASON_SUBSYS_SHIFT)
				err = add_name(&r->sub, &r->nsub, v, en);
		}
	}
	return err;
}

struct reasons *reasons__load(const char *vmlinux_btf, const char *module_dir)
{
	struct reasons *r = calloc(1, sizeof(*r));
	struct btf *base;
	int err = 0;

	if (!r)
		return NULL;
	base = btf__parse(vmlinux_btf ? vmlinux_btf : "/sys/kernel/btf/vmlinux", NULL);
	if (!base) {
		err = errno ? -errno : -ENOENT;
		goto out;
	}
	err = scan_btf(r, base, 1);
	if (!err && !r->ncore)
		err = -ENOMSG;
	if (!err && (!module_dir || *module_dir)) {
		const char *dir = module_dir ? module_dir : "/sys/kernel/btf";
		DIR *d = opendir(dir);
		struct dirent *de;

		while (d && !err && (de = readdir(d))) {
			char path[4096];
			struct btf *mod;

			if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			mod = btf__parse_split(path, base);
			if (!mod)
				continue;	/* not split BTF of this base: skip */
			err = scan_btf(r, mod, btf__type_cnt(base));
			btf__free(mod);
		}
		if (d)
			closedir(d);
	}
	btf__free(base);
out:
	if (err) {
		reasons__free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

static void free_names(struct reason_name *arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i].name);
	free(arr);
}

void reasons__free(struct reasons *r)
{
	if (!r)
		return;
	free_names(r->core, r->ncore);
	free_names(r->subsys, r->nsubsys);
	free_names(r->sub, r->nsub);
	free(r);
}

size_t reasons__count(const struct reasons *r)
{
	return r ? r->ncore + r->nsub : 0;
}

static const char *lookup(const struct reason_name *arr, size_t n, __u32 v)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i].value == v)
			return arr[i].name;
	return NULL;
}

const char *reasons__name(const struct reasons *r, __u32 value, char *buf, size_t len)
{
	__u32 subsys = value >> DROP_REASON_SUBSYS_SHIFT;
	const char *name, *sname;

	if (!subsys) {
		name = r ? lookup(r->core, r->ncore, value) : NULL;
		if (name && len) {
			/* not snprintf: -j -C names 131k rows a refresh at 256 CPUs */
			size_t n = strnlen(name, len - 1);

			memcpy(buf, name, n);
			buf[n] = '\0';
		} else {
			snprintf(buf, len, "UNKNOWN(%u)", value);
		}
		return buf;
	}
	sname = r ? lookup(r->subsys, r->nsubsys, subsys) : NULL;
	name = r ? lookup(r->sub, r->nsub, value) : NULL;
	if (sname && name)
		snprintf(buf, len, "%s:%s", sname, name);
	else if (sname)
		snprintf(buf, len, "%s:%u", sname, value & ((1u << DROP_REASON_SUBSYS_SHIFT) - 1));
	else
		snprintf(buf, len, "SUBSYS%u:%u", subsys,
			 value & ((1u << DROP_REASON_SUBSYS_SHIFT) - 1));
	return buf;
}

long reasons__value(const struct reasons *r, const char *name)
{
	for (size_t i = 0; r && i < r->ncore; i++)
		if (!strcmp(r->core[i].name, name))
			return r->core[i].value;
	return -1;
}
