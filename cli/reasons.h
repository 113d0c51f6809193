/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Drop reason names from the running kernel's BTF: enum skb_drop_reason for
 * the core, enum skb_drop_reason_subsys for the subsystem bits, and the
 * subsystems' own *_drop_reason enums in vmlinux and module BTF. Never a
 * hard-coded table: kernels renumber the enum.
 */
#ifndef SKBTOP_REASONS_H
#define SKBTOP_REASONS_H

#include <stddef.h>
#include <linux/types.h>

/* include/net/dropreason.h: SKB_DROP_REASON_SUBSYS_SHIFT */
#define DROP_REASON_SUBSYS_SHIFT 16

struct reasons;

/*
 * vmlinux_btf: a BTF file (NULL: /sys/kernel/btf/vmlinux). module_dir: a
 * directory of split module BTF files (NULL: /sys/kernel/btf; "" for none).
 * Returns NULL with errno set on failure (ENOENT: no BTF; ENOMSG: the BTF
 * has no enum skb_drop_reason).
 */
struct reasons *reasons__load(const char *vmlinux_btf, const char *module_dir);
void reasons__free(struct reasons *r);
/* "SOCKET_RCVBUFF", "OPENVSWITCH:FOO", or "UNKNOWN(n)" into buf. */
const char *reasons__name(const struct reasons *r, __u32 value, char *buf, size_t len);
/* Value of a core reason by name (without the SKB_DROP_REASON_ prefix); -1 if none. */
long reasons__value(const struct reasons *r, const char *name);
size_t reasons__count(const struct reasons *r);

#endif
