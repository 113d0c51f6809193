// SPDX-License-Identifier: GPL-2.0
/* `skbtop` (live) and `skbtop probes`. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "options.h"
#include "view.h"
#include "ksyms.h"
#include "reasons.h"
#include "files.h"

/* ---- names from the live kernel ---- */

static const char *live_reason(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	return reasons__name(skbtop__reasons(ctx->priv), r, buf, len);
}

static const char *live_location(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	return ksyms__format(skbtop__ksyms(ctx->priv), a, buf, len);
}

void view_ctx_live(struct view_ctx *ctx, struct skbtop *st)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->reason_name = live_reason;
	ctx->location_name = live_location;
	ctx->priv = st;
	ctx->probes = skbtop__probe(st, 0);
	ctx->nprobes = skbtop__nprobes(st);
	ctx->prog_stats = skbtop__prog_stats(st);
	ctx->top = 10;
}

/* file descriptors skbtop needs to load every probe (about 32 on a 6.18 host) */
#define SKBTOP_MIN_FDS	128

struct skbtop *open_probes(const struct env *env)
{
	char err[256] = "";
	struct skbtop *st;

	if (skbtop__check_privileges(err, sizeof(err)) ||
	    fds__ensure(SKBTOP_MIN_FDS, err, sizeof(err))) {
		fprintf(stderr, "skbtop: %s\n", err);
		return NULL;
	}
	st = skbtop__open(&env->probe_opts, err, sizeof(err));
	if (!st)
		fprintf(stderr, "skbtop: %s\n", err);
	else
		warn_probes(st);
	return st;
}

void warn_probes(struct skbtop *st)
{
	const char *w = skbtop__new_warning(st);

	if (w)
		fprintf(stderr, "skbtop: warning: defer_flush: %s\n", w);
}

int cmd_probes(struct env *env)
{
	char err[256] = "";
	struct skbtop *st;

	if (env->argc)
		return fprintf(stderr, "skbtop: probes takes no arguments\n"), EXIT_USAGE;
	if (skbtop__check_privileges(err, sizeof(err)) ||
	    fds__ensure(SKBTOP_MIN_FDS, err, sizeof(err))) {
		fprintf(stderr, "skbtop: %s\n", err);
		return EXIT_FAIL;
	}
	/* load for real: a mode is only reported once its programs attached */
	st = skbtop__open(&env->probe_opts, err, sizeof(err));
	if (!st)
		st = skbtop__detect(&env->probe_opts, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "skbtop: %s\n", err);
		return EXIT_FAIL;
	}
	if (env->facts) {
		skbtop__dump_facts(st, stdout);
	} else if (env->json) {
		struct jsonw w;

		jw_init(&w, stdout, env->pretty ? 2 : 0);
		view_probes_write(&w, skbtop__probe(st, 0), skbtop__nprobes(st));
		putchar('\n');
	} else {
		view_probes_text(stdout, skbtop__probe(st, 0), skbtop__nprobes(st));
	}
	skbtop__close(st);
	return stdout__flush() < 0 ? EXIT_FAIL : EXIT_OK;	/* a closed pipe: 0 */
}

/* Sleep until the next tick or a stop request. */
static void sleep_interval(double sec)
{
	struct timespec ts = { (time_t)sec, (long)((sec - floor(sec)) * 1e9) };

	while (!stop_requested && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int run_text(struct env *env, struct skbtop *st)
{
	struct snapshot prev = {}, cur = {}, delta = {};
	struct view_ctx ctx;
	long n = 0;
	double elapsed = 0;
	int err, out = 0;

	view_ctx_live(&ctx, st);
	ctx.per_cpu = env->per_cpu;
	err = skbtop__read(st, &prev);
	if (err) {
		fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	while (!stop_requested) {
		double wait = env->interval;

		if (env->duration > 0 && elapsed + wait > env->duration)
			wait = env->duration - elapsed;
		sleep_interval(wait);
		elapsed += wait;
		err = skbtop__read(st, &cur);
		warn_probes(st);
		if (!err)
			err = snapshot__delta(&prev, &cur, &delta);
		if (err) {
			fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
			break;
		}
		if (env->json) {
			struct jsonw w;

			jw_init(&w, stdout, env->pretty ? 2 : 0);
			view_json_write(&w, &delta, &ctx);
			putchar('\n');
		} else {
			view_text(stdout, &delta, &ctx);
		}
		/* a write error ends the run: EPIPE quietly with 0, others with 1 */
		out = stdout__flush();
		if (out)
			break;
		snapshot__swap(&prev, &cur);	/* the next read reuses the old storage */
		n++;
		/* -n counts text intervals too when no COUNT is given */
		if ((env->count && n >= env->count) ||
		    (!env->count && env->max_iterations && n >= env->max_iterations) ||
		    (env->duration > 0 && elapsed >= env->duration - 1e-9))
			break;
	}
	snapshot__free(&prev);
	snapshot__free(&cur);
	snapshot__free(&delta);
	return err || out < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_live(struct env *env)
{
	struct skbtop *st;
	int ret;

	if (env->argc > 2)
		return usage_error("too many arguments ('%s' ...)", env->argv[2]);
	if (env->argc >= 1) {
		char *end;
		double v = strtod(env->argv[0], &end);

		if (end == env->argv[0] || *end || !(v >= 0.01 && v <= 3600))
			return usage_error("invalid interval '%s' (0.01 to 3600 seconds, or a "
					   "command: probes, record, report, diff, export)",
					   env->argv[0]);
		env->interval = v;
	}
	if (env->argc == 2) {
		char *end;
		long v;

		errno = 0;
		v = strtol(env->argv[1], &end, 10);
		if (errno || end == env->argv[1] || *end || v < 1)
			return usage_error("invalid count '%s' (a positive integer)", env->argv[1]);
		env->count = v;
	}
	install_stop_handlers();
	/* per-CPU drops by reason: -C, and the screen (its CPU filter and drill) */
	env->probe_opts.drops_by_cpu = env->per_cpu ||
		(!env->text && !env->json && isatty(STDOUT_FILENO));
	st = open_probes(env);
	if (!st)
		return EXIT_FAIL;
	ret = -1;
	if (!env->text && !env->json && isatty(STDOUT_FILENO))
		ret = tui_run(env, st);
	if (ret < 0)
		ret = run_text(env, st);
	skbtop__close(st);
	return ret;
}
