// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the diff subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_diff(struct env *env)
{
	(void)env;
	fprintf(stderr, "skbtop: 'diff' is not built yet\n");
	return EXIT_FAIL;
}
