// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dropcells.h"

int drop_cells__init(struct drop_cells *dc, __u32 ncpus)
{
	memset(dc, 0, sizeof(*dc));
	dc->ncpus = ncpus;
	dc->cells = calloc((size_t)SKBTOP_DROP_CELLS * (ncpus ? ncpus : 1), sizeof(*dc->cells));
	dc->sums = calloc(ncpus ? ncpus : 1, sizeof(*dc->sums));
	if (!dc->cells || !dc->sums) {
		drop_cells__free(dc);
		return -ENOMEM;
	}
	return 0;
}

void drop_cells__free(struct drop_cells *dc)
{
	free(dc->cells);
	free(dc->sums);
	memset(dc, 0, sizeof(*dc));
}

void drop_cells__add(struct drop_cells *dc, const void *vals, size_t stride)
{
	for (__u32 c = 0; c < dc->ncpus; c++) {
		const struct drop_cell *cell = (const struct drop_cell *)((const char *)vals + c * stride);
		struct cell_count *cc;

		if (!cell->taken || !cell->count ||
		    dc->ncells >= (size_t)SKBTOP_DROP_CELLS * dc->ncpus)
			continue;
		cc = &dc->cells[dc->ncells++];
		cc->key = cell->key;
		cc->key.pad = 0;
		cc->key.pad2 = 0;
		cc->key.ifname[SKBTOP_IFNAMSIZ - 1] = '\0';
		cc->cpu = c;
		cc->count = cell->count;
	}
}

static int cmp_cell(const void *a, const void *b)
{
	const struct cell_count *x = a, *y = b;
	int k = memcmp(&x->key, &y->key, sizeof(x->key));

	return k ? k : (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

void drop_cells__sort(struct drop_cells *dc)
{
	qsort(dc->cells, dc->ncells, sizeof(*dc->cells), cmp_cell);
}

/* Move the counts of key's cells into dc->sums; their count becomes 0. */
static void take(struct drop_cells *dc, const struct drop_key *key)
{
	struct cell_count first = { .key = *key };
	size_t lo = 0, hi = dc->ncells;

	while (lo < hi) {	/* the first cell >= (key, CPU 0) */
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_cell(&dc->cells[mid], &first) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < dc->ncells && !memcmp(&dc->cells[lo].key, key, sizeof(*key)); lo++) {
		dc->sums[dc->cells[lo].cpu] += dc->cells[lo].count;
		dc->cells[lo].count = 0;
	}
}

int drop_cells__hash_row(struct drop_cells *dc, struct snapshot *s, const struct drop_key *key,
			 const __u64 *vals, bool per_cpu)
{
	if (!dc->ncells)
		return snapshot__add_percpu_drops(s, key, vals, per_cpu);
	memcpy(dc->sums, vals, dc->ncpus * sizeof(*dc->sums));
	take(dc, key);
	return snapshot__add_percpu_drops(s, key, dc->sums, per_cpu);
}

int drop_cells__rest(struct drop_cells *dc, struct snapshot *s, bool per_cpu)
{
	int err = 0;

	for (size_t i = 0; i < dc->ncells && !err; i++) {
		struct drop_key key = dc->cells[i].key;

		if (!dc->cells[i].count)
			continue;	/* taken by a hash row, or with its key's first cell */
		memset(dc->sums, 0, dc->ncpus * sizeof(*dc->sums));
		take(dc, &key);
		err = snapshot__add_percpu_drops(s, &key, dc->sums, per_cpu);
	}
	dc->ncells = 0;
	return err;
}
