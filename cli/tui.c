// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the ncurses screen lands: fall back to text. */
#include "commands.h"

int tui_run(struct env *env, struct skbtop *st)
{
	(void)env;
	(void)st;
	return -1;
}
