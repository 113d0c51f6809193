// SPDX-License-Identifier: GPL-2.0
/*
 * `skbtop fields`: the field registry as a legend (text), as JSON, or as the
 * markdown the man page's FIELDS section is generated from. Nothing here
 * describes a field: every word comes from fields.c.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "fields.h"
#include "files.h"
#include "jsonw.h"
#include "options.h"
#include "probes.h"

struct table {
	const char *title;	/* what one row of it counts */
	const char *labels;	/* /metrics labels of its families */
	const struct field *f;
	size_t n;
};

static const struct table tables[] = {
	{ "per CPU (text table, screen CPU panel, -j cpus[] and totals)", "cpu", cpu_fields,
	  0 },
	{ "per tun/tap queue (TUN DEVICE table, screen queue panel, -j queues[])",
	  "ifname, queue, dir", queue_fields, 0 },
	{ "per CPU pair (DEFER CPU->CPU table, -j kicks[])", "from_cpu, to_cpu", kick_fields,
	  0 },
	{ "per tun/tap queue and batch class: histograms (TUN_SENDMSG table, -j "
	  "queues[].sendmsg_ns; no /metrics family)", "-", hist_fields, 0 },
};

static size_t table_n(size_t t)
{
	return t == 0 ? cpu_nfields : t == 1 ? queue_nfields : t == 2 ? kick_nfields : hist_nfields;
}

/* "probe" or "probe (caps a, b)" or "probe + probe2"; "-" for skbtop's own */
static const char *source(const struct field *f, char *buf, size_t len)
{
	size_t o;

	if (!f->probe)
		return "-";
	o = snprintf(buf, len, "%s", f->probe);
	if (f->probe2 && o < len)
		o += snprintf(buf + o, len - o, " + %s", f->probe2);
	for (size_t c = 0, k = 0; c < probe_ncap_names && o < len; c++)
		if (f->need & probe_cap_names[c].bit)
			o += snprintf(buf + o, len - o, "%s%s", k++ ? ", " : " (caps ",
				      probe_cap_names[c].name);
	if (f->need && o < len)
		snprintf(buf + o, len - o, ")");
	return buf;
}

static void metric_name(const struct field *f, char *buf, size_t len)
{
	if (f->metric && f->kind == FIELD_GAUGE)
		snprintf(buf, len, "skbtop_%s (gauge)", f->metric);
	else if (f->metric && f->kind != FIELD_RATIO)
		snprintf(buf, len, "skbtop_%s_total", f->metric);
	else
		snprintf(buf, len, "-");
}

static void legend_text(FILE *out)
{
	char src[96];

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		fprintf(out, "%s%s\n", t ? "\n" : "", tables[t].title);
		for (size_t i = 0; i < table_n(t); i++) {
			const struct field *f = &tables[t].f[i];

			fprintf(out, "  %-6s %s\n", f->title && (f->text || f->screen) ? f->title : "",
				f->name);
			fprintf(out, "         %s\n         unit %s, probe %s\n", f->help, f->unit,
				source(f, src, sizeof(src)));
		}
	}
	fprintf(out, "\n'-' (text, screen), null (JSON), n/a (report, diff): the probe is "
		     "unavailable\nor its mode cannot measure the field; /metrics then has "
		     "no family for it.\n");
}

static void legend_json(FILE *out, bool pretty)
{
	struct jsonw w;
	char buf[128];

	jw_init(&w, out, pretty ? 2 : 0);
	jw_array(&w);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t i = 0; i < table_n(t); i++) {
			const struct field *f = &tables[t].f[i];

			jw_object(&w);
			jw_kv_string(&w, "table", t == 0 ? "cpu" : t == 1 ? "queue" :
						  t == 2 ? "kick" : "hist");
			jw_kv_string(&w, "name", f->name);
			jw_kv_string(&w, "title", f->text || f->screen ? f->title : NULL);
			metric_name(f, buf, sizeof(buf));
			jw_kv_string(&w, "metric", strcmp(buf, "-") ? buf : NULL);
			jw_kv_string(&w, "unit", f->unit);
			jw_kv_string(&w, "probe", f->probe);
			jw_kv_string(&w, "probe2", f->probe2);
			jw_key(&w, "caps");
			jw_array(&w);
			for (size_t c = 0; c < probe_ncap_names; c++)
				if (f->need & probe_cap_names[c].bit)
					jw_string(&w, probe_cap_names[c].name);
			jw_end(&w);
			jw_kv_string(&w, "help", f->help);
			jw_end(&w);
		}
	jw_end(&w);
	fputc('\n', out);
}

static void legend_markdown(FILE *out)
{
	char src[96], metric[128];

	fprintf(out, "# skbtop fields\n\n"
		     "Generated from skbtop's field registry (cli/fields.c) by `skbtop fields "
		     "--format markdown`. The name is the key in `-j`, captures, report and "
		     "diff; the column the title in `--text` and on the screen; the family the "
		     "/metrics counter, one series per label set. A field is measured when its probe is "
		     "attached in a mode that declares the capabilities (caps) it needs "
		     "(`skbtop probes -j` lists them); otherwise it is `-` in text and on the "
		     "screen, `null` in JSON, `n/a` in report and diff, and /metrics has no "
		     "family for it.\n");
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		fprintf(out, "\n## %s\n\n", tables[t].title);
		if (strcmp(tables[t].labels, "-"))
			fprintf(out, "Family labels: %s.\n\n", tables[t].labels);
		for (size_t i = 0; i < table_n(t); i++) {
			const struct field *f = &tables[t].f[i];

			metric_name(f, metric, sizeof(metric));
			fprintf(out, "- `%s`", f->name);
			if (f->text || f->screen)
				fprintf(out, " (column `%s`)", f->title);
			fprintf(out, ": %s. Unit %s; probe %s", f->help, f->unit,
				source(f, src, sizeof(src)));
			if (strcmp(metric, "-"))
				fprintf(out, "; family `%s`", metric);
			fprintf(out, ".\n");
		}
	}
	fprintf(out, "\n## Capabilities\n\n");
	for (size_t c = 0; c < probe_ncap_names; c++)
		fprintf(out, "- `%s`: %s.\n", probe_cap_names[c].name, probe_cap_names[c].help);
}

int cmd_fields(struct env *env)
{
	const char *fmt = env->format ? env->format : env->json ? "json" : "text";

	if (env->argc)
		return usage_error("%s takes no arguments", "fields");
	if (!strcmp(fmt, "json"))
		legend_json(stdout, env->pretty);
	else if (!strcmp(fmt, "markdown"))
		legend_markdown(stdout);
	else
		legend_text(stdout);
	return stdout__flush() < 0 ? EXIT_FAIL : EXIT_OK;
}
