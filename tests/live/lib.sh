# SPDX-License-Identifier: GPL-2.0
# Shared helpers for live tests (sourced). Each check prints "ok - NAME" or
# "not ok - NAME: detail"; a test script exits non-zero if any check failed.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SKBTOP=${SKBTOP:-$ROOT/skbtop}
GEN=$ROOT/tests/gen/bin
FAILED=0
TMP=$(mktemp -d /tmp/skbtop-live.XXXXXX)
CLEANUP_CMDS=""

cleanup() {
	eval "$CLEANUP_CMDS"
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
on_exit() { CLEANUP_CMDS="$1; $CLEANUP_CMDS"; }

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; FAILED=1; }

# check NAME EXPECTED ACTUAL: exact equality of two numbers or strings
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: expected $2, got $3"; fi
}

check_true() {
	name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

need_root() {
	[ "$(id -u)" = 0 ] || { not_ok "$(basename "$0"): needs root"; exit 1; }
}

mount_tracefs() {
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
}

# Start skbtop --text -j in the background; wait until its first interval is
# out, which proves every probe is attached. Sets SKB_PID and SKB_OUT.
# SKB_PROBES: attach only these probes (-P), for a run whose assertions need no others
skbtop_start() {
	SKB_OUT=$(mktemp "$TMP/skbtop.XXXXXX.jsonl")
	"$SKBTOP" --text -j -i "${SKB_INTERVAL:-0.2}" ${SKB_PROBES:+-P "$SKB_PROBES"} "$@" \
		> "$SKB_OUT" 2> "$SKB_OUT.err" &
	SKB_PID=$!
	on_exit "kill $SKB_PID 2>/dev/null"
	i=0
	while [ ! -s "$SKB_OUT" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -s "$SKB_OUT" ] || { not_ok "skbtop did not start: $(cat "$SKB_OUT.err")"; exit 1; }
}

# Stop skbtop after one more interval so the last counts are read.
skbtop_stop() {
	sleep 0.5
	kill -INT "$SKB_PID"
	wait "$SKB_PID"
	SKB_RC=$?
}

# Sum a jq expression over every interval of the run.
# bt_wait FILE: until bpftrace, printing to FILE, says it is attaching (30 s at most)
bt_wait() {
	i=0
	while ! grep -q Attaching "$1" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}

# bt_end PID: stop a background bpftrace with SIGINT (it prints its maps
# then) and reap it, waiting 180 s at most. One still running then is killed
# and named, and the caller's checks fail on its missing maps: in a 7.2 TCG
# guest a bpftrace sat in epoll_wait for 14 min after its SIGINT, and the
# boot ran into its timeout. 30 s was too short: guest_softirq_where.sh's
# bpftrace, printing kernel stacks under TCG, took longer once. The SIGINT
# is sent again every 15 s while it runs: in a fresh-clone run under a
# loaded host two bpftrace on the built kernel sat out the whole 180 s after
# one SIGINT, and their checks failed on the missing maps. A second SIGINT
# does no harm (bpftrace 0.17 started by sh, two SIGINTs 50 or 300 ms
# apart: its maps print as after one).
bt_end() {
	kill -INT "$1" 2>/dev/null
	i=0
	while [ $i -lt 1800 ]; do
		st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
		[ -n "$st" ] && [ "$st" != Z ] || break
		sleep 0.1; i=$((i + 1))
		if [ $((i % 150)) = 0 ]; then
			echo "# bpftrace (pid $1) still runs $((i / 10)) s after its SIGINT: sending another"
			kill -INT "$1" 2>/dev/null
		fi
	done
	if [ $i -ge 1800 ]; then
		echo "# bpftrace (pid $1) still ran 180 s after its SIGINT: killed"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1"
}

# bt_map FILE NAME: the value bpftrace printed for @NAME at exit, 0 if absent
bt_map() {
	v=$(sed -n "s/^@$2: //p" "$1")
	echo "${v:-0}"
}

skb_sum() {
	jq -s "[.[] | $1] | add // 0" "$SKB_OUT"
}

# has_func NAME: NAME is a function (text symbol) in kallsyms
has_func() { grep -qE " [tT] $1\$" /proc/kallsyms; }

# The slab bulk allocator and what its calls give, from the kernel's own BTF
# (bpftool), for bpftrace: ALLOC (kmem_cache_alloc_bulk{,_noprof}), HEADS
# (heads a call gave: retval where it returns a count, all asked or nothing
# where it returns bool, 7.2+) and OK (the call gave heads); BTF_RAW; and
# cache_size, the heads napi_alloc_cache holds (its skb_cache array).
bulk_alloc_facts() {
	ALLOC=kmem_cache_alloc_bulk_noprof
	grep -qE " [tT] $ALLOC\$" /proc/kallsyms || ALLOC=kmem_cache_alloc_bulk
	BTF_RAW=$TMP/btf.raw
	bpftool btf dump file /sys/kernel/btf/vmlinux format raw > "$BTF_RAW"
	# FUNC -> FUNC_PROTO ret_type_id -> (TYPEDEF bool ->) INT
	_t=$(sed -n "s/^\[[0-9]*\] FUNC '$ALLOC' type_id=\([0-9]*\).*/\1/p" "$BTF_RAW")
	_t=$(sed -n "s/^\[$_t\] FUNC_PROTO '(anon)' ret_type_id=\([0-9]*\).*/\1/p" "$BTF_RAW")
	while grep -q "^\[$_t\] TYPEDEF" "$BTF_RAW"; do
		_t=$(sed -n "s/^\[$_t\] TYPEDEF '[^']*' type_id=\([0-9]*\).*/\1/p" "$BTF_RAW")
	done
	if grep -q "^\[$_t\] INT .*encoding=BOOL" "$BTF_RAW"; then
		HEADS='(retval ? args->size : 0)'; OK='retval'
		echo "# $ALLOC returns bool: a call gives all it was asked or nothing"
	else
		HEADS='retval'; OK='retval > 0'
		echo "# $ALLOC returns a count"
	fi
	cache_size=$(awk "/STRUCT 'napi_alloc_cache'/ { f = 1; next } f && /'skb_cache'/ {
		sub(/.*type_id=/, \"\"); print \$1; exit }" "$BTF_RAW")
	cache_size=$(sed -n "s/^\[$cache_size\] ARRAY .*nr_elems=\([0-9]*\).*/\1/p" "$BTF_RAW")
}

finish() {
	[ $FAILED = 0 ]
	exit $?
}
