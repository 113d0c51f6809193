// SPDX-License-Identifier: GPL-2.0
/* Control bytes out of kernel- and capture-supplied strings (esc.h). */
#include <stdbool.h>
#include <stdio.h>
#include "esc.h"

/* Length of the control sequence at p: 1 (C0, DEL), 2 (U+0080..U+009F in UTF-8), or 0. */
static int control_len(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

const char *esc_into(const char *s, char *buf, size_t len)
{
	const unsigned char *p;
	bool dirty = false;
	size_t o = 0;

	if (!s)
		return s;
	for (p = (const unsigned char *)s; *p && !dirty; p++)
		dirty = control_len(p);
	if (!dirty || !len)
		return s;
	for (p = (const unsigned char *)s; *p; ) {
		int n = control_len(p);

		if (!n) {
			if (o + 1 >= len)
				break;
			buf[o++] = (char)*p++;
			continue;
		}
		if (o + 4 * n >= len)
			break;
		for (; n; n--, p++, o += 4)
			snprintf(buf + o, 5, "\\x%02x", *p);
	}
	buf[o] = '\0';
	return buf;
}

const char *esc(const char *s)
{
	static __thread char bufs[8][4096];
	static __thread unsigned int next;

	return esc_into(s, bufs[next++ % 8], sizeof(bufs[0]));
}
