// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <assert.h>
#include <math.h>
#include <string.h>
#include "jsonw.h"

void jw_init(struct jsonw *w, FILE *f, int indent)
{
	w->f = f;
	w->len = 0;
	w->indent = indent;
	w->depth = 0;
	w->after_key = false;
	w->ascii = false;
}

static void flush(struct jsonw *w)
{
	fwrite(w->buf, 1, w->len, w->f);
	w->len = 0;
}

void jw_flush(struct jsonw *w)
{
	flush(w);
}

static void put(struct jsonw *w, const void *p, size_t n)
{
	if (w->len + n > sizeof(w->buf)) {
		flush(w);
		if (n > sizeof(w->buf)) {
			fwrite(p, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void putch(struct jsonw *w, char c)
{
	if (w->len == sizeof(w->buf))
		flush(w);
	w->buf[w->len++] = c;
}

static void puts_(struct jsonw *w, const char *s)
{
	put(w, s, strlen(s));
}

/* After a value: at depth 0 the document is complete. */
static void after_value(struct jsonw *w)
{
	if (!w->depth)
		flush(w);
}

static void newline(struct jsonw *w, int depth)
{
	putch(w, '\n');
	for (int i = 0; i < depth * w->indent; i++)
		putch(w, ' ');
}

/* Before any value: the separator from the previous element, if any. */
static inline void before_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->depth)
		return;
	if (w->has_items[w->depth - 1])
		putch(w, ',');
	w->has_items[w->depth - 1] = true;
	if (w->indent)
		newline(w, w->depth);
}

static void open(struct jsonw *w, char c, char closer)
{
	before_value(w);
	assert(w->depth < JW_MAX_DEPTH);
	putch(w, c);
	w->closer[w->depth] = closer;
	w->has_items[w->depth++] = false;
}

void jw_object(struct jsonw *w)
{
	open(w, '{', '}');
}

void jw_array(struct jsonw *w)
{
	open(w, '[', ']');
}

void jw_end(struct jsonw *w)
{
	assert(w->depth > 0 && !w->after_key);
	w->depth--;
	if (w->indent && w->has_items[w->depth])
		newline(w, w->depth);
	putch(w, w->closer[w->depth]);
	after_value(w);
}

/* Bytes written as themselves inside a JSON string (printable ASCII but " and \\). */
#define R8(x) x, x, x, x, x, x, x, x
static const unsigned char plain[256] = {
	R8(0), R8(0), R8(0), R8(0),				/* 0x00-0x1f: control */
	1, 1, 0, R8(1), 1, 1, 1, 1, 1,				/* 0x20-0x2f: '"' */
	R8(1), R8(1),						/* 0x30-0x3f */
	R8(1), R8(1), R8(1), 1, 1, 1, 1, 0, 1, 1, 1,		/* 0x40-0x5f: '\\' */
	R8(1), R8(1), R8(1), R8(1),				/* 0x60-0x7f */
};

/*
 * ,"key": of compact output in one pass, for a key of plain bytes up to 64
 * long: copied as checked (no strlen, no call), written past w->len and
 * committed only when the key passed. false: nothing written.
 */
static bool put_plain_key(struct jsonw *w, const char *key)
{
	const unsigned char *k = (const unsigned char *)key;
	char *d;
	int j;

	if (w->indent || w->len + 64 + 4 > sizeof(w->buf))
		return false;
	d = w->buf + w->len;
	if (w->has_items[w->depth - 1])
		*d++ = ',';
	*d++ = '"';
	for (j = 0; j < 64 && plain[k[j]]; j++)
		d[j] = k[j];
	if (k[j])	/* an escape, or longer than 64 */
		return false;
	d += j;
	*d++ = '"';
	*d++ = ':';
	w->has_items[w->depth - 1] = true;
	w->len = d - w->buf;
	return true;
}

void jw_key(struct jsonw *w, const char *key)
{
	assert(w->depth > 0 && w->closer[w->depth - 1] == '}' && !w->after_key);
	if (!put_plain_key(w, key)) {	/* indented, escaped or long: the general path */
		jw_string(w, key);
		if (w->indent)
			puts_(w, ": ");
		else
			putch(w, ':');
	}
	w->after_key = true;
}

static inline void put_u64(struct jsonw *w, __u64 v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char digits[20], *p = digits + sizeof(digits);
	size_t n;

	for (; v >= 100; v /= 100)
		memcpy(p -= 2, &pairs[v % 100 * 2], 2);
	if (v >= 10)
		memcpy(p -= 2, &pairs[v * 2], 2);
	else
		*--p = '0' + v;
	n = digits + sizeof(digits) - p;
	if (w->len + n > sizeof(w->buf))
		flush(w);
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void jw_u64(struct jsonw *w, __u64 v)
{
	before_value(w);
	put_u64(w, v);
	after_value(w);
}

void jw_kv_u64s(struct jsonw *w, const char *const *keys, const __u64 *vals, size_t n)
{
	assert(w->depth > 0 && w->closer[w->depth - 1] == '}' && !w->after_key);
	for (size_t i = 0; i < n; i++) {
		if (put_plain_key(w, keys[i]))
			put_u64(w, vals[i]);	/* a member's value: no separator, depth > 0 */
		else
			jw_kv_u64(w, keys[i], vals[i]);
	}
}

void jw_keys_init(struct jw_keys *k, const char *const *keys, size_t n)
{
	memset(k, 0, sizeof(*k));
	k->keys = keys;
	k->n = n;
	k->quoted = n <= JW_KEYS_MAX;
	for (size_t i = 0; i < n && k->quoted; i++) {
		const unsigned char *key = (const unsigned char *)keys[i];
		size_t j;

		for (j = 0; j < JW_KEY_QUOTED - 4 && key[j] && plain[key[j]]; j++)
			k->text[i][j + 1] = key[j];
		if (key[j]) {	/* an escape, or too long: jw_kv_u64s() writes them */
			k->quoted = false;
			break;
		}
		k->text[i][0] = '"';
		k->text[i][j + 1] = '"';
		k->text[i][j + 2] = ':';
		k->len[i] = j + 3;
	}
}

void jw_kv_u64s_keys(struct jsonw *w, const struct jw_keys *k, const __u64 *vals)
{
	if (w->indent || !k->quoted) {
		jw_kv_u64s(w, k->keys, vals, k->n);
		return;
	}
	assert(w->depth > 0 && w->closer[w->depth - 1] == '}' && !w->after_key);
	for (size_t i = 0; i < k->n; i++) {
		if (w->len + 1 + JW_KEY_QUOTED > sizeof(w->buf))
			flush(w);
		if (w->has_items[w->depth - 1])
			w->buf[w->len++] = ',';
		memcpy(w->buf + w->len, k->text[i], JW_KEY_QUOTED);	/* fixed size: one move */
		w->len += k->len[i];
		w->has_items[w->depth - 1] = true;
		put_u64(w, vals[i]);
	}
}

void jw_s64(struct jsonw *w, long long v)
{
	before_value(w);
	if (v < 0)
		putch(w, '-');
	put_u64(w, v < 0 ? -(__u64)v : (__u64)v);
	after_value(w);
}

/* As jansson: "%.17g", then ".0" if it reads as an integer, exponent without '+' or leading 0s. */
void jw_real(struct jsonw *w, double v)
{
	char buf[40], *e, *digits, *end;

	if (!isfinite(v)) {	/* not JSON */
		jw_null(w);
		return;
	}
	before_value(w);
	snprintf(buf, sizeof(buf) - 2, "%.17g", v);
	if (!strchr(buf, '.') && !strchr(buf, 'e'))
		strcat(buf, ".0");
	e = strchr(buf, 'e');
	if (e) {
		digits = e + 1;
		end = digits + 1;	/* past the sign */
		if (*digits == '-')
			digits++;
		while (*end == '0')
			end++;
		memmove(digits, end, strlen(end) + 1);
	}
	puts_(w, buf);
	after_value(w);
}

void jw_null(struct jsonw *w)
{
	before_value(w);
	puts_(w, "null");
	after_value(w);
}

/* Length of the valid UTF-8 sequence at s, or 0 (RFC 3629: no overlongs, surrogates, > U+10FFFF). */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	int n;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* \uXXXX of a UTF-16 code unit, into d (6 bytes). */
static void escape_u16(char *d, unsigned int u)
{
	static const char hex[] = "0123456789ABCDEF";

	d[0] = '\\';
	d[1] = 'u';
	for (int i = 0; i < 4; i++)
		d[2 + i] = hex[(u >> (12 - 4 * i)) & 0xf];
}

/* The \uXXXX escape (two past U+FFFF) of the valid n-byte UTF-8 sequence at s, into d. */
static int escape_utf8(char *d, const unsigned char *s, int n)
{
	static const unsigned char lead_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned int cp = s[0] & lead_mask[n];

	for (int i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	if (cp < 0x10000) {
		escape_u16(d, cp);
		return 6;
	}
	cp -= 0x10000;
	escape_u16(d, 0xd800 | cp >> 10);
	escape_u16(d + 6, 0xdc00 | (cp & 0x3ff));
	return 12;
}

/* The escape of one byte that is not written as itself, into d; its length. */
static int escape(char *d, unsigned char c)
{
	static const char short_esc[] = { ['"'] = '"', ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
					  ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't' };

	if (c < sizeof(short_esc) && short_esc[c]) {
		d[0] = '\\';
		d[1] = short_esc[c];
		return 2;
	}
	/* control or invalid UTF-8 byte */
	snprintf(d, 7, "\\u%04X", c);
	return 6;
}

/*
 * Escapes as jansson: printable ASCII as itself but " and \\, valid UTF-8
 * as itself, the rest as an escape (\\u00XX for control and invalid bytes).
 */
void jw_string(struct jsonw *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!str) {
		jw_null(w);
		return;
	}
	before_value(w);
	putch(w, '"');
	while (*s) {
		/* room for a chunk at its worst (6 bytes out per byte in, a UTF-8
		 * sequence running 3 past it): no check per byte */
		size_t done = 0;
		char *d;

		if (w->len + (1024 + 3) * 6 > sizeof(w->buf))
			flush(w);
		d = w->buf + w->len;
		while (*s && done < 1024) {
			int n;

			if (plain[*s]) {
				*d++ = *s++;
				done++;
				continue;
			}
			n = *s >= 0x80 ? utf8_len(s) : 0;
			if (n && w->ascii) {
				d += escape_utf8(d, s, n);
			} else if (n) {
				memcpy(d, s, n);
				d += n;
			} else {
				n = 1;
				d += escape(d, *s);
			}
			s += n;
			done += n;
		}
		w->len = d - w->buf;
	}
	putch(w, '"');
	after_value(w);
}
