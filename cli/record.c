// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the record subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_record(struct env *env)
{
	(void)env;
	fprintf(stderr, "skbtop: 'record' is not built yet\n");
	return EXIT_FAIL;
}
