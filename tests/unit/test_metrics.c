// SPDX-License-Identifier: GPL-2.0
/* Prometheus rendering of synthetic snapshots: exact lines, omitted families, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "env.h"
#include "metrics.h"

static const char *t_reason(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	(void)ctx;
	switch (r) {
	case 2: snprintf(buf, len, "NO_SOCKET"); break;
	case 6: snprintf(buf, len, "SOCKET_RCVBUFF"); break;
	case 99: snprintf(buf, len, "WEIRD\"NAME\\X"); break;
	default: snprintf(buf, len, "%u", r); break;
	}
	return buf;
}

static const char *t_location(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "fn_%llx+0x10", (unsigned long long)a);
	return buf;
}

static struct probe_status probes[] = {
	{ .name = "drops", .group = "drops", .mode = MODE_TP_BTF, .variant = "tp_btf" },
	{ .name = "tun_consume", .group = "tun", .mode = MODE_TP_BTF, .variant = "tp_btf" },
	{ .name = "defer_queue", .group = "defer", .mode = MODE_UNAVAILABLE },
	{ .name = "defer_kick", .group = "defer", .mode = MODE_RAW_TP, .variant = "raw_tp" },
	{ .name = "defer_ipi", .group = "defer", .mode = MODE_UNAVAILABLE },
	{ .name = "defer_recv", .group = "defer", .mode = MODE_RAW_TP },
	{ .name = "defer_flush", .group = "defer", .mode = MODE_DERIVED,
	  .variant = "consume_skb location", .note = "skbs only" },
	{ .name = "cache_get", .group = "cache", .mode = MODE_UNAVAILABLE },
	{ .name = "cache_refill", .group = "cache", .mode = MODE_FENTRY, .variant = "fexit" },
	{ .name = "cache_flush", .group = "cache", .mode = MODE_DISABLED },
	{ .name = "cache_level", .group = "cache", .mode = MODE_SYSCALL, .variant = "syscall",
	  .caps = PROBE_CAP_LEVEL },
	{ .name = "bulk", .group = "bulk", .mode = MODE_FENTRY, .variant = "fexit",
	  .note = "no BH-context check" },
	{ .name = "build", .group = "build", .mode = MODE_UNAVAILABLE },
	{ .name = "tun_sendmsg", .group = "tun", .mode = MODE_UNAVAILABLE },
	{ .name = "consume", .group = "consume", .mode = MODE_FENTRY, .variant = "fentry+fexit",
	  .note = "skb_attempt_defer_free not traceable" },
};

static void make_ctx(struct view_ctx *ctx, bool with_probes)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->reason_name = t_reason;
	ctx->location_name = t_location;
	if (with_probes) {
		ctx->probes = probes;
		ctx->nprobes = sizeof(probes) / sizeof(probes[0]);
	}
}

/* n drops of (reason, loc) on cpu, as the collector keeps them: the key's
 * row summed over CPUs, and the reason's count on cpu */
static void add_drop(struct snapshot *s, __u32 reason, __u64 loc, __u32 cpu, __u64 n)
{
	struct drop_key k = { .reason = reason, .location = loc };

	assert_int_equal(snapshot__merge_drop(s, &k, n), 0);
	assert_int_equal(snapshot__add_cpu_drop(s, reason, cpu, n), 0);
}

static void add_queue(struct snapshot *s, const char *ifname, __u32 ifindex, __u16 q, __u8 dir,
		      __u64 consumes, __u64 drops)
{
	struct queue_key k = { .ifindex = ifindex, .queue = q, .dir = dir };
	struct queue_counters c = { .consumes = consumes, .drops = drops };

	strncpy(k.ifname, ifname, sizeof(k.ifname) - 1);
	assert_int_equal(snapshot__add_queue(s, &k, &c), 0);
}

static char *render(struct metrics *m, const struct snapshot *s, const struct view_ctx *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics__render(m, f, s, ctx), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The whole line, anchored at a line start. */
static bool has_line(const char *out, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = out; (p = strstr(p, line)); p++)
		if ((p == out || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static bool has_family(const char *out, const char *name)
{
	char t[160];

	snprintf(t, sizeof(t), "# TYPE %s ", name);
	return strstr(out, t) != NULL;
}

#define assert_line(out, l) do { \
	if (!has_line(out, l)) \
		fail_msg("missing line: %s\n--- output ---\n%s", l, out); \
} while (0)

static void base_snapshot(struct snapshot *s)
{
	assert_int_equal(snapshot__init(s, 2), 0);
	s->real_ns = 1700000000123456789ULL;
	s->user_cpu_ns = 1500000000ULL;
	s->cpus[0].drops = 5;
	s->cpus[1].drops = 9;
	s->cpus[0].cache_refills = 11;
	s->cpus[0].cache_level = 17;	/* a level; CPU 1's cache is empty: a measured 0 */
	s->cpus[1].bulk_asked = 40;
	s->cpus[1].bulk_got = 34;
	s->cpus[1].bulk_calls = 5;
	s->cpus[1].bulk_hist[0] = 1;	/* asked 0 */
	s->cpus[1].bulk_hist[4] = 3;	/* 8..15 */
	s->cpus[0].bulk_hist[15] = 1;	/* >= 16384 */
	s->cpus[1].defer_kicks_sent = 3;
	s->cpus[0].map_full = 2;
	s->kicks[0 * 2 + 1].kicks = 3;
	s->kicks[0 * 2 + 1].ipis = 2;
	add_drop(s, 2, 0x100, 0, 5);
	add_drop(s, 6, 0x200, 1, 4);
	add_drop(s, 6, 0x300, 1, 3);	/* same reason and CPU, other location: one series */
	assert_int_equal(snapshot__add_prog(s, "kfree_skb_btf", 2500000000ULL, 42), 0);
	assert_int_equal(snapshot__add_prog(s, "defer_kick_raw", 1000, 7), 0);
}

static void test_render_lines(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	struct metrics m;
	char *out;

	(void)state;
	base_snapshot(&s);
	make_ctx(&ctx, true);
	ctx.prog_stats = true;
	metrics__init(&m, NULL);
	out = render(&m, &s, &ctx);

	assert_line(out, "# HELP skbtop_drops_total Packets freed by kfree_skb(), by drop reason "
			 "(kernel BTF name) and CPU.");
	assert_line(out, "# TYPE skbtop_drops_total counter");
	assert_line(out, "skbtop_drops_total{reason=\"NO_SOCKET\",cpu=\"0\"} 5");
	assert_line(out, "skbtop_drops_total{reason=\"SOCKET_RCVBUFF\",cpu=\"1\"} 7");
	assert_line(out, "skbtop_probe_info{probe=\"drops\",mode=\"tp_btf\"} 1");
	assert_line(out, "skbtop_probe_info{probe=\"defer_ipi\",mode=\"unavailable\"} 1");
	assert_line(out, "skbtop_probe_info{probe=\"cache_flush\",mode=\"disabled\"} 1");
	assert_line(out, "# TYPE skbtop_napi_cache_refills_total counter");
	assert_line(out, "skbtop_napi_cache_refills_total{cpu=\"0\"} 11");
	assert_line(out, "skbtop_napi_cache_refills_total{cpu=\"1\"} 0");
	/* a gauge family: no _total, the level as read */
	assert_line(out, "# TYPE skbtop_napi_cache_level gauge");
	assert_line(out, "skbtop_napi_cache_level{cpu=\"0\"} 17");
	assert_line(out, "skbtop_napi_cache_level{cpu=\"1\"} 0");
	assert_line(out, "skbtop_probe_info{probe=\"cache_level\",mode=\"syscall\"} 1");
	assert_line(out, "skbtop_kfree_skb_total{cpu=\"1\"} 9");
	assert_line(out, "skbtop_bulk_heads_asked_total{cpu=\"1\"} 40");
	assert_line(out, "skbtop_bulk_heads_got_total{cpu=\"1\"} 34");
	assert_line(out, "skbtop_bulk_heads_short_total{cpu=\"1\"} 6");
	assert_line(out, "skbtop_bulk_heads_short_total{cpu=\"0\"} 0");
	assert_line(out, "skbtop_defer_kicks_sent_total{cpu=\"1\"} 3");
	assert_line(out, "skbtop_map_full_total{cpu=\"0\"} 2");
	assert_line(out, "skbtop_defer_kicks_total{from_cpu=\"0\",to_cpu=\"1\"} 3");
	assert_line(out, "# TYPE skbtop_bulk_request_heads histogram");
	assert_line(out, "skbtop_bulk_request_heads_bucket{le=\"0\"} 1");
	assert_line(out, "skbtop_bulk_request_heads_bucket{le=\"7\"} 1");
	assert_line(out, "skbtop_bulk_request_heads_bucket{le=\"15\"} 4");
	assert_line(out, "skbtop_bulk_request_heads_bucket{le=\"16383\"} 4");
	assert_line(out, "skbtop_bulk_request_heads_bucket{le=\"+Inf\"} 5");
	assert_line(out, "skbtop_bulk_request_heads_sum 40");
	assert_line(out, "skbtop_bulk_request_heads_count 5");
	assert_line(out, "skbtop_bpf_run_seconds_total{prog=\"kfree_skb_btf\"} 2.500000000");
	assert_line(out, "skbtop_bpf_run_seconds_total{prog=\"defer_kick_raw\"} 0.000001000");
	assert_line(out, "skbtop_bpf_run_count_total{prog=\"kfree_skb_btf\"} 42");
	assert_line(out, "process_cpu_seconds_total 1.500000000");
	assert_line(out, "skbtop_last_read_timestamp_seconds 1700000000.123456789");
	assert_line(out, "skbtop_build_info{version=\"" SKBTOP_VERSION "\"} 1");

	/* probe unavailable or disabled, or the mode cannot see it: no family, not zeros */
	assert_false(has_family(out, "skbtop_napi_cache_gets_total"));
	assert_false(has_family(out, "skbtop_napi_cache_flushes_total"));
	assert_false(has_family(out, "skbtop_defer_ipis_total"));
	assert_false(has_family(out, "skbtop_defer_ipis_sent_total"));
	assert_false(has_family(out, "skbtop_defer_queued_skbs_total"));
	assert_false(has_family(out, "skbtop_defer_flushes_total"));
	assert_false(has_family(out, "skbtop_defer_flush_batch_skbs"));
	assert_false(has_family(out, "skbtop_bulk_nonbh_calls_total"));
	assert_false(has_family(out, "skbtop_napi_consume_deferred_total"));
	assert_false(has_family(out, "skbtop_skb_builds_total"));
	assert_true(has_family(out, "skbtop_defer_flush_skbs_total"));
	assert_true(has_family(out, "skbtop_napi_consume_calls_total"));
	/* opt-in families are off by default */
	assert_false(has_family(out, "skbtop_drops_by_location_total"));
	assert_false(has_family(out, "skbtop_queue_drops_total"));
	/* pairs with no traffic are left out */
	assert_null(strstr(out, "to_cpu=\"0\""));
	/* process_* beyond the CPU time only when the exporter read them */
	assert_false(has_family(out, "process_resident_memory_bytes"));
	assert_false(has_family(out, "process_open_fds"));
	free(out);

	/* OpenMetrics: counter families without _total, samples with it, # EOF last */
	m.proc = (struct metrics_process){ .start_time_s = 1700000000.5, .resident_bytes = 4096,
					   .open_fds = 12, .max_fds = 1024 };
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_int_equal(metrics__render_openmetrics(&m, f, &s, &ctx), 0);
		fclose(f);
		out = buf;
	}
	assert_line(out, "# TYPE skbtop_kfree_skb counter");
	assert_line(out, "skbtop_kfree_skb_total{cpu=\"1\"} 9");
	assert_line(out, "# TYPE process_cpu_seconds counter");
	assert_line(out, "process_cpu_seconds_total 1.500000000");
	assert_line(out, "# TYPE skbtop_bulk_request_heads histogram");
	assert_line(out, "process_start_time_seconds 1700000000.50");
	assert_line(out, "process_resident_memory_bytes 4096");
	assert_line(out, "process_open_fds 12");
	assert_line(out, "process_max_fds 1024");
	assert_null(strstr(out, "# TYPE skbtop_kfree_skb_total"));
	assert_int_equal(strcmp(out + strlen(out) - 6, "# EOF\n"), 0);
	m.proc = (struct metrics_process){ 0 };
	free(out);

	/* without --prog-stats the kernel measured no run times: no families, not zeros */
	ctx.prog_stats = false;
	out = render(&m, &s, &ctx);
	assert_false(has_family(out, "skbtop_bpf_run_seconds_total"));
	assert_false(has_family(out, "skbtop_bpf_run_count_total"));
	assert_true(has_family(out, "process_cpu_seconds_total"));
	free(out);
	metrics__free(&m);
	snapshot__free(&s);
}

/* Every sample belongs to the family of the TYPE line above it; HELP before TYPE. */
static void test_structure(void **state)
{
	struct metrics_opts mo = { .queues = 5, .locations = 5 };
	struct snapshot s;
	struct view_ctx ctx;
	struct metrics m;
	char *out, *save = NULL, fam[160] = "";
	int types = 0;

	(void)state;
	base_snapshot(&s);
	add_queue(&s, "tap0", 5, 0, QUEUE_TX, 1, 2);
	make_ctx(&ctx, false);	/* no probe table: every family */
	metrics__init(&m, &mo);
	out = render(&m, &s, &ctx);
	assert_null(strstr(out, "skbtop_probe_info"));
	assert_true(has_family(out, "skbtop_defer_flush_batch_skbs"));
	assert_true(has_family(out, "skbtop_napi_cache_gets_total"));
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "# HELP ", 7)) {
			continue;
		} else if (!strncmp(l, "# TYPE ", 7)) {
			sscanf(l + 7, "%159s", fam);
			types++;
		} else {
			size_t n = strlen(fam);

			if (strncmp(l, fam, n) || (l[n] != '{' && l[n] != ' ' && l[n] != '_'))
				fail_msg("sample '%s' outside its family '%s'", l, fam);
		}
	}
	assert_true(types > 30);
	free(out);
	metrics__free(&m);
	snapshot__free(&s);
}

static void test_escape(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	struct metrics m;
	char buf[64], *out;

	(void)state;
	/* control bytes as the text \xHH (issue 20), its backslash escaped as any other */
	assert_string_equal(metrics__escape("a\"b\\c\nd", buf, sizeof(buf)),
			    "a\\\"b\\\\c\\\\x0ad");
	assert_string_equal(metrics__escape("\033[31mEV", buf, sizeof(buf)), "\\\\x1b[31mEV");
	assert_string_equal(metrics__escape("0123456789", buf, 8), "01234");
	assert_int_equal(snapshot__init(&s, 1), 0);
	add_drop(&s, 99, 0x1, 0, 1);
	make_ctx(&ctx, true);
	metrics__init(&m, NULL);
	out = render(&m, &s, &ctx);
	assert_line(out, "skbtop_drops_total{reason=\"WEIRD\\\"NAME\\\\X\",cpu=\"0\"} 1");
	free(out);
	metrics__free(&m);
	snapshot__free(&s);
}

/* Top N at first sight, then sticky; the rest summed in location="other". */
static void test_location_limit(void **state)
{
	struct metrics_opts mo = { .locations = 2 };
	struct snapshot s, d = {};
	struct view_ctx ctx;
	struct metrics m;
	char *out;

	(void)state;
	assert_int_equal(snapshot__init(&s, 2), 0);
	add_drop(&s, 6, 0xa, 0, 10);
	add_drop(&s, 6, 0xa, 1, 5);	/* one location's drops on two CPUs add up */
	add_drop(&s, 6, 0xb, 0, 1);
	add_drop(&s, 2, 0xc, 1, 7);
	make_ctx(&ctx, true);
	metrics__init(&m, &mo);
	out = render(&m, &s, &ctx);
	assert_line(out, "skbtop_drops_by_location_total{reason=\"SOCKET_RCVBUFF\",location=\"fn_a+0x10\"} 15");
	assert_line(out, "skbtop_drops_by_location_total{reason=\"NO_SOCKET\",location=\"fn_c+0x10\"} 7");
	assert_line(out, "skbtop_drops_by_location_total{reason=\"SOCKET_RCVBUFF\",location=\"other\"} 1");
	assert_null(strstr(out, "fn_b+0x10"));
	free(out);

	/* later, fn_b and a new fn_d outgrow everything: membership does not change */
	assert_int_equal(snapshot__init(&d, 2), 0);
	add_drop(&d, 6, 0xb, 0, 100);
	add_drop(&d, 6, 0xd, 1, 200);
	assert_int_equal(snapshot__accumulate(&s, &d), 0);
	out = render(&m, &s, &ctx);
	assert_line(out, "skbtop_drops_by_location_total{reason=\"SOCKET_RCVBUFF\",location=\"fn_a+0x10\"} 15");
	assert_line(out, "skbtop_drops_by_location_total{reason=\"SOCKET_RCVBUFF\",location=\"other\"} 301");
	assert_null(strstr(out, "fn_d+0x10"));
	assert_int_equal(m.locations.n, 2);
	free(out);
	metrics__free(&m);
	snapshot__free(&d);
	snapshot__free(&s);
}

static void test_queue_limit(void **state)
{
	struct metrics_opts mo = { .queues = 2 };
	struct snapshot s;
	struct view_ctx ctx;
	struct metrics m;
	char *out;

	(void)state;
	assert_int_equal(snapshot__init(&s, 1), 0);
	add_queue(&s, "tap0", 5, 0, QUEUE_TX, 10, 3);
	add_queue(&s, "tap0", 6, 0, QUEUE_TX, 1, 1);	/* same name in another netns */
	add_queue(&s, "tap0", 5, 1, QUEUE_RX, 4, 0);
	add_queue(&s, "tap1", 7, 0, QUEUE_TX, 0, 2);
	make_ctx(&ctx, true);
	metrics__init(&m, &mo);
	out = render(&m, &s, &ctx);
	assert_line(out, "skbtop_queue_consumes_total{ifname=\"tap0\",queue=\"0\",dir=\"tx\"} 11");
	assert_line(out, "skbtop_queue_drops_total{ifname=\"tap0\",queue=\"0\",dir=\"tx\"} 4");
	assert_line(out, "skbtop_queue_consumes_total{ifname=\"tap0\",queue=\"1\",dir=\"rx\"} 4");
	assert_line(out, "skbtop_queue_drops_total{ifname=\"other\",queue=\"other\",dir=\"other\"} 2");
	assert_null(strstr(out, "tap1"));
	/* tun_sendmsg is unavailable: its per-queue families are left out */
	assert_false(has_family(out, "skbtop_queue_builds_total"));
	assert_false(has_family(out, "skbtop_queue_sendmsg_calls_total"));
	free(out);
	metrics__free(&m);
	snapshot__free(&s);
}

/*
 * --top-cpus: at most N CPUs per family, the rest summed in cpu="other";
 * membership kept once admitted, so every series stays monotonic.
 */
static void test_cpu_limit(void **state)
{
	struct metrics_opts mo = { .cpus = 2 };
	struct snapshot s, d = {};
	struct view_ctx ctx;
	struct metrics m;
	char *out;

	(void)state;
	assert_int_equal(snapshot__init(&s, 6), 0);
	s.cpus[0].drops = 1;
	s.cpus[2].drops = 30;
	s.cpus[3].drops = 20;
	s.cpus[5].drops = 7;
	s.cpus[4].defer_kicks_sent = 9;	/* one CPU counts: no overflow */
	add_drop(&s, 6, 0, 0, 1);
	add_drop(&s, 6, 0, 2, 30);
	add_drop(&s, 2, 0, 3, 20);
	add_drop(&s, 6, 0, 5, 5);
	add_drop(&s, 2, 0, 5, 2);
	make_ctx(&ctx, true);
	metrics__init(&m, &mo);
	out = render(&m, &s, &ctx);
	assert_line(out, "skbtop_kfree_skb_total{cpu=\"2\"} 30");
	assert_line(out, "skbtop_kfree_skb_total{cpu=\"3\"} 20");
	assert_line(out, "skbtop_kfree_skb_total{cpu=\"other\"} 8");
	assert_null(strstr(out, "skbtop_kfree_skb_total{cpu=\"0\"}"));
	assert_null(strstr(out, "skbtop_kfree_skb_total{cpu=\"5\"}"));
	assert_line(out, "skbtop_defer_kicks_sent_total{cpu=\"4\"} 9");
	assert_line(out, "skbtop_defer_kicks_sent_total{cpu=\"other\"} 0");
	assert_null(strstr(out, "skbtop_defer_kicks_sent_total{cpu=\"0\"}"));
	/* drops by reason: CPUs admitted by their drops over all reasons (2, 3) */
	assert_line(out, "skbtop_drops_total{reason=\"SOCKET_RCVBUFF\",cpu=\"2\"} 30");
	assert_line(out, "skbtop_drops_total{reason=\"SOCKET_RCVBUFF\",cpu=\"other\"} 6");
	assert_line(out, "skbtop_drops_total{reason=\"NO_SOCKET\",cpu=\"3\"} 20");
	assert_line(out, "skbtop_drops_total{reason=\"NO_SOCKET\",cpu=\"other\"} 2");
	free(out);

	/* CPU 0 outgrows everything later: the set is full, it stays in "other" */
	assert_int_equal(snapshot__init(&d, 6), 0);
	d.cpus[0].drops = 1000;
	assert_int_equal(snapshot__accumulate(&s, &d), 0);
	out = render(&m, &s, &ctx);
	assert_line(out, "skbtop_kfree_skb_total{cpu=\"2\"} 30");
	assert_line(out, "skbtop_kfree_skb_total{cpu=\"other\"} 1008");
	assert_null(strstr(out, "skbtop_kfree_skb_total{cpu=\"0\"}"));
	free(out);
	metrics__free(&m);
	snapshot__free(&d);
	snapshot__free(&s);
}

/* The same snapshot renders to the same bytes (stable order for scrapes and tests). */
static void test_deterministic(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	struct metrics m;
	char *a, *b;

	(void)state;
	base_snapshot(&s);
	make_ctx(&ctx, true);
	metrics__init(&m, NULL);
	a = render(&m, &s, &ctx);
	b = render(&m, &s, &ctx);
	assert_string_equal(a, b);
	free(a);
	free(b);
	metrics__free(&m);
	snapshot__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_lines),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_location_limit),
		cmocka_unit_test(test_queue_limit),
		cmocka_unit_test(test_cpu_limit),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
