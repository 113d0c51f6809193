// SPDX-License-Identifier: GPL-2.0
/*
 * Capture files: write -> read round trip gives identical totals, rows and
 * names; every crafted bad file (tests/data/captures/bad_*.json), every
 * truncation of a good file and a few generated hostile documents are
 * refused with a message, never a crash (ASan+UBSan).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture.h"
#include "files.h"

#define DATA_DIR "tests/data/captures"

static const char *fake_reason(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, r == 41 ? "SOCKET_RCVBUFF" : r == 7 ? "FULL_RING" : "R%u", r);
	return buf;
}

static const char *fake_location(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "fn_%llx+0x10", (unsigned long long)(a & 0xfff));
	return buf;
}

static const struct probe_status probes[] = {
	{ .name = "drops", .group = "drops", .target = "skb:kfree_skb", .mode = MODE_TP_BTF,
	  .variant = "tp_btf" },
	{ .name = "defer_kick", .group = "defer", .target = "csd:csd_queue_cpu",
	  .mode = MODE_RAW_TP, .variant = "raw_tp" },
	{ .name = "bulk", .group = "bulk", .target = "napi_skb_cache_get_bulk",
	  .mode = MODE_UNAVAILABLE, .reason = "fentry refused: EPERM" },
};

/* Delta i of a synthetic run on 4 CPUs: every kind of row, with the values known. */
static void make_delta(struct snapshot *d, int i)
{
	struct drop_key k1 = { .reason = 41, .location = 0xffffffff81000123ULL };
	struct drop_key k2 = { .reason = 7, .ifindex = 5, .queue = 2, .dir = QUEUE_TX,
			       .ifname = "tap0", .location = 0xffffffffc0a00456ULL };
	struct queue_key q = { .ifindex = 5, .queue = 2, .dir = QUEUE_TX, .ifname = "tap0" };
	struct queue_counters qc = { .builds = 100 + i, .bulk_calls = 3, .drops = 7 * i };

	assert_int_equal(snapshot__init(d, 4), 0);
	d->mono_ns = 1000000000ULL + i;
	d->real_ns = 1700000000000000000ULL + (__u64)i * 1000000000ULL;
	d->user_cpu_ns = 1234 + i;
	d->cpus[0].drops = 10 + i;
	d->cpus[1].defer_kicks_sent = 20 * (i + 1);
	d->cpus[1].defer_ipis_sent = 19 * (i + 1);
	d->cpus[3].bulk_hist[4] = 9;
	d->cpus[3].defer_flush_hist[15] = 1;
	d->cpus[2].map_full = i ? 0 : (__u64)INT64_MAX;	/* largest a file holds */
	d->kicks[1 * 4 + 0].kicks = 20 * (i + 1);
	d->kicks[1 * 4 + 0].ipis = 19 * (i + 1);
	d->kicks[3 * 4 + 2].queued = 64;
	assert_int_equal(snapshot__add_drop(d, &k1, 10 + i), 0);
	assert_int_equal(snapshot__add_cpu_drop(d, k1.reason, 0, 10 + i), 0);
	if (i != 1) {
		assert_int_equal(snapshot__add_drop(d, &k2, 5), 0);
		assert_int_equal(snapshot__add_cpu_drop(d, k2.reason, 2, 5), 0);
	}
	assert_int_equal(snapshot__add_queue(d, &q, &qc), 0);
	assert_int_equal(snapshot__add_prog(d, "drops_tp_btf", 1000 * i, 10 * i), 0);
	d->progs[d->nprogs - 1].misses = i;	/* 1.1: skipped runs survive the file */
	/* 1.6: where NET_RX/NET_TX ran, and the tasks that ran them */
	d->cpus[1].sirq_runs[SIRQ_NET_RX][SIRQ_TASK] = 50 + i;
	d->cpus[1].sirq_ns[SIRQ_NET_RX][SIRQ_TASK] = 5000 + i;
	d->cpus[0].sirq_runs[SIRQ_NET_TX][SIRQ_KSOFTIRQD] = 2;
	{
		struct sirq_task_key vk = { .pid = 77, .tgid = 70, .comm = "vhost-70" };
		struct sirq_task_key ok = { .pid = 1000 + i, .tgid = 1000 + i, .comm = "udp" };
		struct sirq_task_counters vc = { .runs = { 40 + i, 1 }, .ns = { 4000, 100 } };
		struct sirq_task_counters oc = { .runs = { 10, 0 }, .ns = { 1000 + i, 0 } };

		assert_int_equal(snapshot__add_task(d, &vk, 1, &vc), 0);
		assert_int_equal(snapshot__add_task(d, &ok, 1, &oc), 0);
	}
}

static int emit_doc(FILE *f, void *doc)
{
	if (json_dumpf(doc, f, JSON_COMPACT | JSON_ENSURE_ASCII))
		return ferror(f) ? -errno : -ENOMEM;
	return fputc('\n', f) == EOF ? -errno : 0;
}

/* A document (edited by a test) to path, atomically, as the writer's files are. */
static int write_doc(const char *path, json_t *doc, char *err, size_t errlen)
{
	return outfile__write(path, emit_doc, doc, true, NULL, err, errlen);
}

static int build_doc(json_t **out, struct snapshot *expect)
{
	struct capture_writer w;
	struct capture meta = { .exit_status = 3 };
	struct view_ctx names = { .reason_name = fake_reason, .location_name = fake_location };
	char *argv[] = { "./bench", "--flag", "two words", NULL };

	assert_int_equal(capture_writer__init(&w, 4, NULL), 0);
	for (int i = 0; i < 3; i++) {
		struct snapshot d;

		make_delta(&d, i);
		assert_int_equal(capture_writer__add(&w, &d), 0);
		snapshot__free(&d);
	}
	meta.skbtop_version = "9.9.9";
	meta.env.kernel_release = "6.18.0-test";
	meta.env.kernel_cmdline = "quiet \"quoted\"";
	meta.env.cpu_model = "Test CPU";
	meta.env.ncpus = 4;
	meta.env.sysctls[0] = "64";
	meta.env.sysctls[5] = "0";
	meta.probes = (struct probe_status *)probes;
	meta.nprobes = 3;
	meta.argv = argv;
	meta.argc = 3;
	meta.start_ns = 1699999999000000000ULL;
	meta.end_ns = 1700000002000000000ULL;
	meta.interval_ns = 1000000000ULL;
	{	/* the document as record writes it: header, then the spooled samples */
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		json_error_t je;

		assert_int_equal(capture_writer__write(&w, &meta, &names, f), 0);
		fclose(f);
		*out = json_loads(text, 0, &je);
		if (!*out)
			fail_msg("the writer's document does not parse: %s", je.text);
		assert_int_equal(json_array_size(json_object_get(*out, "samples")), 3);
		{	/* the streaming writer's bytes are jansson's for the same document */
			char *dumped = json_dumps(*out, JSON_COMPACT | JSON_ENSURE_ASCII);

			assert_non_null(dumped);
			assert_int_equal(strlen(text), strlen(dumped) + 1);
			assert_memory_equal(text, dumped, strlen(dumped));
			assert_int_equal(text[strlen(dumped)], '\n');
			free(dumped);
		}
		free(text);
	}
	if (expect)
		assert_int_equal(snapshot__copy(expect, &w.totals), 0);
	capture_writer__free(&w);
	return 0;
}


static void test_round_trip(void **state)
{
	struct snapshot expect = {};
	struct capture cap;
	struct cpu_counters a, b;
	char err[512] = "", path[] = "/tmp/skbtop-test-rt-XXXXXX", buf[128];
	json_t *doc;
	int fd;

	(void)state;
	build_doc(&doc, &expect);
	fd = mkstemp(path);
	close(fd);
	assert_int_equal(write_doc(path, doc, err, sizeof(err)), 0);
	json_decref(doc);
	assert_int_equal(capture__read(path, &cap, NULL, err, sizeof(err)), 0);

	assert_int_equal(cap.major, 1);
	assert_int_equal(cap.minor, 6);
	assert_string_equal(cap.skbtop_version, "9.9.9");
	assert_string_equal(cap.env.kernel_release, "6.18.0-test");
	assert_string_equal(cap.env.kernel_cmdline, "quiet \"quoted\"");
	assert_int_equal(cap.env.ncpus, 4);
	assert_string_equal(cap.env.sysctls[0], "64");
	assert_null(cap.env.sysctls[1]);
	assert_int_equal(cap.argc, 3);
	assert_string_equal(cap.argv[2], "two words");
	assert_null(cap.argv[3]);
	assert_int_equal(cap.exit_status, 3);
	assert_int_equal(cap.nprobes, 3);
	assert_int_equal(cap.probes[1].mode, MODE_RAW_TP);
	assert_string_equal(cap.probes[2].reason, "fentry refused: EPERM");
	assert_int_equal(cap.interval_ns, 1000000000ULL);
	assert_int_equal(cap.nsamples, 3);

	/* totals: identical to what the writer accumulated, field by field */
	assert_int_equal(cap.totals.ncpus, 4);
	assert_int_equal(cap.totals.mono_ns, 3000000003ULL);
	assert_int_equal(cap.totals.user_cpu_ns, 1234 * 3 + 3);
	snapshot__fill_ipis_recv(&expect);	/* the reader derives it from the kicks */
	assert_memory_equal(cap.totals.cpus, expect.cpus, 4 * sizeof(struct cpu_counters));
	assert_memory_equal(cap.totals.kicks, expect.kicks, 16 * sizeof(struct kick_cell));
	snapshot__sum_cpus(&cap.totals, &a);
	snapshot__sum_cpus(&expect, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.drops, 10 + 11 + 12);
	assert_int_equal(a.defer_kicks_sent, 20 + 40 + 60);
	assert_int_equal(a.defer_ipis_sent, 19 + 38 + 57);
	assert_int_equal(cap.totals.cpus[3].bulk_hist[4], 27);
	assert_int_equal(cap.totals.cpus[3].defer_flush_hist[15], 3);
	assert_int_equal(cap.totals.kicks[1 * 4 + 0].kicks, 120);
	assert_int_equal(cap.totals.kicks[3 * 4 + 2].queued, 192);

	/* drop rows: two keys; counts 33 and 10 */
	assert_int_equal(cap.totals.ndrops, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct drop_row *r = &cap.totals.drops[i];

		if (r->key.reason == 41) {
			assert_int_equal(r->count, 33);
			assert_int_equal(r->key.location, 0xffffffff81000123ULL);
		} else {
			assert_int_equal(r->key.reason, 7);
			assert_int_equal(r->count, 10);
			assert_string_equal(r->key.ifname, "tap0");
			assert_int_equal(r->key.ifindex, 5);
			assert_int_equal(r->key.queue, 2);
			assert_int_equal(r->key.dir, QUEUE_TX);
		}
	}
	/* per-CPU drops by reason: 41 on CPU 0, 7 on CPU 2 */
	assert_int_equal(cap.totals.ncpu_drop_reasons, 2);
	for (size_t i = 0; i < 2; i++) {
		const __u64 *c = snapshot__cpu_drops(&cap.totals, i);
		bool r41 = cap.totals.cpu_drop_reasons[i] == 41;

		assert_int_equal(c[0], r41 ? 33 : 0);
		assert_int_equal(c[2], r41 ? 0 : 10);
		assert_int_equal(c[1] + c[3], 0);
	}
	assert_int_equal(cap.totals.nqueues, 1);
	assert_int_equal(cap.totals.queues[0].c.builds, 303);
	assert_int_equal(cap.totals.queues[0].c.bulk_calls, 9);
	assert_int_equal(cap.totals.queues[0].c.drops, 21);
	/* softirq task rows: the vhost worker summed over the samples, one row per udp pid */
	assert_int_equal(cap.totals.cpus[1].sirq_runs[SIRQ_NET_RX][SIRQ_TASK], 153);
	assert_int_equal(cap.totals.ntasks, 4);
	for (size_t i = 0; i < cap.totals.ntasks; i++) {
		const struct sirq_task_row *t = &cap.totals.tasks[i];

		assert_int_equal(t->cpu, 1);
		if (t->key.pid == 77) {
			assert_string_equal(t->key.comm, "vhost-70");
			assert_int_equal(t->key.tgid, 70);
			assert_int_equal(t->c.runs[SIRQ_NET_RX], 123);
			assert_int_equal(t->c.runs[SIRQ_NET_TX], 3);
			assert_int_equal(t->c.ns[SIRQ_NET_RX], 12000);
		} else {
			assert_in_range(t->key.pid, 1000, 1002);
			assert_string_equal(t->key.comm, "udp");
			assert_int_equal(t->c.runs[SIRQ_NET_RX], 10);
			assert_int_equal(t->c.ns[SIRQ_NET_RX], 1000 + t->key.pid - 1000);
		}
	}
	assert_int_equal(cap.totals.nprogs, 1);
	assert_int_equal(cap.totals.progs[0].run_ns, 3000);
	assert_int_equal(cap.totals.progs[0].misses, 3);	/* 0 + 1 + 2 */

	/* per-sample summaries the diff uses */
	assert_int_equal(cap.samples[1].sum.defer_kicks_sent, 40);
	assert_int_equal(cap.samples[1].ndrops, 1);
	assert_int_equal(cap.samples[2].ndrops, 2);
	assert_int_equal(cap.samples[2].drops[0].reason, 7);
	assert_int_equal(cap.samples[2].drops[1].count, 12);
	assert_int_equal(cap.samples[2].interval_ns, 1000000002ULL);

	/* names without a kernel */
	assert_string_equal(capture__reason_name(&cap, 41, buf, sizeof(buf)), "SOCKET_RCVBUFF");
	assert_string_equal(capture__reason_name(&cap, 99, buf, sizeof(buf)), "UNKNOWN(99)");
	assert_string_equal(capture__location_name(&cap, 0xffffffffc0a00456ULL, buf, sizeof(buf)),
			    "fn_456+0x10");
	assert_string_equal(capture__location_name(&cap, 0x10, buf, sizeof(buf)), "0x10");

	/* the report renders the same totals */
	{
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		json_t *j;
		json_error_t je;

		assert_int_equal(report__print(f, &cap, path, "json"), 0);
		fclose(f);
		j = json_loads(out, 0, &je);
		assert_non_null(j);
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(j, "totals"), "ncpus")), 4);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(
			json_object_get(j, "totals"), "totals"), "drops")), 33);
		assert_string_equal(json_string_value(json_object_get(json_array_get(
			json_object_get(j, "drops_by_reason"), 0), "reason")), "FULL_RING");
		json_decref(j);
		free(out);
		f = open_memstream(&out, &len);
		assert_int_equal(report__print(f, &cap, path, "text"), 0);
		assert_int_equal(report__print(f, &cap, path, "markdown"), 0);
		fclose(f);
		if (getenv("SKBTOP_TEST_VERBOSE"))
			fputs(out, stderr);
		/* view_text's drop row (reason, count 33, location name), and
		 * its per-CPU row: 33 on CPU 0 */
		assert_non_null(strstr(out, "SOCKET_RCVBUFF               33 -"
					    "                  fn_123+0x10"));
		assert_non_null(strstr(out, "\nSOCKET_RCVBUFF               33    0\n"));
		assert_non_null(strstr(out, "\nFULL_RING                    10    2\n"));
		/* the markdown tables */
		assert_non_null(strstr(out, "| FULL_RING | 10 | tap0 | fn_456+0x10 |"));
		assert_non_null(strstr(out, "| SOCKET_RCVBUFF | 0 | 33 |"));
		assert_non_null(strstr(out, "| 1->0 | 0 | 120 | 114 |"));
		free(out);
	}
	capture__free(&cap);
	snapshot__free(&expect);
	unlink(path);
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/skbtop-test-dir-XXXXXX", path[128], err[256];
	json_t *doc = json_pack("{s:i}", "x", 1);
	struct dirent *de;
	int nfiles = 0;
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.json", dir);
	assert_int_equal(write_doc(path, doc, err, sizeof(err)), 0);
	assert_int_equal(write_doc(path, doc, err, sizeof(err)), 0);	/* replace */
	d = opendir(dir);
	while ((de = readdir(d)))
		nfiles += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	assert_int_equal(nfiles, 1);		/* no .FILE.XXXXXX left */
	unlink(path);
	rmdir(dir);
	snprintf(path, sizeof(path), "/nonexistent-dir/out.json");
	assert_int_not_equal(write_doc(path, doc, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "failed to write /nonexistent-dir/out.json: No such file"));
	json_decref(doc);
}

static int files_in(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * record's writer: samples spooled beside the output leave no file behind
 * while recording or after; the written file holds every sample, also when
 * more are added after a write; an unwritable directory fails at init.
 */
/* An interval whose per-CPU drop counts disagree with its rows is not written. */
static void test_writer_refuses(void **state)
{
	struct drop_key k6 = { .reason = 6 }, k7 = { .reason = 7 };
	struct capture_writer w;
	struct snapshot d;

	(void)state;
	assert_int_equal(capture_writer__init(&w, 2, NULL), 0);
	assert_int_equal(snapshot__init(&d, 2), 0);
	assert_int_equal(snapshot__add_drop(&d, &k6, 4), 0);	/* no per-CPU counts */
	assert_int_equal(capture_writer__add(&w, &d), -EPROTO);
	assert_int_equal(snapshot__add_cpu_drop(&d, 7, 1, 4), 0);	/* the right total, wrong reason */
	assert_int_equal(capture_writer__add(&w, &d), -EPROTO);
	assert_int_equal(snapshot__add_drop(&d, &k7, 4), 0);
	assert_int_equal(snapshot__add_cpu_drop(&d, 6, 0, 4), 0);	/* now both agree */
	assert_int_equal(capture_writer__add(&w, &d), 0);
	assert_int_equal(w.nsamples, 1);
	snapshot__free(&d);
	capture_writer__free(&w);
}

static void test_writer_spool(void **state)
{
	char dir[] = "/tmp/skbtop-test-spool-XXXXXX", path[128], err[256];
	struct view_ctx names = { .reason_name = fake_reason, .location_name = fake_location };
	struct capture meta = { .skbtop_version = "9.9.9", .interval_ns = 1000000000ULL };
	struct capture_writer w;
	struct capture cap;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.json", dir);
	assert_int_equal(capture_writer__init(&w, 4, path), 0);
	for (int i = 0; i < 3; i++) {
		struct snapshot d;

		make_delta(&d, i);
		assert_int_equal(capture_writer__add(&w, &d), 0);
		snapshot__free(&d);
	}
	assert_int_equal(files_in(dir), 0);	/* the spool is unlinked */
	assert_int_equal(capture_writer__write_file(&w, &meta, &names, path, err, sizeof(err)), 0);
	assert_int_equal(files_in(dir), 1);
	assert_int_equal(capture__read(path, &cap, NULL, err, sizeof(err)), 0);
	assert_int_equal(cap.nsamples, 3);
	assert_int_equal(cap.totals.cpus[0].drops, 10 + 11 + 12);
	capture__free(&cap);
	{
		struct snapshot d;

		make_delta(&d, 3);
		assert_int_equal(capture_writer__add(&w, &d), 0);
		snapshot__free(&d);
	}
	assert_int_equal(capture_writer__write_file(&w, &meta, &names, path, err, sizeof(err)), 0);
	assert_int_equal(capture__read(path, &cap, NULL, err, sizeof(err)), 0);
	assert_int_equal(cap.nsamples, 4);
	assert_int_equal(cap.totals.cpus[0].drops, 10 + 11 + 12 + 13);
	capture__free(&cap);
	capture_writer__free(&w);
	unlink(path);
	rmdir(dir);
	assert_int_equal(capture_writer__init(&w, 4, "/nonexistent-dir/out.json"), -ENOENT);
	capture_writer__free(&w);
}

static void expect_bad(const char *text, size_t len, const char *needle)
{
	struct capture cap;
	char err[512] = "";
	int ret = capture__parse(text, len, &cap, NULL, err, sizeof(err));

	if (!ret || (needle && !strstr(err, needle)))
		fail_msg("accepted or wrong message for %.60s...: ret %d, \"%s\"", text, ret, err);
	assert_true(err[0]);
}

/* Every prefix of a good file is refused (truncation), and the whole is accepted. */
static void test_truncated(void **state)
{
	struct capture cap;
	char *text, err[512];
	json_t *doc;
	size_t len;

	(void)state;
	build_doc(&doc, NULL);
	text = json_dumps(doc, JSON_COMPACT);
	len = strlen(text);
	assert_int_equal(capture__parse(text, len, &cap, NULL, err, sizeof(err)), 0);
	capture__free(&cap);
	for (size_t n = 0; n < len; n += 1 + n / 64)
		expect_bad(text, n, NULL);
	expect_bad(text, len - 1, "truncated");
	free(text);
	json_decref(doc);
}

static void assert_same_capture(const struct capture *a, const struct capture *b)
{
	struct cpu_counters x, y;

	assert_int_equal(a->nsamples, b->nsamples);
	assert_int_equal(a->totals.ndrops, b->totals.ndrops);
	assert_int_equal(a->totals.nqueues, b->totals.nqueues);
	snapshot__sum_cpus(&a->totals, &x);
	snapshot__sum_cpus(&b->totals, &y);
	assert_memory_equal(&x, &y, sizeof(x));
	for (size_t i = 0; i < a->nsamples; i++) {
		assert_int_equal(a->samples[i].time_ns, b->samples[i].time_ns);
		assert_memory_equal(&a->samples[i].sum, &b->samples[i].sum, sizeof(x));
		assert_int_equal(a->samples[i].ndrops, b->samples[i].ndrops);
	}
}

/*
 * The reader takes the samples one at a time from the text (never the whole
 * file as one tree) when it finds the top-level "samples" array: compact,
 * indented, or with samples first, the capture read is the same; a file
 * where a sample is not valid JSON gets jansson's error for the whole file.
 */
static void test_samples_streamed(void **state)
{
	struct capture compact, other;
	json_t *doc, *moved, *v;
	const char *k;
	char *text, err[512];

	(void)state;
	build_doc(&doc, NULL);
	text = json_dumps(doc, JSON_COMPACT);
	assert_int_equal(capture__parse(text, strlen(text), &compact, NULL, err, sizeof(err)), 0);
	free(text);

	text = json_dumps(doc, JSON_INDENT(3));
	assert_int_equal(capture__parse(text, strlen(text), &other, NULL, err, sizeof(err)), 0);
	assert_same_capture(&compact, &other);
	capture__free(&other);
	free(text);

	moved = json_object();
	json_object_set(moved, "samples", json_object_get(doc, "samples"));
	json_object_foreach(doc, k, v)
		if (strcmp(k, "samples"))
			json_object_set(moved, k, v);
	text = json_dumps(moved, JSON_COMPACT);
	assert_true(!strncmp(text, "{\"samples\":[", 12));
	assert_int_equal(capture__parse(text, strlen(text), &other, NULL, err, sizeof(err)), 0);
	assert_same_capture(&compact, &other);
	capture__free(&other);

	/* break the second sample's JSON: the whole-file error, with its position */
	{
		char *second = strstr(strstr(text, "\"time_ns\"") + 1, "\"time_ns\"");

		assert_non_null(second);
		memcpy(second, "\"time_ns\":}", 11);
		expect_bad(text, strlen(text), "not valid JSON (line 1, column");
	}
	free(text);
	json_decref(moved);
	json_decref(doc);
	capture__free(&compact);
}

/* Edit one member of a good document, expect a refusal mentioning needle. */
static void mutate(const char *ptr_desc, json_t *(*edit)(json_t *doc), const char *needle)
{
	json_t *doc;
	char *text;

	build_doc(&doc, NULL);
	doc = edit(doc);
	text = json_dumps(doc, JSON_COMPACT);
	(void)ptr_desc;
	expect_bad(text, strlen(text), needle);
	free(text);
	json_decref(doc);
}

static json_t *sample0(json_t *doc)
{
	return json_array_get(json_object_get(doc, "samples"), 0);
}

static json_t *e_major(json_t *d) { json_object_set_new(d, "version", json_string("2.0")); return d; }
static json_t *e_minor(json_t *d) { json_object_set_new(d, "version", json_string("1.x")); return d; }
static json_t *e_ncpus(json_t *d)
{
	json_object_set_new(json_object_get(d, "environment"), "ncpus", json_integer(100000000));
	return d;
}
static json_t *e_ncpus0(json_t *d)
{
	json_object_set_new(json_object_get(d, "environment"), "ncpus", json_integer(0));
	return d;
}
static json_t *e_negative(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(sample0(d), "drops"), 0), "count",
			    json_integer(-5));
	return d;
}
static json_t *e_real(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(sample0(d), "cpus"), 0), "drops",
			    json_real(1.5));
	return d;
}
static json_t *e_cpu_index(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(sample0(d), "kicks"), 0), "to",
			    json_integer(4));
	return d;
}
static json_t *e_samples_obj(json_t *d)
{
	json_object_set_new(d, "samples", json_object());
	return d;
}
static json_t *e_totals(json_t *d)
{
	json_t *c = json_array_get(json_object_get(json_object_get(d, "totals"), "cpus"), 0);

	json_object_set_new(c, "drops", json_integer(json_integer_value(json_object_get(c, "drops")) + 1));
	return d;
}
static json_t *e_details_sum(json_t *d)
{
	json_t *r = json_array_get(json_object_get(sample0(d), "drop_details"), 0);

	json_object_set_new(r, "count", json_integer(json_integer_value(json_object_get(r, "count")) + 1));
	return d;
}
/* the same total, but reason 7's drops moved to reason 41 */
static json_t *e_details_swap(json_t *d)
{
	json_t *r = json_array_get(json_object_get(sample0(d), "drop_details"), 1);

	assert_int_equal(json_integer_value(json_object_get(r, "reason")), 7);
	json_object_set_new(r, "reason", json_integer(41));
	return d;
}
static json_t *e_details_type(json_t *d)
{
	json_object_set_new(sample0(d), "drop_details", json_object());
	return d;
}
static json_t *e_location(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(sample0(d), "drops"), 0), "location",
			    json_string("0xZZ"));
	return d;
}
static json_t *e_ifname(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(sample0(d), "queues"), 0), "ifname",
			    json_string("a-name-longer-than-ifnamsiz"));
	return d;
}
static json_t *e_nul(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "probes"), 0), "probe",
			    json_stringn("a\0b", 3));
	return d;
}
static json_t *e_hist(json_t *d)
{
	json_t *h = json_array();

	for (int i = 0; i < 17; i++)
		json_array_append_new(h, json_integer(1));
	json_object_set_new(json_array_get(json_object_get(sample0(d), "cpus"), 0), "bulk_hist", h);
	return d;
}
static json_t *e_format(json_t *d) { json_object_set_new(d, "format", json_string("perf")); return d; }
static json_t *e_no_totals(json_t *d) { json_object_del(d, "totals"); return d; }
static json_t *e_exit(json_t *d)
{
	json_object_set_new(json_object_get(d, "command"), "exit_status", json_integer(99999));
	return d;
}
static json_t *e_dir(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(sample0(d), "queues"), 0), "dir",
			    json_string("sideways"));
	return d;
}
static json_t *e_time_str(json_t *d)
{
	json_object_set_new(sample0(d), "interval_ns", json_string("1000"));
	return d;
}
static json_t *e_mode_type(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "probes"), 0), "mode", json_integer(3));
	return d;
}

/* issue 20: two names for one reason id */
static json_t *e_dup_name(json_t *d)
{
	json_t *rs = json_object_get(json_object_get(d, "names"), "reasons");
	json_t *dup = json_deep_copy(json_array_get(rs, 0));

	json_object_set_new(dup, "name", json_string("FORGED"));
	json_array_append_new(rs, dup);
	return d;
}
/* issue 20: every counter at 2^63 - 1 on every CPU row: the sums pass 2^64 */
static json_t *e_wrap(json_t *d)
{
	json_t *ss = json_object_get(d, "samples"), *c, *row;
	size_t i, j;

	json_array_foreach(ss, i, c)
		json_array_foreach(json_object_get(c, "cpus"), j, row)
			json_object_set_new(row, "drops", json_integer(INT64_MAX));
	json_array_append(ss, json_array_get(ss, 0));
	json_array_append(ss, json_array_get(ss, 0));
	return d;
}

static void test_mutations(void **state)
{
	(void)state;
	mutate("version", e_major, "newer than this skbtop reads");
	mutate("version", e_minor, "not MAJOR.MINOR");
	mutate("ncpus", e_ncpus, "out of range");
	mutate("ncpus", e_ncpus0, "at least 1");
	mutate("count", e_negative, "negative");
	mutate("drop_details", e_details_sum,
	       "samples[0].drop_details: reason 41 has 11 drops, drops has 10");
	mutate("drop_details", e_details_swap,
	       "samples[0].drop_details: reason 7 has 0 drops, drops has 5");
	mutate("drop_details", e_details_type, "drop_details");
	mutate("real", e_real, "expected an integer");
	mutate("cpu", e_cpu_index, "out of range");
	mutate("samples", e_samples_obj, "expected an array");
	mutate("totals", e_totals, "does not equal");
	mutate("location", e_location, "not a 0x address");
	mutate("ifname", e_ifname, "longer than");
	mutate("nul", e_nul, "NUL");
	mutate("hist", e_hist, "more than the limit");
	mutate("format", e_format, "not a skbtop capture");
	mutate("totals", e_no_totals, "missing \"totals\"");
	mutate("exit", e_exit, "exit_status");
	mutate("dir", e_dir, "not rx or tx");
	mutate("interval", e_time_str, "expected an integer");
	mutate("mode", e_mode_type, "expected a string");
	mutate("names", e_dup_name, "is named twice");
	mutate("wrap", e_wrap, "the counts add up past 2^64");
}

static void test_hostile_text(void **state)
{
	static const char huge[] = "{\"format\":\"skbtop-capture\",\"version\":\"1.0\","
				   "\"start_time_ns\":100000000000000000000000000000}";
	static const char dup[] = "{\"format\":\"skbtop-capture\",\"format\":\"x\"}";
	size_t n = 200000;
	char *deep = malloc(n + 1);

	(void)state;
	memset(deep, '[', n);
	deep[n] = '\0';
	expect_bad(deep, n, "nested deeper");
	memset(deep, '{', n);
	expect_bad(deep, n, "nested deeper");
	free(deep);
	expect_bad(huge, strlen(huge), "not valid JSON");
	expect_bad(dup, strlen(dup), "not valid JSON");
	expect_bad("", 0, "empty");
	expect_bad("[]", 2, "not a JSON object");
	expect_bad("hello", 5, "not valid JSON");
	expect_bad("{\"format\":\"skbtop-capture\"}", 27, "version");
	expect_bad("{\"format\":\"skbtop-capture\",\"version\":99}", 40, "newer");
	expect_bad("{\"format\":\"skbtop-capture\",\"version\":\"1.0\"\0junk}", 48, NULL);
}

/* A sample of the writer's document as a 1.1 writer put it: detail in the per-CPU rows. */
static void to_1_1(json_t *sample)
{
	json_t *drops = json_object_get(sample, "drops");
	json_t *details = json_object_get(sample, "drop_details"), *split = NULL;
	size_t i;
	json_t *row;

	json_array_foreach(drops, i, row) {
		__u64 reason = json_integer_value(json_object_get(row, "reason"));
		size_t j;
		json_t *det;

		json_array_foreach(details, j, det)
			if ((__u64)json_integer_value(json_object_get(det, "reason")) == reason)
				json_object_update_missing(row, det);	/* count and reason kept */
		json_object_set(row, "location", json_object_get(json_array_get(details,
			reason == 41 ? 0 : 1), "location"));
		if (reason == 41) {	/* one key on two CPUs: split one drop to CPU 1 */
			split = json_deep_copy(row);
			json_object_set_new(split, "cpu", json_integer(1));
			json_object_set_new(split, "count", json_integer(1));
			json_object_set_new(row, "count", json_integer(
				json_integer_value(json_object_get(row, "count")) - 1));
		}
	}
	if (split)
		json_array_append_new(drops, split);
	json_object_del(sample, "drop_details");
}

/*
 * Files before 1.2 keep the location and device in the per-(key, CPU) drop
 * rows: one key's rows on two CPUs give one summed row and the per-CPU
 * counts of its reason. A 1.0 file recorded by a real run reads too.
 */
static void test_old_rows(void **state)
{
	char path[512], err[512] = "";
	struct capture cap;
	json_t *doc, *samples;
	char *text;
	size_t i;
	json_t *sample;

	(void)state;
	build_doc(&doc, NULL);
	json_object_set_new(doc, "version", json_string("1.1"));
	samples = json_object_get(doc, "samples");
	json_array_foreach(samples, i, sample)
		to_1_1(sample);
	to_1_1(json_object_get(doc, "totals"));
	text = json_dumps(doc, JSON_COMPACT);
	assert_int_equal(capture__parse(text, strlen(text), &cap, NULL, err, sizeof(err)), 0);
	assert_int_equal(cap.minor, 1);
	assert_int_equal(cap.totals.ndrops, 2);
	for (i = 0; i < 2; i++) {
		const struct drop_row *r = &cap.totals.drops[i];

		if (r->key.reason == 41) {
			assert_int_equal(r->count, 33);
			assert_int_equal(r->key.location, 0xffffffff81000123ULL);
		} else {
			assert_int_equal(r->count, 10);
			assert_string_equal(r->key.ifname, "tap0");
			assert_int_equal(r->key.queue, 2);
			assert_int_equal(r->key.location, 0xffffffffc0a00456ULL);
		}
	}
	assert_int_equal(cap.totals.ncpu_drop_reasons, 2);
	for (i = 0; i < 2; i++) {
		const __u64 *c = snapshot__cpu_drops(&cap.totals, i);

		if (cap.totals.cpu_drop_reasons[i] == 41) {
			assert_int_equal(c[0], 30);
			assert_int_equal(c[1], 3);
		} else {
			assert_int_equal(c[2], 10);
		}
	}
	capture__free(&cap);
	free(text);
	json_decref(doc);

	snprintf(path, sizeof(path), "%s/good_live_udp.json", DATA_DIR);
	assert_int_equal(capture__read(path, &cap, NULL, err, sizeof(err)), 0);
	assert_int_equal(cap.minor, 0);
	assert_int_equal(cap.totals.ndrops, 1);
	assert_int_equal(cap.totals.drops[0].key.reason, 6);
	assert_int_equal(cap.totals.drops[0].count, 19998);
	assert_int_equal(cap.totals.drops[0].key.location, 0xffffffff82045927ULL);
	assert_string_equal(cap.totals.drops[0].key.ifname, "lo");
	assert_int_equal(cap.totals.ncpu_drop_reasons, 1);
	assert_int_equal(snapshot__cpu_drops(&cap.totals, 0)[0], 19998);
	assert_int_equal(snapshot__cpu_drops(&cap.totals, 0)[1], 0);
	capture__free(&cap);
}

/* Every crafted file in the data directory is refused; good_*.json are read. */
static void test_data_dir(void **state)
{
	DIR *d = opendir(DATA_DIR);
	struct dirent *de;
	int bad = 0, good = 0;

	(void)state;
	if (!d)
		fail_msg("cannot open %s (run from the repository root)", DATA_DIR);
	while ((de = readdir(d))) {
		char path[512], err[512] = "";
		struct capture cap;
		int ret;

		if (!strstr(de->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", DATA_DIR, de->d_name);
		ret = capture__read(path, &cap, NULL, err, sizeof(err));
		if (!strncmp(de->d_name, "bad_", 4)) {
			if (!ret)
				fail_msg("%s was accepted", path);
			if (!err[0])
				fail_msg("%s: no message", path);
			bad++;
		} else if (!strncmp(de->d_name, "good_", 5)) {
			if (ret)
				fail_msg("%s refused: %s", path, err);
			capture__free(&cap);
			good++;
		}
	}
	closedir(d);
	assert_true(bad >= 20);
	assert_true(good >= 2);
}

/* capture__read_each()'s callback: each sample is the one capture__read() kept. */
struct each_check {
	const struct capture *kept;
	size_t n;
};

static int check_sample(void *arg, const struct capture *cap, const struct capture_sample *s)
{
	struct each_check *c = arg;
	const struct capture_sample *k;

	assert_true(c->n < c->kept->nsamples);
	k = &c->kept->samples[c->n++];
	assert_null(cap->samples);		/* nothing kept while streaming */
	assert_int_equal(cap->env.ncpus, c->kept->env.ncpus);	/* the header came first */
	assert_int_equal(cap->nreasons, c->kept->nreasons);
	assert_int_equal(s->time_ns, k->time_ns);
	assert_int_equal(s->interval_ns, k->interval_ns);
	assert_int_equal(s->user_cpu_ns, k->user_cpu_ns);
	assert_memory_equal(&s->sum, &k->sum, sizeof(s->sum));
	assert_int_equal(s->ndrops, k->ndrops);
	assert_int_equal(s->nqueues, k->nqueues);
	if (s->ndrops)
		assert_memory_equal(s->drops, k->drops, s->ndrops * sizeof(*s->drops));
	if (s->nqueues)
		assert_memory_equal(s->queues, k->queues, s->nqueues * sizeof(*s->queues));
	return 0;
}

/* Two diff results, row by row, to the bit. */
static void assert_same_diff(const struct diff_result *a, const struct diff_result *b)
{
	assert_int_equal(a->nrows, b->nrows);
	assert_int_equal(a->nzero, b->nzero);
	assert_int_equal(a->nunmeasured, b->nunmeasured);
	assert_int_equal(a->nwarnings, b->nwarnings);
	assert_int_equal(a->nsamples_before, b->nsamples_before);
	assert_int_equal(a->nsamples_after, b->nsamples_after);
	for (size_t i = 0; i < a->nrows; i++) {
		const struct diff_row *x = &a->rows[i], *y = &b->rows[i];

		assert_string_equal(x->name, y->name);
		assert_string_equal(x->verdict, y->verdict);
		assert_memory_equal(&x->before, &y->before, sizeof(x->before));
		assert_memory_equal(&x->after, &y->after, sizeof(x->after));
		assert_memory_equal(&x->w.t, &y->w.t, sizeof(x->w.t));
		assert_memory_equal(&x->w.df, &y->w.df, sizeof(x->w.df));
		assert_memory_equal(&x->w.p, &y->w.p, sizeof(x->w.p));
		assert_int_equal(x->w.valid, y->w.valid);
		assert_int_equal(x->before_total, y->before_total);
		assert_int_equal(x->after_total, y->after_total);
	}
}

/*
 * Streaming (report, diff) reads what capture__read() reads: every file in
 * the data directory gives the same samples in order, the same totals, or
 * the same refusal; diff over streamed samples is diff over kept ones.
 */
static void test_read_each(void **state)
{
	static const char *const good[] = { "good_before", "good_after", "good_live_udp" };
	DIR *d = opendir(DATA_DIR);
	struct dirent *de;
	int files = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512], err1[512] = "", err2[512] = "";
		struct capture kept, streamed;
		struct each_check c = { &kept, 0 };
		int r1, r2;

		if (!strstr(de->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", DATA_DIR, de->d_name);
		r1 = capture__read(path, &kept, NULL, err1, sizeof(err1));
		r2 = capture__read_each(path, &streamed, NULL, r1 ? NULL : check_sample, &c, err2,
					sizeof(err2));
		assert_int_equal(r1, r2);
		assert_string_equal(err1, err2);
		files++;
		if (r1)
			continue;
		assert_int_equal(c.n, kept.nsamples);
		assert_null(streamed.samples);
		assert_int_equal(streamed.nsamples, kept.nsamples);
		assert_int_equal(streamed.totals.ncpus, kept.totals.ncpus);
		assert_memory_equal(streamed.totals.cpus, kept.totals.cpus,
				    kept.totals.ncpus * sizeof(*kept.totals.cpus));
		assert_int_equal(streamed.totals.ndrops, kept.totals.ndrops);
		if (kept.totals.ndrops)
			assert_memory_equal(streamed.totals.drops, kept.totals.drops,
					    kept.totals.ndrops * sizeof(*kept.totals.drops));
		assert_int_equal(streamed.totals.nqueues, kept.totals.nqueues);
		if (kept.totals.nqueues)
			assert_memory_equal(streamed.totals.queues, kept.totals.queues,
					    kept.totals.nqueues * sizeof(*kept.totals.queues));
		capture__free(&kept);
		capture__free(&streamed);
	}
	closedir(d);
	assert_true(files >= 30);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			struct diff_side *sa = diff_side__new(), *sb = diff_side__new();
			struct capture a, b, ka, kb;
			struct diff_result streamed, kept;
			char pa[256], pb[256], err[512];

			snprintf(pa, sizeof(pa), "%s/%s.json", DATA_DIR, good[i]);
			snprintf(pb, sizeof(pb), "%s/%s.json", DATA_DIR, good[j]);
			assert_int_equal(capture__read_each(pa, &a, NULL, diff_side__add, sa, err,
							    sizeof(err)), 0);
			assert_int_equal(capture__read_each(pb, &b, NULL, diff_side__add, sb, err,
							    sizeof(err)), 0);
			assert_int_equal(diff__compare_sides(&a, sa, &b, sb, &streamed), 0);
			assert_int_equal(capture__read(pa, &ka, NULL, err, sizeof(err)), 0);
			assert_int_equal(capture__read(pb, &kb, NULL, err, sizeof(err)), 0);
			assert_int_equal(diff__compare(&ka, &kb, &kept), 0);
			assert_true(kept.nrows > 0);
			assert_same_diff(&kept, &streamed);
			diff__free(&streamed);
			diff__free(&kept);
			diff_side__free(sa);
			diff_side__free(sb);
			capture__free(&a);
			capture__free(&b);
			capture__free(&ka);
			capture__free(&kb);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_writer_spool),
		cmocka_unit_test(test_samples_streamed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_old_rows),
		cmocka_unit_test(test_data_dir),
		cmocka_unit_test(test_read_each),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
