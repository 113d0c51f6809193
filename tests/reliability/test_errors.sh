#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Privilege and kernel problems: each gives one clear line on stderr, exit
# status 1, and no libbpf output (that needs -v). Not root, root without
# CAP_BPF/CAP_PERFMON/CAP_SYSLOG, --btf missing/garbage/empty/a directory,
# a BTF without enum skb_drop_reason (a pre-5.17 kernel), RLIMIT_MEMLOCK 0
# (works: 5.11+ charges BPF memory to the memcg), and fentry refused by
# lockdown (reported per probe as EPERM, tracepoint fallbacks attach).
. "$(dirname "$0")/../live/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
command -v setpriv > /dev/null || { not_ok "setpriv not installed"; exit 1; }

NOBODY="setpriv --reuid 65534 --regid 65534 --clear-groups"
PRIV_MSG="skbtop: needs root, or CAP_BPF, CAP_PERFMON and CAP_SYSLOG (run it with sudo)"
KSYM_MSG="skbtop: /proc/kallsyms shows no addresses: reading them needs CAP_SYSLOG (root has it) and kernel.kptr_restrict below 2"
OLD_MSG="skbtop: kernel too old: its BTF has no enum skb_drop_reason (added in Linux 5.17); skbtop needs Linux 5.17 or later"
btf_msg() { echo "skbtop: failed to load BTF from --btf $1: $2 (want raw BTF like /sys/kernel/btf/vmlinux, or an ELF file with .BTF)"; }

# expect NAME RC MESSAGE CMD...: exit status RC, stderr exactly MESSAGE
expect() {
	name=$1 want_rc=$2 want_msg=$3; shift 3
	timeout 20 "$@" > "$TMP/out" 2> "$TMP/err"
	rc=$?
	check_eq "$name: exit $want_rc" "$want_rc" $rc
	check_eq "$name: message" "$want_msg" "$(cat "$TMP/err")"
}

# ---- privileges ----
chmod 711 "$TMP"; mkdir -m 1777 "$TMP/w"	# record and export check their output first
expect "not root (live)" 1 "$PRIV_MSG" $NOBODY "$SKBTOP" --text 0.1 1
expect "not root (probes)" 1 "$PRIV_MSG" $NOBODY "$SKBTOP" probes
expect "not root (record)" 1 "$PRIV_MSG" $NOBODY "$SKBTOP" record -o "$TMP/w/x.json" -- true
check_true "not root (record): no capture file written" [ ! -s "$TMP/w/x.json" ]
expect "not root (export)" 1 "$PRIV_MSG" $NOBODY "$SKBTOP" export --textfile "$TMP/w/x.prom"
expect "root without CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON" 1 "$PRIV_MSG" \
	setpriv --bounding-set -sys_admin,-bpf,-perfmon "$SKBTOP" --text 0.1 1
CAPS="--inh-caps +bpf,+perfmon --ambient-caps +bpf,+perfmon"
if [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 1 ]; then
	# kallsyms_show_value(): without CAP_SYSLOG the addresses read as 0
	expect "CAP_BPF+CAP_PERFMON, no CAP_SYSLOG" 1 "$KSYM_MSG" \
		$NOBODY $CAPS "$SKBTOP" --text 0.1 1
fi
if [ "$(cat /proc/sys/kernel/kptr_restrict)" -lt 2 ]; then
	CAPS="--inh-caps +bpf,+perfmon,+syslog --ambient-caps +bpf,+perfmon,+syslog"
	expect "non-root with CAP_BPF, CAP_PERFMON, CAP_SYSLOG works" 0 "" \
		$NOBODY $CAPS "$SKBTOP" --text -j 0.1 1
	check_eq "non-root run: one JSON interval" 1 "$(jq -s length "$TMP/out")"
	expect "root with only CAP_BPF+CAP_PERFMON+CAP_SYSLOG (no SYS_ADMIN) works" 0 "" \
		setpriv --bounding-set -sys_admin "$SKBTOP" --text -j 0.1 1
fi

# ---- BTF ----
head -c 4096 /dev/urandom > "$TMP/garbage.btf"
: > "$TMP/empty.btf"
# raw BTF with one type, "int": valid, but no enum skb_drop_reason
python3 - "$TMP/noreason.btf" <<'EOF'
import struct, sys
strs = b"\0int\0"
types = struct.pack("<IIII", 1, 1 << 24, 4, (1 << 24) | 32)
hdr = struct.pack("<HBBIIIII", 0xeB9F, 1, 0, 24, 0, len(types), len(types), len(strs))
open(sys.argv[1], "wb").write(hdr + types + strs)
EOF
expect "--btf missing file" 1 "$(btf_msg /nonexistent.btf 'No such file or directory')" \
	"$SKBTOP" --text --btf /nonexistent.btf 0.1 1
expect "--btf garbage" 1 "$(btf_msg "$TMP/garbage.btf" 'BPF object format invalid')" \
	"$SKBTOP" --text --btf "$TMP/garbage.btf" 0.1 1
expect "--btf empty file" 1 "$(btf_msg "$TMP/empty.btf" 'Input/output error')" \
	"$SKBTOP" --text --btf "$TMP/empty.btf" 0.1 1
# refused before libbpf, which said "Input/output error" (issue 20)
expect "--btf a directory" 1 "skbtop: failed to open $TMP: is a directory" \
	"$SKBTOP" --text --btf "$TMP" 0.1 1
expect "--btf without skb_drop_reason: kernel too old (live)" 1 "$OLD_MSG" \
	"$SKBTOP" --text --btf "$TMP/noreason.btf" 0.1 1
expect "--btf without skb_drop_reason: kernel too old (probes)" 1 "$OLD_MSG" \
	"$SKBTOP" probes --btf "$TMP/noreason.btf"
expect "--btf /sys/kernel/btf/vmlinux works" 0 "" \
	"$SKBTOP" --text -j --btf /sys/kernel/btf/vmlinux 0.1 1

# ---- memlock ----
expect "ulimit -l 0 as root works" 0 "" sh -c "ulimit -l 0 && exec $SKBTOP --text -j 0.1 1"
check_eq "ulimit -l 0: one JSON interval" 1 "$(jq -s length "$TMP/out")"
# without CAP_SYS_RESOURCE skbtop cannot raise the limit; 5.11+ does not
# charge maps to RLIMIT_MEMLOCK, so it still works
expect "ulimit -l 0 without CAP_SYS_RESOURCE works" 0 "" \
	sh -c "ulimit -l 0 && exec setpriv --bounding-set -sys_resource $SKBTOP --text -j 0.1 1"
check_eq "ulimit -l 0, no CAP_SYS_RESOURCE: one JSON interval" 1 "$(jq -s length "$TMP/out")"

# ---- lockdown / LSM refusing fentry: per-probe EPERM, fallbacks attach ----
"$SKBTOP" probes -j > "$TMP/probes.json" 2> "$TMP/probes.err"
check_eq "probes -j exits 0" 0 $?
check_eq "probes -j: nothing on stderr" 0 "$(wc -c < "$TMP/probes.err")"
eperm=$(jq '[.[] | select(.reason // "" | test("fentry on .* refused: Operation not permitted \\(lockdown or LSM\\)"))] | length' "$TMP/probes.json")
if [ "$eperm" -gt 0 ]; then
	check_eq "lockdown: drops falls back to tp_btf" tp_btf \
		"$(jq -r '.[] | select(.probe == "drops") | .mode' "$TMP/probes.json")"
	check_eq "lockdown: fentry-only consume unavailable with EPERM" \
		"fentry+tp: fentry on napi_consume_skb refused: Operation not permitted (lockdown or LSM)" \
		"$(jq -r '.[] | select(.probe == "consume") | .reason' "$TMP/probes.json")"
	# no program on skb_defer_free_flush: consume_skb events located in it
	# close each flush (tp_btf), so lockdown does not demote it
	check_eq "lockdown: defer_flush counts flushes on tp_btf from consume_skb location" \
		"tp_btf consume_skb location" \
		"$(jq -r '.[] | select(.probe == "defer_flush") | "\(.mode) \(.variant)"' "$TMP/probes.json")"
	ok "lockdown: $eperm probes report fentry EPERM"
	expect "lockdown: only fentry probes selected" 1 \
		'skbtop: no probe could be attached (see `skbtop probes`)' \
		"$SKBTOP" --text -P consume,tun_sendmsg 0.1 1
	expect "lockdown: live run with fallbacks works" 0 "" "$SKBTOP" --text -j 0.1 1
	"$SKBTOP" probes -v > /dev/null 2> "$TMP/verbose.err"
	check_true "libbpf messages appear with -v ($(grep -c '^libbpf:' "$TMP/verbose.err") lines)" \
		grep -q '^libbpf:' "$TMP/verbose.err"
else
	ok "# SKIP lockdown checks: fentry is permitted on this kernel"
fi
finish
