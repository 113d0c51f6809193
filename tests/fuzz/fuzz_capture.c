// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the capture reader. Whatever parses is also rendered
 * (report in every format, diff against itself), so a file that passes
 * validation cannot crash the views either.
 */
#include <stdint.h>
#include <stdio.h>
#include "capture.h"

/* Smaller than the defaults so one input stays cheap (ncpus^2 kick matrix). */
static const struct capture_limits fuzz_limits = {
	.max_bytes = 1 << 20,
	.max_ncpus = 64,
	.max_samples = 4096,
	.max_rows = 4096,
	.max_total_rows = 1 << 16,
	.max_names = 4096,
	.max_depth = 16,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct capture cap;
	struct diff_result r;
	char err[512];

	if (!null)
		null = fopen("/dev/null", "w");
	if (capture__parse((const char *)data, size, &cap, &fuzz_limits, err, sizeof(err))) {
		if (!err[0])
			__builtin_trap();	/* every refusal says why */
		return 0;
	}
	report__print(null, &cap, "fuzz", "text");
	report__print(null, &cap, "fuzz", "json");
	report__print(null, &cap, "fuzz", "markdown");
	if (!diff__compare(&cap, &cap, &r)) {
		diff__text(null, &r, "a", "b");
		diff__markdown(null, &r, "a", "b");
		json_decref(diff__json(&r, "a", "b"));
		diff__free(&r);
	}
	capture__free(&cap);
	return 0;
}
