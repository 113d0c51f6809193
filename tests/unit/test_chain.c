// SPDX-License-Identifier: GPL-2.0
/*
 * The attach chains over faked kernels: each kernel's facts file
 * (tests/data/kfacts/<kernel>.facts, written by `skbtop probes --facts` on
 * that kernel) run through every probe's chain must give the mode in that
 * kernel's column of docs/probe-matrix.md, so the table and the code cannot
 * drift apart. Also: a variant that failed to attach moves to the next.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "chain.h"

#define MATRIX "docs/probe-matrix.md"
#define MAX_COLS 8

/* Cells of one "| a | b |" table row, trimmed and copied, into cells[]; how many. */
static int split_row(const char *line, char **cells, int max)
{
	const char *p = strchr(line, '|');
	int n = 0;

	while (p && n < max) {
		const char *end = strchr(p + 1, '|'), *a = p + 1, *b;

		while (end && end[-1] == '\\')	/* "\\|" inside a cell */
			end = strchr(end + 1, '|');
		if (!end)
			break;
		for (b = end; a < b && *a == ' '; a++)
			;
		while (b > a && b[-1] == ' ')
			b--;
		cells[n++] = strndup(a, b - a);
		p = end;
	}
	return n;
}

/* What the matrix shows for a status: "fentry (fexit)", "tp_btf", "**unavailable**". */
static void cell_of(const struct probe_status *s, char *buf, size_t len)
{
	const char *mode = probe_mode_name(s->mode);

	if (s->mode == MODE_UNAVAILABLE)
		snprintf(buf, len, "**unavailable**");
	else if (s->variant && strcmp(s->variant, mode))
		snprintf(buf, len, "%s (%s)", mode, s->variant);
	else
		snprintf(buf, len, "%s", mode);
}

static void test_matrix(void **state)
{
	FILE *f = fopen(MATRIX, "r");
	char line[1024], *head[MAX_COLS] = { 0 }, *cells[MAX_COLS];
	struct kfacts *kf[MAX_COLS] = { 0 };
	int ncols = 0, rows = 0;
	bool seen[CHAIN_MAX_PROBES] = { 0 };
	struct chain_opts opts = { 0 };

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char err[256];
		int n;
		size_t i;

		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "| ", 2) || !strncmp(line, "|---", 4))
			continue;
		n = split_row(line, cells, MAX_COLS);
		if (!strcmp(cells[0], "probe")) {	/* the header: kernels from column 3 */
			ncols = n;
			for (int c = 2; c < n; c++) {
				char path[128];

				head[c] = cells[c];
				snprintf(path, sizeof(path), "tests/data/kfacts/%s.facts", cells[c]);
				kf[c] = kfacts__load(path, err, sizeof(err));
				if (!kf[c])
					fail_msg("%s", err);
			}
			free(cells[0]);
			free(cells[1]);
			continue;
		}
		if (!ncols) {
			for (int c = 0; c < n; c++)
				free(cells[c]);
			continue;
		}
		i = chain__find(cells[0]);
		if (i == nr_probes)
			fail_msg("matrix row %s: no such probe", cells[0]);
		assert_int_equal(n, ncols);
		seen[i] = true;
		rows++;
		for (int c = 2; c < n; c++) {
			struct probe_status s = { 0 };
			char got[160];

			chain__choose(kf[c], &opts, i, 0, NULL, &s);
			cell_of(&s, got, sizeof(got));
			if (strcmp(got, cells[c]))
				fail_msg("%s on %s: the chain gives \"%s\", the matrix says \"%s\" (%s)",
					 cells[0], head[c], got, cells[c], s.reason);
		}
		for (int c = 0; c < n; c++)
			free(cells[c]);
	}
	fclose(f);
	assert_true(ncols >= 7);	/* 6.1, 6.12, 6.18, 7.2, 7.3 */
	assert_int_equal(rows, nr_probes);
	for (size_t i = 0; i < nr_probes; i++)
		if (!seen[i])
			fail_msg("probe %s has no row in " MATRIX, probe_specs[i].name);
	for (int c = 2; c < ncols; c++) {
		kfacts__free(kf[c]);
		free(head[c]);
	}
}

/* 7.2's facts: cache_get counts at the callers; failing that, gets only is impossible there. */
static void test_demotion(void **state)
{
	char err[256];
	struct kfacts *kf = kfacts__load("tests/data/kfacts/7.2.facts", err, sizeof(err));
	struct chain_opts opts = { 0 };
	struct probe_status s = { 0 };
	size_t drops = chain__find("drops"), cache = chain__find("cache_get");
	int v;

	(void)state;
	assert_non_null(kf);
	v = chain__choose(kf, &opts, drops, 0, NULL, &s);
	assert_int_equal(v, 0);
	assert_string_equal(s.variant, "tp_btf");
	/* its tp_btf program failed to attach: raw_tp, and the reason says why */
	v = chain__choose(kf, &opts, drops, v + 1, "attach kfree_skb_btf failed: EPERM", &s);
	assert_int_equal(v, 1);
	assert_int_equal(s.mode, MODE_RAW_TP);
	assert_non_null(strstr(s.reason, "tp_btf: attach kfree_skb_btf failed: EPERM"));
	/* cache_get: callers+level; when that fails to load, nothing else fits 7.2 */
	v = chain__choose(kf, &opts, cache, 0, NULL, &s);
	assert_string_equal(s.variant, "callers+level");
	assert_true(s.caps & PROBE_CAP_CACHE_HITS);
	v = chain__choose(kf, &opts, cache, v + 1, "load failed: Permission denied", &s);
	assert_int_equal(v, -1);
	assert_int_equal(s.mode, MODE_UNAVAILABLE);
	assert_int_equal(s.caps, 0);
	assert_non_null(strstr(s.reason, "callers+level: load failed: Permission denied"));
	assert_non_null(strstr(s.reason, "napi_skb_cache_get absent on this kernel"));
	kfacts__free(kf);
}

/* --probes: "a,b" only those; "-a,-b" every probe but those. */
static void test_probe_list(void **state)
{
	static const struct {
		const char *only;
		const char *name;
		bool enabled;
	} cases[] = {
		{ NULL, "softirq_where", true },
		{ "drops,softirq_where", "softirq_where", true },
		{ "drops,softirq_where", "drops", true },
		{ "drops,softirq_where", "cache_get", false },
		{ "consume", "consume_task", false },
		{ "-softirq_where", "softirq_where", false },
		{ "-softirq_where", "drops", true },
		{ "-drops,-softirq_where", "softirq_where", false },
		{ "-drops,-softirq_where", "drops", false },
		{ "-drops,-softirq_where", "consume", true },
		{ "-consume", "consume_task", true },
	};
	char err[256];
	struct kfacts *kf = kfacts__load("tests/data/kfacts/7.2.facts", err, sizeof(err));

	(void)state;
	assert_non_null(kf);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chain_opts opts = { .only = cases[i].only };
		struct probe_status s = { 0 };
		size_t p = chain__find(cases[i].name);

		assert_true(p < nr_probes);
		chain__choose(kf, &opts, p, 0, NULL, &s);
		if (cases[i].enabled != (s.mode != MODE_DISABLED))
			fail_msg("--probes %s: %s %s", cases[i].only ? cases[i].only : "(none)",
				 cases[i].name, cases[i].enabled ? "not selected" : "selected");
	}
	kfacts__free(kf);
}

/* path: the lines of base, then extra (a kernel with facts no rig kernel has) */
static void facts_plus(const char *base, const char *extra, char *path)
{
	char line[512];
	FILE *in = fopen(base, "r"), *out;
	int fd;

	strcpy(path, "/tmp/skbtop-kfacts-xsk-XXXXXX");
	fd = mkstemp(path);

	assert_non_null(in);
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	while (fgets(line, sizeof(line), in))
		fputs(line, out);
	fputs(extra, out);
	fclose(in);
	fclose(out);
}

/*
 * xsk batch allocation (xsk_alloc_batch_skb(), the xsk batch RFC) as a
 * caller class of cache_refill: no rig kernel has the function, so 7.2's
 * and 6.12's facts plus that function stand in for a kernel with the RFC.
 */
static void test_xsk_class(void **state)
{
	static const char *const kernels[] = { "7.2", "6.12" };
	size_t refill = chain__find("cache_refill");
	struct chain_opts opts = { 0 };
	char err[256];

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		char base[64], path[32];
		struct probe_status s = { 0 };
		struct kfacts *kf;
		int v;

		snprintf(base, sizeof(base), "tests/data/kfacts/%s.facts", kernels[k]);
		/* the stock kernel: no xsk class, its bulk calls are "other" */
		kf = kfacts__load(base, err, sizeof(err));
		assert_non_null(kf);
		v = chain__choose(kf, &opts, refill, 0, NULL, &s);
		assert_true(v >= 0);
		assert_string_equal(s.variant, "fexit");
		assert_false(s.caps & PROBE_CAP_XSK_SPLIT);
		assert_non_null(strstr(s.reason, "xsk_alloc_batch_skb absent on this kernel"));
		kfacts__free(kf);
		/* with the function, present and traceable: the xsk class */
		facts_plus(base, "symbol xsk_alloc_batch_skb 1\nbtf_func xsk_alloc_batch_skb 1\n"
			   "fentry xsk_alloc_batch_skb 0\n", path);
		kf = kfacts__load(path, err, sizeof(err));
		unlink(path);
		assert_non_null(kf);
		v = chain__choose(kf, &opts, refill, 0, NULL, &s);
		assert_string_equal(s.variant, "fexit+xsk");
		assert_int_equal(s.caps, PROBE_CAP_XSK_SPLIT);
		/* 7.2 has napi_skb_cache_get_bulk: its mark comes too; 6.12 has not */
		assert_int_equal(v, k == 0 ? 0 : 1);
		/* its programs failed to attach: the class is gone, refills stay */
		v = chain__choose(kf, &opts, refill, v + 1,
				  "attach cache_refill_xsk_entry failed: Operation not permitted", &s);
		assert_string_equal(s.variant, "fexit");
		assert_int_equal(s.caps, 0);
		assert_non_null(strstr(s.reason, "fexit+xsk: attach cache_refill_xsk_entry failed"));
		kfacts__free(kf);
		/* present but not traceable (fentry refused): no class, a stated reason */
		facts_plus(base, "symbol xsk_alloc_batch_skb 1\nbtf_func xsk_alloc_batch_skb 1\n"
			   "fentry xsk_alloc_batch_skb -1\n", path);
		kf = kfacts__load(path, err, sizeof(err));
		unlink(path);
		assert_non_null(kf);
		chain__choose(kf, &opts, refill, 0, NULL, &s);
		assert_string_equal(s.variant, "fexit");
		assert_non_null(strstr(s.reason, "fentry on xsk_alloc_batch_skb refused"));
		kfacts__free(kf);
	}
}

static void test_facts_file(void **state)
{
	char err[256], path[] = "/tmp/skbtop-kfacts-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct kfacts *kf;

	(void)state;
	fputs("# comment\nsymbol napi_build_skb 1\nfentry napi_build_skb -1\n", f);
	fclose(f);
	kf = kfacts__load(path, err, sizeof(err));
	assert_non_null(kf);
	assert_int_equal(kfacts__get(kf, KF_SYMBOL, "napi_build_skb"), 1);
	assert_int_equal(kfacts__get(kf, KF_FENTRY, "napi_build_skb"), -EPERM);
	/* what the file does not hold is absent */
	assert_int_equal(kfacts__get(kf, KF_SYMBOL, "napi_skb_cache_get"), 0);
	assert_int_equal(kfacts__get(kf, KF_FENTRY, "napi_skb_cache_get"), -ENOENT);
	assert_int_equal(kfacts__get(kf, KF_TP_NARGS, "skb:consume_skb"), -1);
	kfacts__free(kf);
	f = fopen(path, "w");
	fputs("symbol a 1\nsymbol a 0\n", f);	/* twice */
	fclose(f);
	assert_null(kfacts__load(path, err, sizeof(err)));
	assert_non_null(strstr(err, ":2:"));
	f = fopen(path, "w");
	fputs("colour a 1\n", f);	/* unknown kind */
	fclose(f);
	assert_null(kfacts__load(path, err, sizeof(err)));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_demotion),
		cmocka_unit_test(test_probe_list),
		cmocka_unit_test(test_xsk_class),
		cmocka_unit_test(test_facts_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
