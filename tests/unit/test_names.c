// SPDX-License-Identifier: GPL-2.0
/* Drop reason names from BTF (crafted and the running kernel's), kallsyms. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include "reasons.h"
#include "ksyms.h"
#include "skbtop.h"

/* A BTF whose numbering differs from any real kernel's. */
static char *write_crafted_btf(void)
{
	static char path[] = "/tmp/skbtop-test-btf-XXXXXX";
	struct btf *btf = btf__new_empty();
	const void *raw;
	__u32 size;
	int fd, id;
	FILE *f;

	assert_non_null(btf);
	id = btf__add_enum(btf, "skb_drop_reason", 4);
	assert_true(id > 0);
	btf__add_enum_value(btf, "SKB_NOT_DROPPED_YET", 0);
	btf__add_enum_value(btf, "SKB_CONSUMED", 1);
	btf__add_enum_value(btf, "SKB_DROP_REASON_SOCKET_RCVBUFF", 41);
	btf__add_enum_value(btf, "SKB_DROP_REASON_FULL_RING", 7);
	btf__add_enum(btf, "skb_drop_reason_subsys", 4);
	btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_CORE", 0);
	btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_OPENVSWITCH", 2);
	btf__add_enum(btf, "ovs_drop_reason", 4);
	btf__add_enum_value(btf, "OVS_DROP_LAST_ACTION", (2 << 16) | 1);
	btf__add_enum_value(btf, "OVS_DROP_ACTION_ERROR", (2 << 16) | 2);
	/* an unrelated enum with a colliding value must not be picked up */
	btf__add_enum(btf, "other_thing", 4);
	btf__add_enum_value(btf, "OTHER_X", (2 << 16) | 3);
	raw = btf__raw_data(btf, &size);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(fwrite(raw, 1, size, f), size);
	fclose(f);
	btf__free(btf);
	return path;
}

static void test_crafted_btf(void **state)
{
	char *path = write_crafted_btf();
	struct reasons *r = reasons__load(path, "");
	char buf[64];

	(void)state;
	assert_non_null(r);
	assert_string_equal(reasons__name(r, 41, buf, sizeof(buf)), "SOCKET_RCVBUFF");
	assert_string_equal(reasons__name(r, 7, buf, sizeof(buf)), "FULL_RING");
	assert_string_equal(reasons__name(r, 1, buf, sizeof(buf)), "SKB_CONSUMED");
	assert_string_equal(reasons__name(r, 6, buf, sizeof(buf)), "UNKNOWN(6)");
	assert_string_equal(reasons__name(r, (2 << 16) | 1, buf, sizeof(buf)),
			    "OPENVSWITCH:OVS_DROP_LAST_ACTION");
	assert_string_equal(reasons__name(r, (2 << 16) | 9, buf, sizeof(buf)), "OPENVSWITCH:9");
	assert_string_equal(reasons__name(r, (2 << 16) | 3, buf, sizeof(buf)), "OPENVSWITCH:3");
	assert_string_equal(reasons__name(r, (5 << 16) | 4, buf, sizeof(buf)), "SUBSYS5:4");
	assert_int_equal(reasons__value(r, "FULL_RING"), 7);
	assert_int_equal(reasons__value(r, "NOPE"), -1);
	reasons__free(r);
	unlink(path);
}

static void test_btf_without_reasons(void **state)
{
	static char path[] = "/tmp/skbtop-test-btf2-XXXXXX";
	struct btf *btf = btf__new_empty();
	const void *raw;
	__u32 size;
	int fd;

	(void)state;
	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	raw = btf__raw_data(btf, &size);
	fd = mkstemp(path);
	assert_int_equal(write(fd, raw, size), (ssize_t)size);
	close(fd);
	btf__free(btf);
	assert_null(reasons__load(path, ""));
	assert_int_equal(errno, ENOMSG);
	assert_null(reasons__load("/nonexistent/btf", ""));
	unlink(path);
}

/* The running kernel: names match the enum's own spelling and round-trip. */
static void test_running_kernel_btf(void **state)
{
	struct reasons *r = reasons__load(NULL, NULL);
	char buf[64];
	long v;

	(void)state;
	assert_non_null(r);
	assert_true(reasons__count(r) > 50);
	v = reasons__value(r, "SOCKET_RCVBUFF");
	assert_true(v > 0);
	assert_string_equal(reasons__name(r, v, buf, sizeof(buf)), "SOCKET_RCVBUFF");
	v = reasons__value(r, "NOT_SPECIFIED");
	assert_true(v > 0);
	assert_string_equal(reasons__name(r, v, buf, sizeof(buf)), "NOT_SPECIFIED");
	reasons__free(r);
}

/*
 * The per-reason drop array: slots are unique and map back to their reason;
 * every reason of the running kernel's enum skb_drop_reason has a slot (the
 * probe would otherwise count it in the hash fallback); values outside the
 * layout have none.
 */
static void test_reason_slots(void **state)
{
	static bool used[SKBTOP_DROP_REASON_SLOTS];
	struct reasons *r = reasons__load(NULL, NULL);
	__u32 subsys_reason = (2u << DROP_REASON_SUBSYS_SHIFT) | 5;
	long max;

	(void)state;
	for (__u32 v = 0; v < SKBTOP_CORE_REASON_SLOTS; v++) {
		__u32 slot = drop_reason_slot(v);

		assert_true(slot < SKBTOP_DROP_REASON_SLOTS);
		assert_false(used[slot]);
		used[slot] = true;
		assert_int_equal(drop_slot_reason(slot), v);
	}
	for (__u32 sub = 1; sub <= 4; sub++)
		for (__u32 code = 0; code < SKBTOP_SUBSYS_REASON_CODES; code++) {
			__u32 v = sub << DROP_REASON_SUBSYS_SHIFT | code;
			__u32 slot = drop_reason_slot(v);

			assert_true(slot < SKBTOP_DROP_REASON_SLOTS);
			assert_false(used[slot]);
			used[slot] = true;
			assert_int_equal(drop_slot_reason(slot), v);
		}
	for (__u32 slot = 0; slot < SKBTOP_DROP_REASON_SLOTS; slot++)
		assert_true(used[slot]);
	assert_int_equal(drop_reason_slot(SKBTOP_CORE_REASON_SLOTS), SKBTOP_DROP_REASON_SLOTS);
	assert_int_equal(drop_reason_slot(5u << DROP_REASON_SUBSYS_SHIFT), SKBTOP_DROP_REASON_SLOTS);
	assert_int_equal(drop_reason_slot((1u << DROP_REASON_SUBSYS_SHIFT) |
					  SKBTOP_SUBSYS_REASON_CODES), SKBTOP_DROP_REASON_SLOTS);
	assert_int_equal(drop_slot_reason(drop_reason_slot(subsys_reason)), subsys_reason);
	assert_non_null(r);
	max = reasons__value(r, "MAX");
	assert_true(max > 0);
	assert_true(max <= SKBTOP_CORE_REASON_SLOTS);
	reasons__free(r);
}

static char *write_kallsyms(void)
{
	static char path[] = "/tmp/skbtop-test-ksyms-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81001000 t helper_a\n"
	      "ffffffff81001040 T skb_defer_free_flush\n"
	      "ffffffff810010c0 T next_func\n"
	      "ffffffff81002000 D some_data\n"
	      "0000000000000000 A fixed_percpu_data\n"
	      "ffffffffc0001000 t tun_net_xmit\t[tun]\n"
	      "ffffffffc0001200 t tun_sendmsg\t[tun]\n", f);
	fclose(f);
	return path;
}

static void test_ksyms(void **state)
{
	char *path = write_kallsyms();
	struct ksyms *ks = ksyms__load(path);
	uint64_t lo, hi;
	char buf[128];

	(void)state;
	assert_non_null(ks);
	assert_int_equal(ksyms__count(ks), 7);	/* the absolute symbol is skipped */
	assert_int_equal(ksyms__addr(ks, "helper_a"), 0xffffffff81001000ULL);
	assert_int_equal(ksyms__addr(ks, "missing"), 0);
	assert_int_equal(ksyms__range(ks, "skb_defer_free_flush", &lo, &hi), 0);
	assert_int_equal(lo, 0xffffffff81001040ULL);
	assert_int_equal(hi, 0xffffffff810010c0ULL);
	assert_string_equal(ksyms__format(ks, 0xffffffff81001044ULL, buf, sizeof(buf)),
			    "skb_defer_free_flush+0x4");
	assert_string_equal(ksyms__format(ks, 0xffffffffc0001210ULL, buf, sizeof(buf)),
			    "tun_sendmsg+0x10 [tun]");
	assert_string_equal(ksyms__format(ks, 0x10, buf, sizeof(buf)), "0x10");
	assert_string_equal(ksyms__format(ks, 0, buf, sizeof(buf)), "0x0");
	ksyms__free(ks);
	unlink(path);
	assert_null(ksyms__load("/nonexistent/kallsyms"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crafted_btf),
		cmocka_unit_test(test_btf_without_reasons),
		cmocka_unit_test(test_running_kernel_btf),
		cmocka_unit_test(test_reason_slots),
		cmocka_unit_test(test_ksyms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
