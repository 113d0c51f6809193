# SPDX-License-Identifier: GPL-2.0
# Helpers for the reliability tests (sourced after tests/live/lib.sh).
#
# BPF objects are tracked by id, not by count: other processes on the host
# (other skbtop instances included) may load BPF at the same time. While a
# skbtop process runs, a poller collects every prog_id/link_id/map_id/btf_id
# its fds refer to (/proc/PID/fdinfo); after it exits, each of those ids must
# be gone from `bpftool prog|link|map|btf list` (kernel BTF excepted).

# ids_poll PID FILE: append "kind id" lines for PID's BPF fds until it exits.
ids_poll() {
	[ -n "$1" ] || return 1
	# above normal priority: on a loaded machine it must not miss a short run
	nice -n -10 python3 "$(dirname "$0")/ids_poll.py" "$1" "$2"
	sort -u -o "$2" "$2"
}

# wait_ids PID [FILE]: until PID holds BPF links (up to 2 s); with FILE
# (an ids_poll file), also until the poller has seen them (up to 10 s: its
# python start-up is slow on a loaded machine).
wait_ids() {
	_w=0
	while ! grep -qs '^link_id:' /proc/"$1"/fdinfo/* && [ $_w -lt 100 ]; do
		sleep 0.02; _w=$((_w + 1))
	done
	[ -n "$2" ] || { sleep 0.05; return; }
	_w=0
	while [ ! -e "$2.seen" ] && [ $_w -lt 500 ] && [ -d /proc/"$1" ]; do
		sleep 0.02; _w=$((_w + 1))
	done
}

# ids_now: "kind id" for every BPF object alive now (kernel BTF left out).
ids_now() {
	for k in prog link map; do
		bpftool -j "$k" list 2> /dev/null | jq -r ".[] | \"$k \\(.id)\""
	done
	bpftool -j btf list 2> /dev/null | jq -r '.[] | select(.kernel | not) | "btf \(.id)"'
}

# ids_left FILE: how many ids in FILE still exist (prints the count). The
# kernel frees a program after its links' RCU grace period, so a program id
# may outlive the process by a few milliseconds: look again for up to 3 s.
ids_left() {
	_g=0
	while :; do
		ids_now | sort -u > "$1.now"
		_n=$(comm -12 "$1" "$1.now" | wc -l)
		[ "$_n" = 0 ] || [ $_g -ge 15 ] && break
		sleep 0.2; _g=$((_g + 1))
	done
	echo "$_n"
}

# ids_count FILE KIND
ids_count() {
	grep -c "^$2 " "$1"
}

# wait_file FILE [tenths]: until FILE is non-empty
wait_file() {
	_w=0
	while [ ! -s "$1" ] && [ $_w -lt "${2:-100}" ]; do
		sleep 0.05; _w=$((_w + 1))
	done
	[ -s "$1" ]
}

# noise FILE: lines on stderr that are libbpf or verifier output
noise() {
	grep -ciE 'libbpf|verifier|^[0-9]+: \(|processed [0-9]+ insns' "$1"
}
