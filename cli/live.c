// SPDX-License-Identifier: GPL-2.0
/* `skbtop` (live) and `skbtop probes`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "options.h"
#include "view.h"
#include "files.h"
#include "session.h"

int cmd_probes(struct env *env)
{
	char err[256] = "";
	struct skbtop *st;

	if (env->argc)
		return fprintf(stderr, "skbtop: probes takes no arguments\n"), EXIT_USAGE;
	if (session__preflight())
		return EXIT_FAIL;
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

/* One text table or JSON object a tick. */
static int run_text(struct env *env, struct session *sess)
{
	struct view_ctx ctx = sess->names;
	struct sampler smp;
	int err, out = 0;

	ctx.per_cpu = env->per_cpu;
	session__sampler(sess, &smp);
	err = sampler__start(&smp, env->interval, env->duration, 0);
	/* a stop cuts the wait short: the interval up to it is read and shown */
	while (!err && !stop_requested) {
		sampler__wait(&smp, NULL);
		err = sampler__step(&smp);
		if (err)
			break;
		if (env->json) {
			struct jsonw w;

			jw_init(&w, stdout, env->pretty ? 2 : 0);
			view_json_write(&w, &smp.delta, &ctx);
			putchar('\n');
		} else {
			view_text(stdout, &smp.delta, &ctx);
		}
		/* a write error ends the run: EPIPE quietly with 0, others with 1 */
		out = stdout__flush();
		if (out)
			break;
		/* -n counts text intervals too when no COUNT is given */
		if ((env->count && smp.ticks >= env->count) ||
		    (!env->count && env->max_iterations && smp.ticks >= env->max_iterations) ||
		    sampler__over(&smp))
			break;
	}
	if (err)
		fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
	sampler__free(&smp);
	return err || out < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_live(struct env *env)
{
	struct session sess;
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
	if (session__open(&sess, env))
		return EXIT_FAIL;
	ret = -1;
	if (!env->text && !env->json && isatty(STDOUT_FILENO))
		ret = tui_run(env, &sess);
	if (ret < 0)
		ret = run_text(env, &sess);
	session__close(&sess);
	return ret;
}
