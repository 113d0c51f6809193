/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A session over the live kernel, shared by every mode that samples it
 * (live text, the screen, record, export): probe setup, the stop flag and
 * the signals that set it, warnings found while reading, and the names
 * views print (kallsyms, the kernel's drop reasons, the probe table).
 */
#ifndef SKBTOP_SESSION_H
#define SKBTOP_SESSION_H

#include <signal.h>
#include <sys/types.h>
#include "env.h"
#include "sampler.h"
#include "view.h"

/* Set by the signal handler: the first SIGINT/SIGTERM/SIGHUP asks to stop. */
extern volatile sig_atomic_t stop_requested;
/*
 * Install the handler: the first signal sets stop_requested (and is passed
 * on to the child of session_set_child(), unless a terminal sent it to the
 * child's process group already); a second kills the child and skbtop.
 */
void install_stop_handlers(void);
/* The command a stop is passed on to (record's CMD); 0: none. */
void session_set_child(pid_t pid);

struct session {
	struct skbtop *st;
	struct view_ctx names;	/* the live kernel's names and probe table */
	/* Where warnings go (msg: "PROBE: what is wrong"); NULL: stderr. */
	void (*on_warning)(void *arg, const char *msg);
	void *warning_arg;
};

/* Can probes be loaded here (privileges, file descriptors)? 0, or -1 with the reason printed. */
int session__preflight(void);
/* Load and attach the probes; 0, or -1 with the reason printed. Warnings found now go to stderr. */
int session__open(struct session *s, const struct env *env);
void session__close(struct session *s);
/* Hand warnings found since the last call to on_warning. */
void session__warnings(struct session *s);
/* A sampler that reads this session's maps (and passes on warnings) and stops on stop_requested. */
void session__sampler(struct session *s, struct sampler *smp);

#endif
