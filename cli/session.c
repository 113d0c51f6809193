// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "session.h"
#include "files.h"
#include "ksyms.h"
#include "reasons.h"

/* ---- the stop flag ---- */

volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t child_pid;

static void on_stop(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (stop_requested) {
		/* second signal: kill the child, then die with the default action */
		if (child_pid > 0)
			kill(child_pid, SIGKILL);
		outfile__abort();
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_requested = sig;
	/* a terminal's ^C (SI_KERNEL) reached the child's process group already */
	if (child_pid > 0 && (!si || si->si_code != SI_KERNEL))
		kill(child_pid, sig);
}

void install_stop_handlers(void)
{
	struct sigaction sa = { .sa_sigaction = on_stop, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void session_set_child(pid_t pid)
{
	child_pid = pid;
}

/* ---- names from the live kernel ---- */

static const char *live_reason(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	return reasons__name(skbtop__reasons(ctx->priv), r, buf, len);
}

static const char *live_location(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	return ksyms__format(skbtop__ksyms(ctx->priv), a, buf, len);
}

static void names_init(struct view_ctx *ctx, struct skbtop *st)
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

/* ---- probes ---- */

/* file descriptors skbtop needs to load every probe (about 32 on a 6.18 host) */
#define SKBTOP_MIN_FDS	128

int session__preflight(void)
{
	char err[256] = "";

	if (skbtop__check_privileges(err, sizeof(err)) ||
	    fds__ensure(SKBTOP_MIN_FDS, err, sizeof(err))) {
		fprintf(stderr, "skbtop: %s\n", err);
		return -1;
	}
	return 0;
}

int session__open(struct session *s, const struct env *env)
{
	char err[256] = "";

	memset(s, 0, sizeof(*s));
	if (session__preflight())
		return -1;
	s->st = skbtop__open(&env->probe_opts, err, sizeof(err));
	if (!s->st) {
		fprintf(stderr, "skbtop: %s\n", err);
		return -1;
	}
	names_init(&s->names, s->st);
	session__warnings(s);
	return 0;
}

void session__close(struct session *s)
{
	skbtop__close(s->st);
	s->st = NULL;
}

void session__warnings(struct session *s)
{
	const char *w = skbtop__new_warning(s->st);
	char msg[640];

	if (!w)
		return;
	snprintf(msg, sizeof(msg), "defer_flush: %s", w);
	if (s->on_warning)
		s->on_warning(s->warning_arg, msg);
	else
		fprintf(stderr, "skbtop: warning: %s\n", msg);
}

static int session_read(void *arg, struct snapshot *snap)
{
	struct session *s = arg;
	int err = skbtop__read(s->st, snap);

	session__warnings(s);
	return err;
}

void session__sampler(struct session *s, struct sampler *smp)
{
	memset(smp, 0, sizeof(*smp));
	smp->read = session_read;
	smp->arg = s;
	smp->stop = &stop_requested;
}
