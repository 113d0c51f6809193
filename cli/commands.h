/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands: each returns the process exit status. */
#ifndef SKBTOP_COMMANDS_H
#define SKBTOP_COMMANDS_H

#include "env.h"

int cmd_live(struct env *env);		/* live.c: TUI or --text */
int cmd_probes(struct env *env);	/* live.c */
int cmd_record(struct env *env);	/* record.c */
int cmd_report(struct env *env);	/* report.c */
int cmd_diff(struct env *env);		/* diff.c */
int cmd_export(struct env *env);	/* export.c */
int cmd_fields(struct env *env);	/* legend.c */
struct session;
/* The screen over an open session; -1 when the terminal cannot take it (then use text). */
int tui_run(struct env *env, struct session *sess);	/* tui.c */

#endif
