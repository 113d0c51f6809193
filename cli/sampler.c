// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include "sampler.h"

static __u64 seconds_ns(double sec)
{
	return sec > 0 ? (__u64)llround(sec * 1e9) : 0;
}

int sampler__start(struct sampler *s, double interval, double duration, unsigned int flags)
{
	int err;

	s->flags = flags;
	s->interval_ns = seconds_ns(interval) ?: 1;
	s->ticks = 0;
	s->ended = false;
	err = s->read(s->arg, &s->prev);
	err = err ?: snapshot__delta(&s->prev, &s->prev, &s->delta);
	/* the total starts empty, or (the maps are new) as the first read */
	if (!err && flags & SAMPLER_TOTAL)
		err = snapshot__delta((flags & SAMPLER_TOTAL_ATTACH) == SAMPLER_TOTAL_ATTACH ?
				      NULL : &s->prev, &s->prev, &s->total);
	if (err)
		return err;
	s->start_ns = s->prev.mono_ns;
	s->end_ns = duration > 0 ? s->start_ns + seconds_ns(duration) : 0;
	s->deadline_ns = s->start_ns + s->interval_ns;
	return 0;
}

void sampler__free(struct sampler *s)
{
	snapshot__free(&s->prev);
	snapshot__free(&s->delta);
	snapshot__free(&s->total);
	snapshot__free(&s->cur);
}

/* The deadline of the next wait: the duration ends the last interval early. */
static __u64 next_wake(const struct sampler *s)
{
	if (s->end_ns && !s->ended && s->deadline_ns > s->end_ns)
		return s->end_ns;
	return s->deadline_ns;
}

static bool stopped(const struct sampler *s, const struct sampler_idle *idle)
{
	return s->stop && *s->stop && !(idle && idle->ignore_stop);
}

int sampler__wait(struct sampler *s, const struct sampler_idle *idle)
{
	for (;;) {
		/* again each time: what idle->fn did (a new interval, a zero) moves it */
		__u64 deadline = next_wake(s), now = now_ns(CLOCK_MONOTONIC), until = deadline;
		struct timespec ts;
		int r;

		if (stopped(s, idle))
			return SAMPLER_STOPPED;
		if (now >= deadline)
			return 0;
		if (idle && idle->fn) {
			if (idle->every_ns && deadline - now > idle->every_ns)
				until = now + idle->every_ns;
			r = idle->fn(idle->arg, until);
			if (r)
				return r;
			if (stopped(s, idle))
				return SAMPLER_STOPPED;
		}
		ts.tv_sec = until / 1000000000ULL;
		ts.tv_nsec = until % 1000000000ULL;
		/* a signal (EINTR) comes back here to look at the stop flag */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

/* The first deadline of the grid after now; at or after the end: the duration is over. */
static void advance(struct sampler *s, __u64 now)
{
	if (s->end_ns && now >= s->end_ns)
		s->ended = true;
	while (s->deadline_ns <= now)
		s->deadline_ns += s->interval_ns;
}

int sampler__step(struct sampler *s)
{
	int err = s->read(s->arg, &s->cur);

	err = err ?: snapshot__delta(&s->prev, &s->cur, &s->delta);
	if (!err && s->flags & SAMPLER_TOTAL)
		err = snapshot__accumulate(&s->total, &s->delta);
	if (err)
		return err;
	snapshot__swap(&s->prev, &s->cur);	/* the next read reuses the old storage */
	s->ticks++;
	advance(s, s->prev.mono_ns);
	return 0;
}

void sampler__skip(struct sampler *s)
{
	advance(s, now_ns(CLOCK_MONOTONIC));
}

int sampler__zero(struct sampler *s)
{
	int err = s->read(s->arg, &s->cur);

	err = err ?: snapshot__delta(&s->cur, &s->cur, &s->delta);
	if (!err && s->flags & SAMPLER_TOTAL)
		err = snapshot__delta(&s->cur, &s->cur, &s->total);
	if (err)
		return err;
	snapshot__swap(&s->prev, &s->cur);
	sampler__reschedule(s);
	return 0;
}

void sampler__set_interval(struct sampler *s, double interval)
{
	s->interval_ns = seconds_ns(interval) ?: 1;
	sampler__reschedule(s);
}

void sampler__reschedule(struct sampler *s)
{
	s->deadline_ns = now_ns(CLOCK_MONOTONIC) + s->interval_ns;
}
