/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A streaming JSON writer for the outputs written every interval (`-j`) and
 * for report: no document tree, numbers formatted here, straight into a
 * stdio stream. Counters are unsigned 64-bit and print as such (jansson's
 * integers are signed and print a counter or kernel address above 2^63 as a
 * negative number).
 *
 * The output is what jansson's json_dumpf() prints for the same document
 * with JSON_COMPACT (indent 0) or JSON_INDENT(n): keys in the order written,
 * "%.17g" reals, and the same string escapes. A byte that is not part of
 * valid UTF-8 (an interface name can hold any byte) is written as \u00XX.
 * With ascii set (after jw_init()), every character past ASCII is a \uXXXX
 * escape (a surrogate pair past U+FFFF), as JSON_ENSURE_ASCII: captures.
 *
 * Usage: jw_init(), then open/close containers, jw_key() before each member
 * of an object, one value per member or array element. Nesting is limited
 * to JW_MAX_DEPTH; deeper containers are a programming error (asserted).
 * The text reaches the stream when the outermost value is complete.
 */
#ifndef SKBTOP_JSONW_H
#define SKBTOP_JSONW_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define JW_MAX_DEPTH 16
#define JW_BUF_SIZE 65536

struct jsonw {
	FILE *f;
	size_t len;			/* bytes in buf not yet handed to f */
	char buf[JW_BUF_SIZE];	/* stdio's per-call cost, paid once per 64 KB */
	int indent;			/* spaces per level; 0 = compact */
	int depth;
	char closer[JW_MAX_DEPTH];	/* '}' or ']' of the open container at each depth */
	bool has_items[JW_MAX_DEPTH];	/* ... and whether it has a member yet */
	bool after_key;			/* the next value is a member's, its key written */
	bool ascii;			/* non-ASCII characters as \uXXXX escapes */
};

void jw_init(struct jsonw *w, FILE *f, int indent);
void jw_object(struct jsonw *w);
void jw_array(struct jsonw *w);
void jw_end(struct jsonw *w);		/* closes the innermost object or array */
/*
 * Hand what is written so far to the stream, inside an open container: the
 * caller may then write text of its own there (record copies its spooled
 * samples into the open "samples" array) before the next jw_ call.
 */
void jw_flush(struct jsonw *w);
void jw_key(struct jsonw *w, const char *key);
void jw_u64(struct jsonw *w, __u64 v);
/* n members keys[i]: vals[i] of the open object: the rows of counters, in one pass. */
void jw_kv_u64s(struct jsonw *w, const char *const *keys, const __u64 *vals, size_t n);
/*
 * Keys checked and quoted once ("key":), for objects of one shape written
 * many times (the defer matrix: up to ncpus^2 rows): each key is then one
 * copy. keys must outlive it.
 */
#define JW_KEYS_MAX 8
#define JW_KEY_QUOTED 36	/* a plain key of up to 32 bytes, quotes and colon */
struct jw_keys {
	const char *const *keys;
	size_t n;
	bool quoted;			/* every key plain and short: quoted[] is used */
	unsigned char len[JW_KEYS_MAX];
	char text[JW_KEYS_MAX][JW_KEY_QUOTED];
};
void jw_keys_init(struct jw_keys *k, const char *const *keys, size_t n);
/* As jw_kv_u64s(w, k->keys, vals, k->n). */
void jw_kv_u64s_keys(struct jsonw *w, const struct jw_keys *k, const __u64 *vals);
void jw_s64(struct jsonw *w, long long v);
void jw_real(struct jsonw *w, double v);
void jw_string(struct jsonw *w, const char *s);	/* NULL writes null */
void jw_null(struct jsonw *w);

/* key + value in one call, for the common member shapes */
static inline void jw_kv_u64(struct jsonw *w, const char *k, __u64 v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

static inline void jw_kv_string(struct jsonw *w, const char *k, const char *v)
{
	jw_key(w, k);
	jw_string(w, v);
}

#endif
