// SPDX-License-Identifier: GPL-2.0
/* Option parsing shared by every subcommand. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "options.h"

const char usage[] =
"USAGE: skbtop [OPTIONS] [INTERVAL [COUNT]]     live screen (text when not a terminal)\n"
"       skbtop --text [-j] [INTERVAL [COUNT]]   plain periodic table / JSON lines\n"
"       skbtop probes [-j]                      probes, attach modes and reasons\n"
"       skbtop record [-d SEC] [-i SEC] -o FILE [-- CMD ARGS...]\n"
"       skbtop report FILE [--format text|json|markdown]\n"
"       skbtop diff BEFORE AFTER [--format text|json|markdown]\n"
"       skbtop export (--listen [ADDR:]PORT | --textfile PATH) [-i SEC]\n"
"                     [--queues[=N]] [--locations[=N]] [--top-cpus N | -C]\n"
"       skbtop fields [-j | --format text|json|markdown]\n"
"                                              every field: column, name, probe\n"
"\n"
"OPTIONS:\n"
"  -i, --interval SEC     seconds between refreshes (default 1)\n"
"  -d, --duration SEC     stop after SEC seconds\n"
"  -n, --max-iterations N refreshes before exit (screen, or --text without COUNT)\n"
"  -j, --json             JSON: one object per interval (or per command)\n"
"      --pretty           indent JSON\n"
"      --text             plain text table even on a terminal\n"
"  -C, --per-cpu          one row per CPU in the text table; export: a series\n"
"                         for every CPU\n"
"  -L, --drop-detail      count drops per (reason, device, queue, location), as\n"
"                         dropwatch does: a per-CPU cell per tuple, or a hash\n"
"                         update, instead of an array add (see OVERHEAD in\n"
"                         skbtop(8)); default: per reason and CPU (tun/tap\n"
"                         queues are always counted)\n"
"      --no-color         no colours (also NO_COLOR in the environment)\n"
"  -P, --probes LIST      only these probes (comma list; see `skbtop probes`);\n"
"                         -a,-b: every probe but a and b\n"
"      --prog-stats       measure each BPF program's run time (BPF_ENABLE_STATS:\n"
"                         two clock reads per run of every BPF program on the\n"
"                         system while skbtop runs); off by default\n"
"      --max-mode MODE    never use better modes than MODE (kprobe|tracepoint)\n"
"      --facts            probes: print the kernel facts the chains decided on\n"
"      --btf FILE         kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
"  -o, --output FILE      capture file (record)\n"
"      --format FMT       report/diff/fields output: text, json or markdown\n"
"      --listen [ADDR:]PORT  export: serve /metrics (ADDR defaults to 127.0.0.1)\n"
"      --textfile PATH    export: rewrite PATH (.prom) atomically every interval\n"
"      --queues[=N]       export: per tun/tap queue series, at most N queues (50)\n"
"      --locations[=N]    export: per drop location series, at most N (50);\n"
"                         implies -L\n"
"      --top-cpus N       export: per-CPU series for at most N CPUs per family,\n"
"                         the rest summed in cpu=\"other\" (default 8)\n"
"  -v, --verbose          libbpf messages\n"
"  -V, --version          print the version\n"
"  -h, --help             this help\n"
"\n"
"EXAMPLES:\n"
"  skbtop                       live screen, refreshed every second\n"
"  skbtop --text -C 2 5         per-CPU table every 2 s, 5 times\n"
"  skbtop --text -j 1 10        ten JSON objects, one a second\n"
"  skbtop probes                which probes attach here, and why not\n"
"  skbtop record -o base.json -- ./bench.sh\n"
"  skbtop diff base.json patched.json --format text\n";

int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "skbtop: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'skbtop --help'.\n");
	return EXIT_USAGE;
}

static int parse_seconds(const char *s, double *out, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_long(const char *s, long *out, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

enum { OPT_PRETTY = 256, OPT_TEXT, OPT_NO_COLOR, OPT_BTF, OPT_FORMAT, OPT_MAX_MODE,
       OPT_LISTEN, OPT_TEXTFILE, OPT_QUEUES, OPT_LOCATIONS, OPT_TOP_CPUS, OPT_PROG_STATS, OPT_FACTS };

static const struct option long_opts[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "max-iterations", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
	{ "text", no_argument, NULL, OPT_TEXT },
	{ "per-cpu", no_argument, NULL, 'C' },
	{ "drop-detail", no_argument, NULL, 'L' },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "probes", required_argument, NULL, 'P' },
	{ "prog-stats", no_argument, NULL, OPT_PROG_STATS },
	{ "max-mode", required_argument, NULL, OPT_MAX_MODE },
	{ "facts", no_argument, NULL, OPT_FACTS },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ "queues", optional_argument, NULL, OPT_QUEUES },
	{ "locations", optional_argument, NULL, OPT_LOCATIONS },
	{ "top-cpus", required_argument, NULL, OPT_TOP_CPUS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

/* one bit per long option in env->given: no count a long command line can overflow */
_Static_assert(sizeof(long_opts) / sizeof(long_opts[0]) <= 64, "env.given has 64 bits");

int check_options(const struct env *env, const char *cmd, const char *const *allowed)
{
	for (size_t i = 0; long_opts[i].name; i++) {
		bool ok = false;

		if (!(env->given & (1ULL << i)))
			continue;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, long_opts[i].name);
		if (!ok) {
			char msg[96];

			snprintf(msg, sizeof(msg), "option '--%s' does not apply to %%s",
				 long_opts[i].name);
			return usage_error(msg, cmd);
		}
	}
	return EXIT_OK;
}

/* Parse options and positionals; returns 0, or an exit status to leave with. */
int parse_args(int argc, char **argv, struct env *env, int *done)
{
	int opt;

	*done = 0;
	optind = 0;	/* glibc: 0 fully resets getopt state between argv arrays */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:i:d:n:jCLP:o:vVh", long_opts, NULL)) != -1) {
		for (size_t i = 0; long_opts[i].name; i++)
			if (long_opts[i].val == opt)
				env->given |= 1ULL << i;
		switch (opt) {
		case 'i':
			if (parse_seconds(optarg, &env->interval, 0.01, 3600))
				return usage_error("invalid interval '%s' (0.01 to 3600 seconds)", optarg);
			break;
		case 'd':
			if (parse_seconds(optarg, &env->duration, 0.01, 30 * 86400))
				return usage_error("invalid duration '%s'", optarg);
			break;
		case 'n':
			if (parse_long(optarg, &env->max_iterations, 1, 1000000000))
				return usage_error("invalid iteration count '%s'", optarg);
			break;
		case 'j': env->json = true; break;
		case OPT_PRETTY: env->pretty = true; break;
		case OPT_TEXT: env->text = true; break;
		case 'C': env->per_cpu = true; break;
		case 'L': env->probe_opts.drop_detail = true; break;
		case OPT_NO_COLOR: env->no_color = true; break;
		case 'P': env->probe_opts.only = optarg; break;
		case OPT_PROG_STATS: env->probe_opts.prog_stats = true; break;
		case OPT_MAX_MODE:
			if (strcmp(optarg, "kprobe") && strcmp(optarg, "tracepoint"))
				return usage_error("invalid --max-mode '%s' (kprobe or tracepoint)",
						   optarg);
			env->probe_opts.max_mode = optarg;
			break;
		case OPT_BTF: env->probe_opts.btf_path = optarg; break;
		case OPT_FACTS: env->facts = true; break;
		case 'o': env->output = optarg; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") && strcmp(optarg, "json") &&
			    strcmp(optarg, "markdown"))
				return usage_error("invalid --format '%s' (text, json or markdown)",
						   optarg);
			env->format = optarg;
			break;
		case OPT_LISTEN: env->listen = optarg; break;
		case OPT_TEXTFILE: env->textfile = optarg; break;
		case OPT_QUEUES:
		case OPT_LOCATIONS: {
			long v = 50;	/* METRICS_DEFAULT_LIMIT */

			if (optarg && parse_long(optarg, &v, 1, 1000))
				return usage_error("invalid series limit '%s' (1 to 1000)", optarg);
			if (opt == OPT_QUEUES)
				env->queues = v;
			else
				env->locations = v;
			/* per-location series need per-location counts */
			if (opt == OPT_LOCATIONS)
				env->probe_opts.drop_detail = true;
			break;
		}
		case OPT_TOP_CPUS:
			if (parse_long(optarg, &env->top_cpus, 1, 4096))
				return usage_error("invalid --top-cpus '%s' (1 to 4096)", optarg);
			break;
		case 'v': env->probe_opts.verbose = true; break;
		case 'V':
			printf("skbtop %s\n", SKBTOP_VERSION);
			*done = 1;
			return EXIT_OK;
		case 'h':	/* main prints the help of the command given */
			env->help = true;
			*done = 1;
			return EXIT_OK;
		case ':':
		default: {
			/* in a cluster (-xj) optind still points at it: name the letter */
			char letter[3] = { '-', (char)optopt, '\0' };
			const char *o = optopt && strncmp(argv[optind - 1], "--", 2) ? letter
										 : argv[optind - 1];

			return opt == ':' ? usage_error("option '%s' needs an argument", o)
					  : usage_error("unknown option '%s'", o);
		}
		}
	}
	env->argc = argc - optind;
	env->argv = argv + optind;
	return EXIT_OK;
}

