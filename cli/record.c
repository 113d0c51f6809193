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
 * This is the only capture code that touches BPF (through the session and
 * its sampler); the file format lives in capture_{env,write,read}.c, which unit tests link
 * without probes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "commands.h"
#include "capture.h"
#include "files.h"
#include "session.h"

/*
 * Fork and exec CMD with the stop signals blocked, so one that arrives now
 * either came before (stop_requested: CMD is not started) or finds CMD set
 * as the session's child and is forwarded. Returns the pid, 0 when a stop
 * came first, -1 with errno on failure.
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
			session_set_child(pid);
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

struct child {
	pid_t pid;
	bool exited;
	int wstatus;
};

/* Between ticks: look for CMD's exit every 20 ms; it ends the wait. */
static int child_idle(void *arg, __u64 until)
{
	struct child *c = arg;

	if (waitpid(c->pid, &c->wstatus, WNOHANG) == c->pid)
		c->exited = true;
	return c->exited;
}

int cmd_record(struct env *env)
{
	struct capture meta = { .exit_status = -1 };
	struct capture_writer w = {};
	struct session sess = {};
	struct sampler smp = {};
	struct child cmd = {};
	struct sampler_idle idle = { .every_ns = 20000000ULL, .fn = child_idle, .arg = &cmd,
				     .ignore_stop = true };
	bool term_sent = false;
	int ret = EXIT_FAIL, err, kept;
	char msg[512];

	if (!env->output) {
		fprintf(stderr, "skbtop: record needs -o FILE\nTry 'skbtop --help'.\n");
		return EXIT_USAGE;
	}
	if (outfile__check(env->output, msg, sizeof(msg))) {
		fprintf(stderr, "skbtop: %s\n", msg);
		return EXIT_FAIL;
	}
	env->probe_opts.drops_by_cpu = true;	/* captures keep drops per CPU by reason */
	if (session__open(&sess, env))
		return EXIT_FAIL;
	err = capture_env__collect(&meta.env, skbtop__ncpus(sess.st));
	err = err ?: capture__set_probes(&meta, sess.names.probes, sess.names.nprobes);
	err = err ?: capture__set_command(&meta, env->argv, env->argc);
	meta.skbtop_version = strdup(SKBTOP_VERSION);
	if (err || !meta.skbtop_version) {
		fprintf(stderr, "skbtop: failed to start recording: out of memory\n");
		goto cleanup;
	}
	/* the samples wait beside the output, on the filesystem that will hold it */
	err = capture_writer__init(&w, skbtop__ncpus(sess.st), env->output);
	if (err) {
		fprintf(stderr, "skbtop: cannot create a spool file beside %s: %s\n", env->output,
			strerror(-err));
		goto cleanup;
	}
	session__sampler(&sess, &smp);
	err = sampler__start(&smp, env->interval, env->duration, 0);
	if (err) {
		fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
		goto cleanup;
	}
	meta.interval_ns = smp.interval_ns;
	meta.start_ns = smp.prev.real_ns;
	if (env->argc) {
		fflush(NULL);
		cmd.pid = spawn(env->argv);
		if (cmd.pid < 0) {
			fprintf(stderr, "skbtop: failed to fork: %s\n", strerror(errno));
			goto cleanup;
		}
		if (!cmd.pid) {
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
	for (;;) {
		/* with CMD a stop request (passed on to it) ends recording once CMD has exited */
		if (!sampler__wait(&smp, cmd.pid > 0 ? &idle : NULL) && cmd.pid > 0)
			child_idle(&cmd, 0);	/* did it exit during the interval's last sleep? */
		err = sampler__step(&smp);
		if (err) {
			fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
			break;
		}
		err = capture_writer__add(&w, &smp.delta);
		if (err) {
			fprintf(stderr, "skbtop: failed to spool an interval: %s\n",
				err == -EPROTO ? "per-CPU drop counts disagree with the drop rows"
					       : strerror(-err));
			break;
		}
		if (sampler__over(&smp) && cmd.pid > 0 && !cmd.exited && !term_sent) {
			/* -d with CMD: the duration ends CMD too; the ticks go on until it exits */
			kill(cmd.pid, SIGTERM);
			term_sent = true;
		}
		if (cmd.pid > 0 ? cmd.exited : stop_requested || sampler__over(&smp))
			break;
	}
	if (cmd.pid > 0 && !cmd.exited) {
		/* a read failed while CMD runs: end it, keep what was recorded */
		kill(cmd.pid, SIGTERM);
		while (waitpid(cmd.pid, &cmd.wstatus, 0) < 0 && errno == EINTR)
			;
		cmd.exited = true;
	}
	session_set_child(0);
	if (cmd.pid > 0)
		set_status(&meta, cmd.wstatus);
	meta.end_ns = smp.prev.real_ns;
	/* an earlier capture at FILE is kept as FILE.old, never lost */
	kept = outfile__keep_old(env->output, msg, sizeof(msg));
	if (kept < 0) {
		fprintf(stderr, "skbtop: %s; not writing over it\n", msg);
		goto cleanup;
	}
	if (capture_writer__write_file(&w, &meta, &sess.names, env->output, msg, sizeof(msg))) {
		fprintf(stderr, "skbtop: %s\n", msg);
		goto cleanup;
	}
	fprintf(stderr, "skbtop: wrote %s: %zu intervals, %.3f s%s\n", env->output, w.nsamples,
		w.totals.mono_ns / 1e9, err ? " (stopped early: see above)" : "");
	if (kept)
		fprintf(stderr, "skbtop: the previous %s is kept as %s.old\n", env->output,
			env->output);
	ret = cmd.pid > 0 ? meta.exit_status : err ? EXIT_FAIL : EXIT_OK;
cleanup:
	if (cmd.pid > 0 && !cmd.exited) {
		kill(cmd.pid, SIGKILL);
		waitpid(cmd.pid, NULL, 0);
	}
	capture_writer__free(&w);
	sampler__free(&smp);
	capture__free(&meta);
	session__close(&sess);
	return ret;
}
