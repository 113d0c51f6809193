/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel text symbols from /proc/kallsyms, for symbol+offset and text ranges. */
#ifndef SKBTOP_KSYMS_H
#define SKBTOP_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksyms;

/* Load a kallsyms-format file (path NULL: /proc/kallsyms). NULL on error (errno set). */
struct ksyms *ksyms__load(const char *path);
void ksyms__free(struct ksyms *ks);
/* Address of a symbol, 0 when absent or hidden (kptr_restrict). */
uint64_t ksyms__addr(const struct ksyms *ks, const char *name);
/* Whether kallsyms names the symbol at all: text, data, or absolute (per-CPU on older kernels). */
bool ksyms__has(const struct ksyms *ks, const char *name);
/* [start, end) of a text symbol: end is the next symbol's address. 0 on success. */
int ksyms__range(const struct ksyms *ks, const char *name, uint64_t *start, uint64_t *end);
/* "symbol+0xoff" (or "[module] symbol+0xoff", or "0x..." when unknown) into buf. */
const char *ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf, size_t len);
size_t ksyms__count(const struct ksyms *ks);

#endif
