// SPDX-License-Identifier: GPL-2.0
/*
 * skbtop: the kernel's skb allocation behaviour, per CPU and per tun/tap
 * queue: NAPI skb cache, bulk allocation, deferred frees and their IPIs,
 * napi_consume_skb, and drop reasons.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "env.h"
#include "commands.h"
#include "options.h"
#include "files.h"
#include "session.h"

struct command {
	const char *name;
	int (*fn)(struct env *env);
	const char *const *options;	/* long names it takes (help, version: all) */
	const char *synopsis;		/* after "skbtop NAME" */
	const char *what;
};

#define PROBE_OPTS "probes", "max-mode", "btf", "verbose"
static const char *const live_opts[] = {
	"interval", "duration", "max-iterations", "json", "pretty", "text", "per-cpu",
	"drop-detail", "no-color", "prog-stats", PROBE_OPTS, NULL };
static const char *const probes_opts[] = { "json", "pretty", "facts", PROBE_OPTS, NULL };
static const char *const record_opts[] = {
	"interval", "duration", "output", "drop-detail", PROBE_OPTS, NULL };
static const char *const format_opts[] = { "format", NULL };
static const char *const fields_opts[] = { "format", "json", "pretty", NULL };
static const char *const export_opts[] = {
	"interval", "duration", "listen", "textfile", "queues", "locations", "top-cpus",
	"per-cpu", "drop-detail", "prog-stats", PROBE_OPTS, NULL };

static const struct command commands[] = {
	{ "probes", cmd_probes, probes_opts, "[-j] [--facts]",
	  "Every probe, the mode it attaches in here, and why better modes (or all) are not\n"
	  "usable; with --facts, the kernel facts (BTF, kallsyms, tracefs) behind that." },
	{ "record", cmd_record, record_opts, "[-d SEC] [-i SEC] -o FILE [-- CMD ARGS...]",
	  "Count while CMD runs (or for -d seconds, or until Ctrl-C) and write a capture\n"
	  "file; the exit status is CMD's." },
	{ "report", cmd_report, format_opts, "FILE [--format text|json|markdown]",
	  "Summarize a capture file (text fits a 72-column mail)." },
	{ "diff", cmd_diff, format_opts, "BEFORE AFTER [--format text|json|markdown]",
	  "Compare two captures metric by metric, with a verdict from Welch's t-test." },
	{ "export", cmd_export, export_opts,
	  "(--listen [ADDR:]PORT | --textfile PATH) [-i SEC] [--queues[=N]] [--locations[=N]]\n"
	  "              [--top-cpus N | -C]",
	  "Serve /metrics (Prometheus) or rewrite a node_exporter textfile every interval." },
	{ "fields", cmd_fields, fields_opts, "[-j | --format text|json|markdown]",
	  "Every field: its column title, JSON name, /metrics family, unit and probe." },
};

/*
 * NAME --help: its synopsis, what it does, and the lines of the global
 * OPTIONS list for the options it takes (an option's continuation lines,
 * indented further, come with it).
 */
static void command_help(const struct command *cmd)
{
	const char *l = strstr(usage, "OPTIONS:\n");
	bool keep = false;

	printf("USAGE: skbtop %s %s\n\n%s\n\nOPTIONS:\n", cmd->name, cmd->synopsis, cmd->what);
	for (l = l ? strchr(l, '\n') + 1 : ""; *l && *l != '\n'; l = strchr(l, '\n') + 1) {
		size_t len = strcspn(l, "\n");
		const char *dash = strstr(l, "--");

		if (strncmp(l, "                         ", 25)) {	/* an option's first line */
			keep = false;
			for (const char *const *o = cmd->options; *o && dash && dash < l + len; o++)
				keep |= !strncmp(dash + 2, *o, strlen(*o)) &&
					strchr(" =[", dash[2 + strlen(*o)]);
			keep |= dash && !strncmp(dash, "--help", 6);
		}
		if (keep)
			printf("%.*s\n", (int)len, l);
	}
}

int main(int argc, char **argv)
{
	struct env env = { .interval = 1.0 };
	const struct command *cmd = NULL;
	int done, ret;

	/* before anything opens a file: it must not become stdin/stdout/stderr */
	stdio__reserve();
	/* a closed pipe is a write error (EPIPE) each writer handles, not a death */
	signal(SIGPIPE, SIG_IGN);
	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		env.no_color = true;
	/* a subcommand comes first: `skbtop probes -j` */
	if (argc > 1 && argv[1][0] != '-') {
		size_t len = strlen(argv[1]);
		int matches = 0;

		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strncmp(commands[i].name, argv[1], len)) {
				if (!strcmp(commands[i].name, argv[1])) {
					cmd = &commands[i];
					matches = 1;
					break;
				}
				cmd = &commands[i];
				matches++;
			}
		if (matches > 1)
			return usage_error("ambiguous command '%s'", argv[1]);
		if (cmd) {
			argc--;
			argv++;
		}
	}
	/* the commands that stop cleanly on a signal: from the start, so one that
	 * comes while probes load is not lost (record: CMD is then never started) */
	if (!cmd || cmd->fn == cmd_record || cmd->fn == cmd_export)
		install_stop_handlers();
	ret = parse_args(argc, argv, &env, &done);
	if (!ret && env.help) {
		if (cmd)
			command_help(cmd);
		else
			fputs(usage, stdout);
		return stdout__flush() < 0 ? EXIT_FAIL : EXIT_OK;
	}
	if (ret || done)
		return ret;
	ret = cmd ? check_options(&env, cmd->name, cmd->options)
		  : check_options(&env, "the live screen", live_opts);
	if (ret)
		return ret;
	if (env.probe_opts.btf_path) {
		/* a FIFO or device is refused here, not opened (and waited on) by
		 * libbpf; a missing or unreadable file gets the loader's message */
		char err[512];
		int fd = infile__open(env.probe_opts.btf_path, err, sizeof(err));

		if (fd == -EINVAL)
			return fprintf(stderr, "skbtop: %s\n", err), EXIT_FAIL;
		if (fd >= 0)
			close(fd);
	}
	if (env.probe_opts.only) {
		char err[512];

		if (skbtop__check_probe_list(env.probe_opts.only, err, sizeof(err)))
			return usage_error("%s", err);
	}
	if (cmd)
		return cmd->fn(&env);
	return cmd_live(&env);
}
