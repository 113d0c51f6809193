/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SKBTOP_OPTIONS_H
#define SKBTOP_OPTIONS_H

#include "env.h"

extern const char usage[];
/* Print "skbtop: <fmt>" and a hint; returns EXIT_USAGE. */
int usage_error(const char *fmt, const char *arg);
/*
 * Parse options and positionals into env. Returns an exit status to leave
 * with when non-zero or when *done is set (--help, --version).
 */
int parse_args(int argc, char **argv, struct env *env, int *done);

/*
 * Every option given must be in allowed (long names, NULL-terminated), or
 * this returns EXIT_USAGE with "option '--x' does not apply to CMD".
 */
int check_options(const struct env *env, const char *cmd, const char *const *allowed);

#endif
