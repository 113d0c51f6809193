#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftest.sh: checks the VM rig itself. For each kernel (default: unstable
# bookworm) boots a guest and checks, inside it, the release, BTF, the tun,
# vhost_net and veth modules, bpftool, fentry attach (bpftrace kfunc
# probes) and that exit statuses come back; on the first kernel also that a
# hang times out and a panic is reported. Prints each boot's wall time.
#
# Usage: tests/vm/selftest.sh [KERNEL-PKG...]
# Exit status: 0 when every check passed, 1 otherwise.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VMRUN=$HERE/vm-run
FAILS=0
T=$(mktemp)
trap 'rm -f "$T"' EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }

# Runs inside the guest: $1 is the expected release. Exits 42 when all
# checks pass so that the host also sees a specific status come back.
# shellcheck disable=SC2016 # expanded in the guest
GUEST='
rel=$1 bad=0
ok() { echo "  ok - $*"; }
no() { echo "  not ok - $*"; bad=1; }
[ "$(uname -r)" = "$rel" ] && ok "uname -r is $rel" || no "uname -r is $(uname -r), want $rel"
[ -e /sys/kernel/btf/vmlinux ] && ok "/sys/kernel/btf/vmlinux" || no "no /sys/kernel/btf/vmlinux"
for m in tun tap vhost vhost_net veth; do
	[ -d /sys/module/$m ] && ok "module $m loaded" || no "module $m not loaded"
done
[ "$(ulimit -l)" = unlimited ] && ok "ulimit -l unlimited" || no "ulimit -l is $(ulimit -l)"
mountpoint -q /sys/kernel/tracing && mountpoint -q /sys/fs/bpf &&
	ok "tracefs and bpffs mounted" || no "tracefs or bpffs missing"
bpftool prog list >/dev/null && ok "bpftool prog list" || no "bpftool prog list failed"
probes="kfunc:napi_consume_skb { @c = count(); }"
probes="$probes kfunc:skb_attempt_defer_free { @d = count(); }"
if grep -qw napi_skb_cache_get_bulk /proc/kallsyms; then
	probes="$probes kretfunc:napi_skb_cache_get_bulk { @b = count(); }"
fi
out=$(bpftrace -e "$probes interval:s:1 { exit(); }" 2>&1)
if [ $? = 0 ] && echo "$out" | grep -q "^Attaching"; then
	ok "fentry attach: $(echo "$out" | head -n1)"
else
	no "fentry attach: $(echo "$out" | tail -n2 | tr "\n" " ")"
fi
[ $bad = 0 ] && exit 42
exit 1
'

# timed CMD...: runs CMD, stores its wall time in SECS, returns its status.
timed() {
	local t0 rc
	t0=$(date +%s.%N)
	"$@"
	rc=$?
	SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	return "$rc"
}

check_kernel() {
	local k=$1 first=$2 rel rc out
	echo "# kernel $k"
	if ! timed "$VMRUN" --kernel-pkg "$k" --print-release >"$T"; then
		not_ok "$k: fetch failed"
		return
	fi
	rel=$(<"$T")
	ok "$k: release $rel (fetch/resolve ${SECS}s)"

	timed "$VMRUN" --kernel-pkg "$k" -- true
	rc=$?
	if [[ $rc = 0 ]]; then ok "$k: boot + true + poweroff in ${SECS}s"; else not_ok "$k: true gave $rc"; fi

	timed "$VMRUN" --kernel-pkg "$k" -- false
	rc=$?
	if [[ $rc != 0 ]]; then ok "$k: false gave $rc (${SECS}s)"; else not_ok "$k: false gave 0"; fi

	timed "$VMRUN" --kernel-pkg "$k" -- bash -c "$GUEST" guest "$rel" >"$T" 2>&1
	rc=$?
	out=$(<"$T")
	echo "$out"
	if [[ $rc = 42 ]]; then
		ok "$k: guest checks passed, status 42 came back (${SECS}s)"
	else
		not_ok "$k: guest checks gave status $rc"
	fi

	[[ $first = 1 ]] || return 0
	timed "$VMRUN" --kernel-pkg "$k" --timeout 25 -- sleep 600 >"$T" 2>&1
	rc=$?
	out=$(<"$T")
	if [[ $rc = 1 ]] && grep -q 'timed out' <<<"$out"; then
		ok "$k: a hang times out (${SECS}s)"
	else
		not_ok "$k: hang gave status $rc: $(head -n1 <<<"$out")"
	fi
	timed "$VMRUN" --kernel-pkg "$k" -- sh -c 'echo c > /proc/sysrq-trigger' >"$T" 2>&1
	rc=$?
	out=$(<"$T")
	if [[ $rc = 1 ]] && grep -q 'panicked' <<<"$out"; then
		ok "$k: a panic is reported (${SECS}s)"
	else
		not_ok "$k: panic gave status $rc: $(head -n1 <<<"$out")"
	fi
}

main() {
	local k first=1
	[[ $# -gt 0 ]] || set -- unstable bookworm
	for k in "$@"; do
		check_kernel "$k" "$first"
		first=0
	done
	if [[ $FAILS = 0 ]]; then
		echo "# all passed"
		return 0
	fi
	echo "# $FAILS failed"
	return 1
}

main "$@"
