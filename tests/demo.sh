#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`: run skbtop over a built-in workload. The generators make
# their own network namespaces and devices and remove them when done.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "make demo: run as root" >&2; exit 1; }
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
make -s -C tests/gen
out=$(mktemp /tmp/skbtop-demo.XXXXXX)
pid=
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true; rm -f "$out"' EXIT INT TERM

echo "== skbtop probes on $(uname -r)"
./skbtop probes
echo
echo "== workloads: UDP into a full socket, a 2-queue tap nobody reads,"
echo "   cross-CPU deferred frees (sender on CPU 0, receiver on CPU 1)"
./skbtop --text -C -i 1 > "$out" 2>&1 &
pid=$!
sleep 1.5
tests/gen/bin/udp_rcvbuf --count 20000
tests/gen/bin/tap_flood --queues 2 --count 3000
tests/gen/bin/defer_kick --count 20000
sleep 1.2
kill -INT $pid
wait $pid || true
echo
echo "== skbtop --text -C (counts per 1 s interval)"
cat "$out"
