/* SPDX-License-Identifier: GPL-2.0 */
/* cppcheck cannot expand these libbpf macros without the system headers:
 * make lint should pass --include=tests/reliability/cppcheck-libbpf.h */
#define LIBBPF_OPTS(TYPE, NAME, ...) struct TYPE NAME = { __VA_ARGS__ }
#define bpf_object__for_each_program(pos, obj) for ((pos) = bpf_object__next_program((obj), NULL); (pos) != NULL; (pos) = bpf_object__next_program((obj), (pos)))
