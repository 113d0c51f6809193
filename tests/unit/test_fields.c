// SPDX-License-Identifier: GPL-2.0
/*
 * Unmeasured is never 0, output by output. The probe table is this host's
 * (lockdown: tracepoints only); the snapshot has counts where probes run.
 * For every field of the registry, each output shows '-' (text, screen),
 * null (JSON, captures' totals.fields), n/a (report, diff) or no family
 * (/metrics) exactly when the field is not measured, and a number when it is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "capture.h"
#include "fields.h"
#include "metrics.h"
#include "tui.h"
#include "view.h"
#include "fake_names.h"

static struct probe_status probes[] = {
	{ .name = "drops", .group = "drops", .mode = MODE_TP_BTF, .variant = "tp_btf" },
	{ .name = "tun_consume", .group = "tun", .mode = MODE_TP_BTF, .variant = "tp_btf" },
	{ .name = "defer_queue", .group = "defer", .mode = MODE_UNAVAILABLE },
	{ .name = "defer_kick", .group = "defer", .mode = MODE_RAW_TP, .variant = "raw_tp" },
	{ .name = "defer_ipi", .group = "defer", .mode = MODE_RAW_TP, .variant = "raw_tp" },
	{ .name = "defer_recv", .group = "defer", .mode = MODE_RAW_TP, .variant = "raw_tp" },
	{ .name = "defer_flush", .group = "defer", .mode = MODE_DERIVED,
	  .variant = "consume_skb location", .note = "skbs only" },
	{ .name = "cache_get", .group = "cache", .mode = MODE_UNAVAILABLE },
	{ .name = "cache_put", .group = "cache", .mode = MODE_UNAVAILABLE },
	{ .name = "cache_refill", .group = "cache", .mode = MODE_UNAVAILABLE },
	{ .name = "cache_flush", .group = "cache", .mode = MODE_DISABLED },
	{ .name = "cache_level", .group = "cache", .mode = MODE_UNAVAILABLE },
	{ .name = "bulk", .group = "bulk", .mode = MODE_UNAVAILABLE },
	{ .name = "build", .group = "build", .mode = MODE_UNAVAILABLE },
	{ .name = "tun_sendmsg", .group = "tun", .mode = MODE_UNAVAILABLE },
	{ .name = "consume", .group = "consume", .mode = MODE_UNAVAILABLE },
	{ .name = "consume_task", .group = "consume", .mode = MODE_UNAVAILABLE },
	{ .name = "softirq_where", .group = "softirq", .mode = MODE_TP_BTF,
	  .variant = "tp_btf+stack", .caps = PROBE_CAP_SIRQ_STACK },
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))


static void make_ctx(struct view_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->reason_name = rname;
	ctx->location_name = lname;
	ctx->probes = probes;
	ctx->nprobes = NPROBES;
	ctx->top = 10;
}

static bool measured(const struct field *f)
{
	return field_measured(f, probes, NPROBES);
}

/* One interval of this host: drops, kicks and IPIs, flush skbs, a tap queue. */
static void make_snapshot(struct snapshot *s)
{
	struct drop_key k = { .reason = 2 };
	struct queue_key q = { .ifindex = 7, .queue = 0, .dir = QUEUE_TX, .ifname = "tap0" };
	struct queue_counters qc = { .consumes = 4, .drops = 3 };

	assert_int_equal(snapshot__init(s, 2), 0);
	s->mono_ns = 1000000000ULL;
	s->real_ns = 1700000000000000000ULL;
	s->cpus[1].drops = 5;
	s->cpus[0].defer_kicks_sent = 3;
	s->cpus[0].defer_ipis_sent = 3;
	s->cpus[1].defer_kicks_recv = 3;
	s->cpus[1].defer_flush_skbs = 9;
	s->kicks[0 * 2 + 1].kicks = 3;
	s->kicks[0 * 2 + 1].ipis = 3;
	snapshot__fill_ipis_recv(s);
	assert_int_equal(snapshot__add_drop(s, &k, 5), 0);
	assert_int_equal(snapshot__add_cpu_drop(s, 2, 1, 5), 0);
	assert_int_equal(snapshot__add_queue(s, &q, &qc), 0);
	assert_int_equal(snapshot__add_prog(s, "kfree_skb_btf", 0, 0), 0);
	s->cpus[1].sirq_runs[SIRQ_NET_RX][SIRQ_TASK] = 6;
	s->cpus[1].sirq_ns[SIRQ_NET_RX][SIRQ_TASK] = 600;
	{
		struct sirq_task_key tk = { .pid = 42, .tgid = 42, .comm = "udp" };
		struct sirq_task_counters tc = { .runs = { 6, 0 }, .ns = { 600, 0 } };

		assert_int_equal(snapshot__add_task(s, &tk, 1, &tc), 0);
	}
}

static char *capture_text(void (*fn)(FILE *, const struct snapshot *, const struct view_ctx *),
			  const struct snapshot *s, const struct view_ctx *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, s, ctx);
	fclose(f);
	return buf;
}

/* The words of the line of text starting with prefix (at most 32). */
static int words_of(const char *text, const char *prefix, char words[][32])
{
	const char *l = text;
	int n = 0;

	while (l && strncmp(l, prefix, strlen(prefix)))
		l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL;
	assert_non_null(l);
	while (*l && *l != '\n' && n < 32) {
		int k = 0;

		while (*l == ' ')
			l++;
		while (*l && *l != ' ' && *l != '\n' && k < 31)
			words[n][k++] = *l++;
		words[n][k] = '\0';
		if (k)
			n++;
	}
	return n;
}

/* A text table: its header words (after skip label words) against a row's (after labels). */
static void check_text_table(const char *text, const char *head, const char *row, int skip,
			     int labels, const struct field *fields, size_t nf)
{
	char h[32][32], r[32][32];
	int nh = words_of(text, head, h), nr = words_of(text, row, r);
	int checked = 0;

	assert_int_equal(nh - skip, nr - labels);
	for (int i = skip; i < nh; i++) {
		const struct field *f = NULL;
		const char *cell = r[i - skip + labels];

		for (size_t j = 0; j < nf && !f; j++)
			if ((fields[j].text) && !strcmp(fields[j].title, h[i]))
				f = &fields[j];
		assert_non_null(f);
		if (measured(f))
			assert_true(cell[0] >= '0' && cell[0] <= '9');
		else
			assert_string_equal(cell, "-");
		checked++;
	}
	assert_true(checked >= 3);
}

static void test_text(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	char *out;

	(void)state;
	make_snapshot(&s);
	make_ctx(&ctx);
	out = capture_text(view_text, &s, &ctx);
	check_text_table(out, "CPU", "all", 1, 1, cpu_fields, cpu_nfields);
	/* "TUN DEVICE QUEUE builds ..." over "tap0 tx0 ..." */
	check_text_table(out, "TUN DEVICE", "tap0", 3, 2, queue_fields, queue_nfields);
	check_text_table(out, "DEFER CPU->CPU", "0->1", 2, 1, kick_fields, kick_nfields);
	free(out);
	snapshot__free(&s);
}

/* Any u64 fits its column: the table stays aligned and within 72 columns. */
static void test_text_huge(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	char *out, h[32][32], r[32][32];

	(void)state;
	make_snapshot(&s);
	make_ctx(&ctx);
	s.cpus[1].drops = UINT64_MAX;
	s.cpus[0].defer_kicks_sent = 12345678901234ULL;
	out = capture_text(view_text, &s, &ctx);
	assert_int_equal(words_of(out, "CPU", h), words_of(out, "all", r));
	assert_non_null(strstr(out, " 18E\n"));	/* 2^64 - 1 */
	assert_non_null(strstr(out, " 12T "));
	for (const char *l = out; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		assert_true(strcspn(l, "\n") <= 72);
	free(out);
	snapshot__free(&s);
}

static void check_json_fields(const json_t *o, const struct field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(o, fields[i].name);

		assert_non_null(v);
		if (measured(&fields[i]) && fields[i].kind != FIELD_RATIO)
			assert_true(json_is_integer(v));
		else if (!measured(&fields[i]))
			assert_true(json_is_null(v));
	}
}

static void test_json(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	struct jsonw w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *o;

	(void)state;
	make_snapshot(&s);
	make_ctx(&ctx);
	jw_init(&w, f, 0);
	view_json_write(&w, &s, &ctx);
	fclose(f);
	o = json_loads(buf, 0, NULL);
	assert_non_null(o);
	check_json_fields(json_object_get(o, "totals"), cpu_fields, cpu_nfields);
	check_json_fields(json_array_get(json_object_get(o, "cpus"), 1), cpu_fields, cpu_nfields);
	check_json_fields(json_array_get(json_object_get(o, "queues"), 0), queue_fields,
			  queue_nfields);
	check_json_fields(json_array_get(json_object_get(o, "kicks"), 0), kick_fields,
			  kick_nfields);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "totals"),
							    "drops")), 5);
	assert_true(json_is_null(json_object_get(json_object_get(o, "totals"), "bulk_hist")));
	assert_true(json_is_null(json_object_get(json_object_get(o, "totals"),
						 "defer_flush_hist")));
	/* no --prog-stats: the kernel measured no run time */
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(o, "progs"), 0),
						 "run_ns")));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(o, "progs"), 0),
						 "run_cnt")));
	json_decref(o);
	free(buf);
	snapshot__free(&s);
}

static void check_screen(const struct tui_table *t, const struct tui_row *r,
			 const struct field *fields, size_t n)
{
	int checked = 0;

	for (int c = 0; c < t->ncols; c++)
		for (size_t i = 0; i < n; i++) {
			if (!fields[i].screen || strcmp(fields[i].title, t->cols[c].head))
				continue;
			if (measured(&fields[i]))
				assert_true(r->cell[c][0] >= '0' && r->cell[c][0] <= '9');
			else
				assert_string_equal(r->cell[c], "-");
			checked++;
		}
	assert_true(checked > 3);
}

static void test_screen(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	struct tui_filter filter = {};
	struct tui_table t = {};
	struct tui_data d = { .ctx = &ctx, .filter = &filter };

	(void)state;
	make_snapshot(&s);
	make_ctx(&ctx);
	d.delta = &s;
	d.total = &s;
	for (int totals = 0; totals < 2; totals++) {
		d.totals = totals;
		assert_int_equal(tui_build_cpus(&t, &d), 0);
		check_screen(&t, &t.sum, cpu_fields, cpu_nfields);
		check_screen(&t, &t.rows[1], cpu_fields, cpu_nfields);
		assert_int_equal(tui_build_queues(&t, &d), 0);
		assert_int_equal(t.n, 1);
		check_screen(&t, &t.rows[0], queue_fields, queue_nfields);
	}
	tui_table__free(&t);
	snapshot__free(&s);
}

/* The drawn width of a table: its label and shown field columns. */
static int shown_width(const struct tui_table *t, const char **drops_shown)
{
	int w = 0;

	for (int c = 0; c < t->ncols; c++)
		if (tui_col_shown(t, c) && (c < 2 || !t->cols[c].left)) {
			w += t->cols[c].width;
			if (!strcmp(t->cols[c].head, "drops"))
				*drops_shown = "yes";
		}
	return w;
}

/* 80 columns: unmeasured columns hidden, then the least wanted; drops stays. */
static void test_screen_fit(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	struct tui_filter filter = {};
	struct tui_table t = {};
	struct tui_data d = { .ctx = &ctx, .filter = &filter, .width = 80 };
	const char *drops = "no";

	(void)state;
	make_snapshot(&s);
	make_ctx(&ctx);
	d.delta = &s;
	d.total = &s;
	assert_int_equal(tui_build_cpus(&t, &d), 0);
	for (int c = 1; c < t.ncols; c++) {
		const struct field *f = NULL;

		for (size_t i = 0; i < cpu_nfields && !f; i++)
			if (cpu_fields[i].screen && !strcmp(cpu_fields[i].title, t.cols[c].head))
				f = &cpu_fields[i];
		assert_non_null(f);
		assert_int_equal(tui_col_shown(&t, c), measured(f));	/* all fit in 80 */
	}
	assert_true(shown_width(&t, &drops) <= 80);
	assert_string_equal(drops, "yes");
	/* every column asked for: the lowest priorities give way, drops stays */
	d.all_cols = true;
	drops = "no";
	assert_int_equal(tui_build_cpus(&t, &d), 0);
	assert_true(shown_width(&t, &drops) <= 80);
	assert_string_equal(drops, "yes");
	assert_true(tui_col_shown(&t, 0));
	/* no width limit: every column */
	d.width = 0;
	assert_int_equal(tui_build_cpus(&t, &d), 0);
	for (int c = 0; c < t.ncols; c++)
		assert_true(tui_col_shown(&t, c));
	tui_table__free(&t);
	snapshot__free(&s);
}

static void test_metrics(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	struct metrics_opts opts = { .queues = 10 };
	struct metrics m;
	char *buf = NULL, name[160];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct field *tables[] = { cpu_fields, queue_fields, kick_fields };
	size_t ns[] = { cpu_nfields, queue_nfields, kick_nfields };

	(void)state;
	make_snapshot(&s);
	make_ctx(&ctx);
	metrics__init(&m, &opts);
	assert_int_equal(metrics__render(&m, f, &s, &ctx), 0);
	fclose(f);
	for (size_t t = 0; t < 3; t++)
		for (size_t i = 0; i < ns[t]; i++) {
			const struct field *fd = &tables[t][i];

			if (!fd->metric || fd->kind == FIELD_RATIO)
				continue;
			if (fd->kind == FIELD_GAUGE)
				snprintf(name, sizeof(name), "# TYPE skbtop_%s gauge\n", fd->metric);
			else
				snprintf(name, sizeof(name), "# TYPE skbtop_%s_total counter\n",
					 fd->metric);
			if (measured(fd))
				assert_non_null(strstr(buf, name));
			else
				assert_null(strstr(buf, name));
		}
	assert_null(strstr(buf, "skbtop_bpf_run_seconds_total"));	/* no --prog-stats */
	free(buf);
	metrics__free(&m);
	snapshot__free(&s);
}

/* A capture of two intervals of this host, read back. */
static void make_capture(struct capture *cap)
{
	struct capture_writer w;
	struct capture meta = { .exit_status = 0 };
	struct view_ctx names = { .reason_name = rname, .location_name = lname };
	char path[] = "/tmp/skbtop-test-fields-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	assert_int_equal(capture_writer__init(&w, 2, NULL), 0);
	for (int i = 0; i < 2; i++) {
		struct snapshot d;

		make_snapshot(&d);
		d.real_ns += i * 1000000000ULL;
		assert_int_equal(capture_writer__add(&w, &d), 0);
		snapshot__free(&d);
	}
	meta.env.ncpus = 2;
	meta.probes = probes;
	meta.nprobes = NPROBES;
	meta.start_ns = 1699999999000000000ULL;
	meta.end_ns = 1700000001000000000ULL;
	meta.interval_ns = 1000000000ULL;
	assert_int_equal(capture_writer__write(&w, &meta, &names, f), 0);
	fclose(f);
	capture_writer__free(&w);
	{	/* totals.fields: null exactly where unmeasured */
		json_t *doc = json_load_file(path, 0, NULL);
		const json_t *tf = json_object_get(json_object_get(doc, "totals"), "fields");

		assert_non_null(tf);
		check_json_fields(tf, cpu_fields, cpu_nfields);
		json_decref(doc);
	}
	assert_int_equal(capture__read(path, cap, NULL, err, sizeof(err)), 0);
	unlink(path);
}

static char *report(const struct capture *cap, const char *fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(report__print(f, cap, "cap.json", fmt), 0);
	fclose(f);
	return buf;
}

static void test_report(void **state)
{
	struct capture cap = {};
	char *text, *md, *js, line[160];
	json_t *o;

	(void)state;
	make_capture(&cap);
	text = report(&cap, "text");
	md = report(&cap, "markdown");
	js = report(&cap, "json");
	o = json_loads(js, 0, NULL);
	assert_non_null(o);
	for (size_t i = 0; i < cpu_nfields; i++) {
		const struct field *f = &cpu_fields[i];
		const json_t *rate = json_object_get(json_object_get(o, "rates_per_second"),
						     f->name);

		snprintf(line, sizeof(line), "| %s | n/a | n/a |", f->name);
		if (measured(f)) {
			assert_null(strstr(md, line));
			if (f->kind != FIELD_RATIO)
				assert_true(json_is_number(rate));
		} else {
			assert_non_null(strstr(md, line));
			if (f->kind != FIELD_RATIO)
				assert_true(json_is_null(rate));
			/* text: named in the "not measured" list, never in RATES */
			assert_non_null(strstr(strstr(text, "not measured"), f->name));
		}
	}
	json_decref(o);
	free(text);
	free(md);
	free(js);
	capture__free(&cap);
}

/*
 * The report's headline: the kick matrix, sender -> target, with n/a where
 * a column's probe is unavailable, and the CPUs that ran tun_sendmsg()
 * (the vhost worker) marked; n/a, not "none", without the tun_sendmsg probe.
 */
static void test_report_headline(void **state)
{
	struct capture cap = {};
	char *text;

	(void)state;
	make_capture(&cap);
	text = report(&cap, "text");
	/* defer_queue unavailable: queued n/a; two samples of 3 kicks and 3 IPIs, CPU 0 to 1 */
	assert_non_null(strstr(text, "DEFER KICKS AND IPIS, sender -> target CPU (* ran tun_sendmsg())\n"
				     "   FROM     TO      queued       kicks        ipis\n"
				     "     0      1          n/a           6           6\n"
				     "vhost worker CPU (tun_sendmsg() calls): n/a (tun_sendmsg unavailable)\n"));
	assert_true(strstr(text, "DEFER KICKS") < strstr(text, "PROBE "));
	free(text);
	for (size_t i = 0; i < cap.nprobes; i++)
		if (!strcmp(cap.probes[i].name, "tun_sendmsg"))
			cap.probes[i].mode = MODE_FENTRY;
	text = report(&cap, "text");
	assert_non_null(strstr(text, "vhost worker CPU (tun_sendmsg() calls): none\n"));
	free(text);
	cap.totals.cpus[1].tun_sendmsg_calls = 7;
	text = report(&cap, "text");
	assert_non_null(strstr(text, "     0      1*         n/a           6           6\n"
				     "vhost worker CPU (tun_sendmsg() calls): 1 (7)\n"));
	free(text);
	capture__free(&cap);
}

static void test_diff(void **state)
{
	struct capture a = {}, b = {};
	struct diff_result r;
	size_t none = 0;

	(void)state;
	make_capture(&a);
	make_capture(&b);
	assert_int_equal(diff__compare(&a, &b, &r), 0);
	for (size_t i = 0; i < cpu_nfields; i++) {
		none += !measured(&cpu_fields[i]);
		assert_true(!diff__find(&r, cpu_fields[i].name) == !measured(&cpu_fields[i]) ||
			    measured(&cpu_fields[i]));
	}
	for (size_t i = 0; i < queue_nfields; i++)
		none += !measured(&queue_fields[i]);	/* one queue in the captures */
	assert_int_equal(r.nunmeasured, none);
	for (size_t i = 0; i < r.nrows; i++)
		assert_false(r.rows[i].before_na || r.rows[i].after_na);
	assert_non_null(diff__find(&r, "drops"));
	diff__free(&r);
	capture__free(&a);
	capture__free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_huge),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_screen),
		cmocka_unit_test(test_screen_fit),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_headline),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
