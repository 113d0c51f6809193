#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the capture-reader fuzzer (clang, libFuzzer, ASan+UBSan) and run it
# for a bounded time over the seed corpus in tests/data/captures.
# Usage: tests/fuzz/run.sh [SECONDS]   (default 20; FUZZ_OUT overrides /tmp/skbtop-fuzz)
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-20}
out=${FUZZ_OUT:-/tmp/skbtop-fuzz}
mkdir -p "$out/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude -Icli tests/fuzz/fuzz_capture.c cli/capture_env.c cli/capture_read.c \
	cli/capture_write.c cli/stats.c cli/diff.c \
	cli/report.c cli/view.c cli/jsonw.c cli/snapshot.c cli/files.c cli/esc.c cli/fields.c -ljansson -lm \
	-o "$out/fuzz_capture"
# the corpus grows in $out/corpus; the committed seeds are only read
"$out/fuzz_capture" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=262144 -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" tests/data/captures \
	> "$out/log" 2>&1 && rc=0 || rc=$?
tail -15 "$out/log"
if [ $rc -eq 0 ]; then
	echo "ok - fuzz_capture ran ${secs}s without a crash"
	echo "fuzz: 1 passed, 0 failed"
else
	echo "not ok - fuzz_capture crashed (rc $rc): see $out/log and $out/crash-*"
	echo "fuzz: 0 passed, 1 failed"
fi
exit $rc
