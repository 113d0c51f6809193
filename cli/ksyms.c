// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"

struct ksym {
	uint64_t addr;
	char *name;
	char *module;	/* NULL for the core kernel */
};

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char *strs;	/* one arena for names */
	size_t strs_len, strs_cap;
	/*
	 * Names of absolute symbols: no text address, but a per-CPU variable
	 * is one ('A' up to 6.12 at least) and a typed __ksym resolves it.
	 */
	size_t *abs;	/* arena offsets */
	size_t nabs, abs_cap;
};

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static long arena_add(struct ksyms *ks, const char *s)
{
	size_t len = strlen(s) + 1;
	long off;

	if (ks->strs_len + len > ks->strs_cap) {
		size_t cap = ks->strs_cap ? ks->strs_cap * 2 : 1 << 20;
		char *p;

		while (cap < ks->strs_len + len)
			cap *= 2;
		p = realloc(ks->strs, cap);
		if (!p)
			return -1;
		ks->strs = p;
		ks->strs_cap = cap;
	}
	off = ks->strs_len;
	memcpy(ks->strs + off, s, len);
	ks->strs_len += len;
	return off;
}

struct ksyms *ksyms__load(const char *path)
{
	char line[512], name[256], mod[128];
	struct ksyms *ks;
	FILE *f;

	f = fopen(path ? path : "/proc/kallsyms", "r");
	if (!f)
		return NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		goto err;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type;
		long noff, moff = -1;
		int n;

		mod[0] = 0;
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod);
		if (n < 3)
			continue;
		if (type == 'a' || type == 'A') {	/* absolute: not an address */
			if (ks->nabs == ks->abs_cap) {
				size_t cap = ks->abs_cap ? ks->abs_cap * 2 : 1024;
				size_t *p = realloc(ks->abs, cap * sizeof(*p));

				if (!p)
					goto err;
				ks->abs = p;
				ks->abs_cap = cap;
			}
			noff = arena_add(ks, name);
			if (noff < 0)
				goto err;
			ks->abs[ks->nabs++] = noff;
			continue;
		}
		if (type == 'U')
			continue;
		if (ks->n == ks->cap) {
			size_t cap = ks->cap ? ks->cap * 2 : 65536;
			struct ksym *p = realloc(ks->syms, cap * sizeof(*p));

			if (!p)
				goto err;
			ks->syms = p;
			ks->cap = cap;
		}
		noff = arena_add(ks, name);
		if (noff < 0 || (n == 4 && (moff = arena_add(ks, mod)) < 0))
			goto err;
		ks->syms[ks->n].addr = addr;
		/* offsets for now: the arena may still move */
		ks->syms[ks->n].name = (char *)(uintptr_t)noff;
		ks->syms[ks->n].module = (char *)(uintptr_t)(moff + 1);
		ks->n++;
	}
	fclose(f);
	for (size_t i = 0; i < ks->n; i++) {
		uintptr_t m = (uintptr_t)ks->syms[i].module;

		ks->syms[i].name = ks->strs + (uintptr_t)ks->syms[i].name;
		ks->syms[i].module = m ? ks->strs + (m - 1) : NULL;
	}
	qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_addr);
	return ks;
err:
	fclose(f);
	ksyms__free(ks);
	errno = ENOMEM;
	return NULL;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strs);
	free(ks->abs);
	free(ks);
}

size_t ksyms__count(const struct ksyms *ks)
{
	return ks ? ks->n : 0;
}

static const struct ksym *find_name(const struct ksyms *ks, const char *name)
{
	if (!ks)
		return NULL;
	for (size_t i = 0; i < ks->n; i++)
		if (!strcmp(ks->syms[i].name, name) && ks->syms[i].addr)
			return &ks->syms[i];
	return NULL;
}

uint64_t ksyms__addr(const struct ksyms *ks, const char *name)
{
	const struct ksym *s = find_name(ks, name);

	return s ? s->addr : 0;
}

bool ksyms__has(const struct ksyms *ks, const char *name)
{
	if (ksyms__addr(ks, name))
		return true;
	for (size_t i = 0; ks && i < ks->nabs; i++)
		if (!strcmp(ks->strs + ks->abs[i], name))
			return true;
	return false;
}

int ksyms__range(const struct ksyms *ks, const char *name, uint64_t *start, uint64_t *end)
{
	const struct ksym *s = find_name(ks, name);
	const struct ksym *last;

	if (!s)
		return -ENOENT;
	*start = s->addr;
	last = ks->syms + ks->n - 1;
	/* the array is sorted: the next distinct address ends this symbol */
	for (const struct ksym *p = s; p <= last; p++) {
		if (p->addr > s->addr) {
			*end = p->addr;
			return 0;
		}
	}
	*end = s->addr + 1;
	return 0;
}

const char *ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = ks ? ks->n : 0;
	const struct ksym *s;

	/* last symbol with s->addr <= addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!addr || lo == 0) {
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
		return buf;
	}
	s = &ks->syms[lo - 1];
	if (s->module)
		snprintf(buf, len, "%s+0x%llx [%s]", s->name,
			 (unsigned long long)(addr - s->addr), s->module);
	else
		snprintf(buf, len, "%s+0x%llx", s->name, (unsigned long long)(addr - s->addr));
	return buf;
}
