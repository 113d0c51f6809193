// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the report subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_report(struct env *env)
{
	(void)env;
	fprintf(stderr, "skbtop: 'report' is not built yet\n");
	return EXIT_FAIL;
}
