/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one loop that decides when to sample, for every mode that reads on a
 * clock (live text, the screen, record, export). It owns the ticks,
 * absolute deadlines on CLOCK_MONOTONIC (clock_nanosleep TIMER_ABSTIME),
 * so the time spent reading and drawing never drifts them, and each tick's
 * read -> delta -> rotate -> accumulate. A mode supplies only what it does
 * between ticks (sampler_idle) and with each delta.
 *
 * Pure code apart from the read it is given: unit tests and bench/refresh
 * drive it with synthetic reads.
 */
#ifndef SKBTOP_SAMPLER_H
#define SKBTOP_SAMPLER_H

#include <signal.h>
#include <stdbool.h>
#include "snapshot.h"

/* Fill s (reset by the call) with one read. 0 or -errno. */
typedef int (*sampler_read_fn)(void *arg, struct snapshot *s);

/* sampler__start() flags */
#define SAMPLER_TOTAL		0x1	/* keep total: the sum of the deltas since the first read */
#define SAMPLER_TOTAL_ATTACH	0x3	/* ... and the first read's counts (the maps are new) */

struct sampler {
	sampler_read_fn read;
	void *arg;
	const volatile sig_atomic_t *stop;	/* set: the wait ends (NULL: never) */
	__u64 interval_ns;
	__u64 start_ns;		/* CLOCK_MONOTONIC of the first read */
	__u64 end_ns;		/* start + the duration (-d); 0: none */
	__u64 deadline_ns;	/* of the next tick */
	bool ended;		/* a tick (or skip) came at or after end_ns */
	unsigned int flags;
	long ticks;		/* sampler__step() calls that succeeded */
	struct snapshot prev;	/* the last read */
	struct snapshot delta;	/* the last interval: prev minus the read before it */
	struct snapshot total;	/* with SAMPLER_TOTAL: since the first read (or the last zero) */
	struct snapshot cur;	/* storage the next read reuses */
};

/* What a mode does between ticks. */
struct sampler_idle {
	__u64 every_ns;		/* fn is called at least this often while waiting */
	/*
	 * May wait for its own events until `until` (CLOCK_MONOTONIC ns; the
	 * sampler sleeps whatever is left); nonzero ends the wait at once and
	 * is what sampler__wait() returns.
	 */
	int (*fn)(void *arg, __u64 until);
	void *arg;
	bool ignore_stop;	/* the stop flag does not end the wait (record waits for CMD) */
};

#define SAMPLER_STOPPED	(-1)	/* sampler__wait(): the stop flag is set */

/*
 * The first read, at once; the first tick is due one interval later.
 * duration 0: none; else the last interval ends at start + duration, and
 * ticks after it (if the mode goes on) keep the interval. Returns 0 or
 * -errno from the read.
 */
int sampler__start(struct sampler *s, double interval, double duration, unsigned int flags);
void sampler__free(struct sampler *s);

/*
 * Sleep until the next tick's deadline (or the end of the duration), the
 * stop flag, or idle->fn ending the wait (idle may be NULL). 0 at the
 * deadline, SAMPLER_STOPPED, or fn's nonzero value.
 */
int sampler__wait(struct sampler *s, const struct sampler_idle *idle);

/*
 * Read now: delta = read - prev, total += delta, prev = read; the next
 * deadline is the first one of the grid (start + k * interval) still ahead.
 * 0 or -errno: prev keeps the last good read, delta is empty (and total,
 * when only the accumulation ran out of memory, may hold part of the delta).
 */
int sampler__step(struct sampler *s);

/* No read at this tick (paused): the next deadline as sampler__step() would set it. */
void sampler__skip(struct sampler *s);

/* Count from now: a fresh read becomes prev, delta and total are zero. 0 or -errno. */
int sampler__zero(struct sampler *s);

/* A new interval; the next tick is due one interval from now. */
void sampler__set_interval(struct sampler *s, double interval);

/* The next tick is due one interval from now (after a pause). */
void sampler__reschedule(struct sampler *s);

/* Has the duration ended (a tick or skip at or after its end)? */
static inline bool sampler__over(const struct sampler *s)
{
	return s->ended;
}

#endif
