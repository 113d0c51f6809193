// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the export subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_export(struct env *env)
{
	(void)env;
	fprintf(stderr, "skbtop: 'export' is not built yet\n");
	return EXIT_FAIL;
}
