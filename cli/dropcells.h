/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The -L drop cells of one read, folded into snapshot rows. A tuple can own
 * its cell on one CPU and sit in the drop hash on another (each CPU's cells
 * are claimed in the order that CPU saw its tuples), so one key's counts
 * come from both: the cells are collected first, sorted by key, and merged
 * into the hash row of the same key; those the hash lacks become rows of
 * their own. One (key, CPU) can have counts in both (a cell matches on the
 * device's address too: two devices of one name and index, in two network
 * namespaces, share a key); the merge adds them.
 */
#ifndef SKBTOP_DROPCELLS_H
#define SKBTOP_DROPCELLS_H

#include <stdbool.h>
#include <stddef.h>
#include "snapshot.h"

struct cell_count {
	struct drop_key key;
	__u32 cpu;
	__u64 count;
};

struct drop_cells {
	__u32 ncpus;
	struct cell_count *cells;	/* [SKBTOP_DROP_CELLS * ncpus] */
	size_t ncells;
	__u64 *sums;			/* [ncpus]: one key's counts */
};

int drop_cells__init(struct drop_cells *dc, __u32 ncpus);	/* 0 or -ENOMEM */
void drop_cells__free(struct drop_cells *dc);
/* One index of the cell array: vals holds ncpus cells, stride bytes apart. */
void drop_cells__add(struct drop_cells *dc, const void *vals, size_t stride);
/* After the last add: sort by key. */
void drop_cells__sort(struct drop_cells *dc);
/* The rows of one hash key (vals[ncpus]) plus its cells. 0 or -ENOMEM. */
int drop_cells__hash_row(struct drop_cells *dc, struct snapshot *s, const struct drop_key *key,
			 const __u64 *vals, bool per_cpu);
/* The rows of the cells no hash row took; empties dc. 0 or -ENOMEM. */
int drop_cells__rest(struct drop_cells *dc, struct snapshot *s, bool per_cpu);

#endif
