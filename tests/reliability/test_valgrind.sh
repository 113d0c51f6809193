#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# valgrind (memcheck): no invalid access, no uninitialised use, no leak
# definitely lost in a short live run, `probes`, `record`, `report`, `diff`
# and `export`. valgrind.supp holds two libbpf map-create false positives.
. "$(dirname "$0")/../live/lib.sh"
need_root
command -v valgrind > /dev/null || { ok "# SKIP valgrind not installed"; exit 0; }
VG="valgrind --suppressions=$(cd "$(dirname "$0")" && pwd)/valgrind.supp --error-exitcode=99"
VG="$VG --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite -q"
vg() {
	name=$1; shift
	# shellcheck disable=SC2086
	$VG "$@" > "$TMP/vg.out" 2> "$TMP/vg.err"
	rc=$?
	check_eq "valgrind clean: $name" 0 $rc
	[ $rc = 0 ] || grep -v 'unhandled eBPF' "$TMP/vg.err" | head -30
}
vg "live --text 0.2 3" "$SKBTOP" --text 0.2 3
vg "live --text -j -C 0.2 3" "$SKBTOP" --text -j -C 0.2 3
vg "probes" "$SKBTOP" probes
vg "probes -j" "$SKBTOP" probes -j
vg "record -- sleep 0.3" "$SKBTOP" record -i 0.1 -o "$TMP/a.json" -- sleep 0.3
"$SKBTOP" record -i 0.1 -o "$TMP/b.json" -- sleep 0.3 2> /dev/null
for f in text json markdown; do
	vg "report --format $f" "$SKBTOP" report "$TMP/a.json" --format $f
	vg "diff --format $f" "$SKBTOP" diff "$TMP/a.json" "$TMP/b.json" --format $f
done
# every crafted bad capture: rejected with exit 1, one message, valgrind clean
nbad=0 badrc=0
for f in "$ROOT"/tests/data/captures/bad_*.json; do
	[ -e "$f" ] || continue
	$VG "$SKBTOP" report "$f" > /dev/null 2> "$TMP/bad.err"
	rc=$?
	nbad=$((nbad + 1))
	[ $rc = 1 ] && [ "$(grep -vc 'unhandled eBPF' "$TMP/bad.err")" = 1 ] ||
		{ badrc=$((badrc + 1)); echo "# $(basename "$f"): exit $rc: $(head -3 "$TMP/bad.err")"; }
done
check_eq "$nbad hostile captures: exit 1 with one line, valgrind clean" 0 $badrc
vg "export --textfile -d 0.5" "$SKBTOP" export --textfile "$TMP/m.prom" -i 0.1 -d 0.5
vg "usage error" sh -c "$VG $SKBTOP --text -P bogus; [ \$? = 64 ]"
finish
