/* SPDX-License-Identifier: GPL-2.0 */
/* Reason and location names for synthetic snapshots: R<id>, fn+0x<addr>. */
#ifndef SKBTOP_TEST_NAMES_H
#define SKBTOP_TEST_NAMES_H

#include <stdio.h>
#include "view.h"

static inline const char *rname(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "R%u", r);
	return buf;
}

static inline const char *lname(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "fn+0x%llx", (unsigned long long)a);
	return buf;
}

#endif
