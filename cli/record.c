// SPDX-License-Identifier: GPL-2.0
/*
 * `skbtop record [-d SEC] [-i SEC] -o FILE [-- CMD ARGS...]`: read the maps
 * every interval, keep each delta, and write them with their totals, the
 * environment and the name tables to FILE. With CMD, recording starts
 * before CMD is forked, stops when it exits, and CMD's status is returned.
 *
 * Signals: the first SIGINT/SIGTERM/SIGHUP stops recording cleanly (and is
 * forwarded to CMD unless the terminal already sent it to CMD's process
 * group); the file is still written. A second one kills CMD and skbtop.
 * One that arrives before CMD is forked means CMD is never started (exit 1,
 * no file). CMD gets SIGTERM if skbtop dies (PR_SET_PDEATHSIG).
 *
 * This is the only capture code that touches BPF (skbtop__open/read); the
 * file format lives in capture_{env,write,read}.c, which unit tests link
 * without probes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "capture.h"
#include "files.h"

static volatile sig_atomic_t child_pid;

static void on_stop(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (stop_requested) {
		/* second signal: kill CMD, then die with the default action */
		if (child_pid > 0)
			kill(child_pid, SIGKILL);
		outfile__abort();
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_requested = sig;
	/* a terminal's ^C (SI_KERNEL) reached CMD's process group already */
	if (child_pid > 0 && (!si || si->si_code != SI_KERNEL))
		kill(child_pid, sig);
}

static void install_record_handlers(void)
{
	struct sigaction sa = { .sa_sigaction = on_stop, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * Fork and exec CMD with the stop signals blocked, so one that arrives now
 * either came before (stop_requested: CMD is not started) or finds
 * child_pid set and is forwarded. Returns the pid, 0 when a stop came
 * first, -1 with errno on failure.
 */
static pid_t spawn(char **argv)
{
	pid_t parent = getpid(), pid;
	sigset_t block, old;
	int err;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (stop_requested) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 0;
	}
	pid = fork();
	if (pid) {
		if (pid > 0)
			child_pid = pid;
		sigprocmask(SIG_SETMASK, &old, NULL);	/* a pending stop is forwarded now */
		return pid;
	}
	/* child: default dispositions (exec resets handlers, not SIG_IGN) */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);	/* skbtop ignores it; CMD expects the default */
	fds__restore();			/* CMD gets the open-file limit skbtop got */
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* CMD does not outlive skbtop, even a SIGKILLed one */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
		_exit(126);
	execvp(argv[0], argv);
	err = errno;	/* fprintf to a closed stderr would change it */
	fprintf(stderr, "skbtop: failed to run %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

/* Shell-style status: the exit code, or 128 + the signal that killed it. */
static void set_status(struct capture *meta, int wstatus)
{
	if (WIFSIGNALED(wstatus)) {
		meta->term_signal = WTERMSIG(wstatus);
		meta->exit_status = 128 + WTERMSIG(wstatus);
	} else {
		meta->term_signal = 0;
		meta->exit_status = WEXITSTATUS(wstatus);
	}
}

/* Sleep until deadline (CLOCK_MONOTONIC ns), a stop request, or CMD's exit. */
static void wait_tick(__u64 deadline, pid_t pid, bool *exited, int *wstatus)
{
	/* with CMD a stop request only ends recording once CMD has exited */
	while (!*exited && (!stop_requested || pid > 0)) {
		__u64 now = now_ns(CLOCK_MONOTONIC), until;
		struct timespec ts;

		if (pid > 0 && waitpid(pid, wstatus, WNOHANG) == pid) {
			*exited = true;
			return;
		}
		if (now >= deadline)
			return;
		until = deadline - now > 20000000ULL && pid > 0 ? now + 20000000ULL : deadline;
		ts.tv_sec = until / 1000000000ULL;
		ts.tv_nsec = until % 1000000000ULL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (pid > 0 && waitpid(pid, wstatus, WNOHANG) == pid)
			*exited = true;
	}
}

int cmd_record(struct env *env)
{
	struct snapshot prev = {}, cur = {}, delta = {};
	struct capture meta = { .exit_status = -1 };
	struct capture_writer w = {};
	struct skbtop *st = NULL;
	struct view_ctx names;
	__u64 start_mono, deadline, step;
	bool exited = false, term_sent = false;
	int wstatus = 0, ret = EXIT_FAIL, err, kept;
	char msg[512];
	pid_t pid = 0;

	if (!env->output) {
		fprintf(stderr, "skbtop: record needs -o FILE\nTry 'skbtop --help'.\n");
		return EXIT_USAGE;
	}
	if (outfile__check(env->output, msg, sizeof(msg))) {
		fprintf(stderr, "skbtop: %s\n", msg);
		return EXIT_FAIL;
	}
	install_record_handlers();
	env->probe_opts.drops_by_cpu = true;	/* captures keep drops per CPU by reason */
	st = open_probes(env);
	if (!st)
		return EXIT_FAIL;
	err = capture_env__collect(&meta.env, skbtop__ncpus(st));
	err = err ?: capture__set_probes(&meta, skbtop__probe(st, 0), skbtop__nprobes(st));
	err = err ?: capture__set_command(&meta, env->argv, env->argc);
	meta.skbtop_version = strdup(SKBTOP_VERSION);
	if (err || !meta.skbtop_version) {
		fprintf(stderr, "skbtop: failed to start recording: out of memory\n");
		goto cleanup;
	}
	/* the samples wait beside the output, on the filesystem that will hold it */
	err = capture_writer__init(&w, skbtop__ncpus(st), env->output);
	if (err) {
		fprintf(stderr, "skbtop: cannot create a spool file beside %s: %s\n", env->output,
			strerror(-err));
		goto cleanup;
	}
	step = (__u64)(env->interval * 1e9);
	meta.interval_ns = step;
	err = skbtop__read(st, &prev);
	if (err) {
		fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
		goto cleanup;
	}
	meta.start_ns = prev.real_ns;
	start_mono = prev.mono_ns;
	if (env->argc) {
		fflush(NULL);
		pid = spawn(env->argv);
		if (pid < 0) {
			fprintf(stderr, "skbtop: failed to fork: %s\n", strerror(errno));
			goto cleanup;
		}
		if (!pid) {
			/* stopped while starting: CMD never ran, there is nothing to record */
			fprintf(stderr, "skbtop: stopped by %s before %s started; nothing recorded\n",
				strsignal(stop_requested), env->argv[0]);
			goto cleanup;
		}
	} else {
		/* nothing else tells the user it has started, or how it ends */
		fprintf(stderr, "skbtop: recording to %s every %g s %s\n", env->output,
			env->interval, env->duration > 0 ? "for -d seconds (or until Ctrl-C)"
							  : "until Ctrl-C");
	}
	deadline = start_mono + step;
	for (;;) {
		__u64 until = deadline;
		bool last;

		/* the duration ends the last interval early; once it is over
		 * (CMD still exiting after SIGTERM) the ticks go on as usual */
		if (env->duration > 0 && !term_sent &&
		    until > start_mono + (__u64)(env->duration * 1e9))
			until = start_mono + (__u64)(env->duration * 1e9);
		wait_tick(until, pid, &exited, &wstatus);
		err = skbtop__read(st, &cur);
		warn_probes(st);
		err = err ?: snapshot__delta(&prev, &cur, &delta);
		if (err) {
			fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
			break;
		}
		err = capture_writer__add(&w, &delta);
		if (err) {
			fprintf(stderr, "skbtop: failed to spool an interval: %s\n",
				err == -EPROTO ? "per-CPU drop counts disagree with the drop rows"
					       : strerror(-err));
			break;
		}
		snapshot__swap(&prev, &cur);	/* the next read reuses the old storage */
		if (env->duration > 0 && prev.mono_ns - start_mono >= (__u64)(env->duration * 1e9) &&
		    pid > 0 && !exited && !term_sent) {
			/* -d with CMD: the duration ends CMD too */
			kill(pid, SIGTERM);
			term_sent = true;
		}
		last = pid > 0 ? exited :
		       stop_requested ||
		       (env->duration > 0 && prev.mono_ns - start_mono >= (__u64)(env->duration * 1e9));
		if (last)
			break;
		while (deadline <= now_ns(CLOCK_MONOTONIC))
			deadline += step;
	}
	if (pid > 0 && !exited) {
		/* a read failed while CMD runs: end it, keep what was recorded */
		kill(pid, SIGTERM);
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		exited = true;
	}
	child_pid = 0;
	if (pid > 0)
		set_status(&meta, wstatus);
	meta.end_ns = prev.real_ns;
	view_ctx_live(&names, st);
	/* an earlier capture at FILE is kept as FILE.old, never lost */
	kept = outfile__keep_old(env->output, msg, sizeof(msg));
	if (kept < 0) {
		fprintf(stderr, "skbtop: %s; not writing over it\n", msg);
		goto cleanup;
	}
	if (capture_writer__write_file(&w, &meta, &names, env->output, msg, sizeof(msg))) {
		fprintf(stderr, "skbtop: %s\n", msg);
		goto cleanup;
	}
	fprintf(stderr, "skbtop: wrote %s: %zu intervals, %.3f s%s\n", env->output, w.nsamples,
		w.totals.mono_ns / 1e9, err ? " (stopped early: see above)" : "");
	if (kept)
		fprintf(stderr, "skbtop: the previous %s is kept as %s.old\n", env->output,
			env->output);
	ret = pid > 0 ? meta.exit_status : err ? EXIT_FAIL : EXIT_OK;
cleanup:
	if (pid > 0 && !exited) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	capture_writer__free(&w);
	snapshot__free(&prev);
	snapshot__free(&cur);
	snapshot__free(&delta);
	capture__free(&meta);
	skbtop__close(st);
	return ret;
}
