/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one escape for strings that come from the kernel (device names,
 * symbols, comm) or from a capture (environment, argv, names) on their way
 * to a terminal, a text or markdown report, or the screen. JSON needs none:
 * its writers escape, and a JSON value stays exact.
 */
#ifndef SKBTOP_ESC_H
#define SKBTOP_ESC_H

#include <stddef.h>

/*
 * s with each control byte (C0, DEL, and a C1 control encoded as UTF-8)
 * written as \xHH, so it cannot move the cursor, retitle the terminal or
 * start a forged line. Returns s itself when it holds none (NULL stays
 * NULL), else buf, truncated to len.
 */
const char *esc_into(const char *s, char *buf, size_t len);

/* esc_into() into one of 8 per-thread rotating 4 KiB buffers: for printf arguments. */
const char *esc(const char *s);

#endif
