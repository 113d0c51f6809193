/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line options, one struct for every subcommand. */
#ifndef SKBTOP_ENV_H
#define SKBTOP_ENV_H

#include <stdbool.h>
#include "probes.h"

#define SKBTOP_VERSION "0.1.0"

/* Exit statuses */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	64

struct env {
	struct skbtop_opts probe_opts;
	double interval;	/* seconds between refreshes */
	long count;		/* refreshes, 0 = until stopped */
	double duration;	/* -d: seconds, 0 = none */
	bool json;
	bool facts;		/* probes --facts: the kernel facts, not the table */
	bool pretty;
	bool text;		/* --text: plain periodic table even on a terminal */
	bool per_cpu;
	bool no_color;
	bool help;		/* -h: print the usage (of the subcommand given) */
	long max_iterations;	/* -n: TUI refreshes before exit */
	const char *output;	/* -o FILE */
	const char *format;	/* --format text|json|markdown */
	const char *listen;	/* export --listen ADDR:PORT */
	const char *textfile;	/* export --textfile PATH */
	long queues;		/* export --queues[=N]: series for at most N tun/tap queues, 0 off */
	long locations;		/* export --locations[=N]: drop series for at most N locations, 0 off */
	long top_cpus;		/* export --top-cpus N: per-CPU series for at most N CPUs, 0 default */
	unsigned long long given;	/* bit i: options.c's long_opts[i] was given */
	char **argv;		/* positional arguments left */
	int argc;
};

/* export.c reads queues and locations only when this is defined */
#define SKBTOP_ENV_EXPORT_LIMITS 1

#endif
