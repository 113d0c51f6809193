#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vm-run's int3_stall(): which guest consoles it stops as "caught on a text
# patch's int3" (tests/vm/README.md), from excerpts of real consoles; cmocka's
# output lines, for tests/run-unit.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
# the function alone, out of the bash script
sed -n '/^int3_stall()/,/^}/p' tests/vm/vm-run > "$T/f.sh"
fails=0
# case NAME WANT(where, or "-" for none) CONSOLE
case_() {
	printf '%s\n' "$3" > "$T/console"
	got=$(bash -c ". '$T/f.sh'; int3_stall '$T/console'") || got=-
	if [ "$got" = "$2" ]; then
		echo "[       OK ] $1"
	else
		echo "[  FAILED  ] $1: want '$2', got '$got'"
		fails=$((fails + 1))
	fi
}
# Debian 6.1 in the VM tier, 2026-12-03: one CPU looping on the int3
case_ int3_stall_rcu_stall "RIP: 0010:asm_exc_int3+0x0/0x40,RIP: 0010:handle_softirqs+0xd8" \
'[  176.164373] rcu: INFO: rcu_preempt self-detected stall on CPU
[  176.164373] rcu: 	1-...!: (5226 ticks this GP) idle=d6cc/1/0x4000000000000000 softirq=11442/11442 fqs=0
[  176.180352] RIP: 0010:asm_exc_int3+0x0/0x40
[  176.180352] Call Trace:
[  176.180352]  <IRQ>
[  176.180352] RIP: 0010:handle_softirqs+0xd8/0x280
[  176.180352]  __irq_exit_rcu+0xac/0xe0'
# the built 7.2.13, 2026-12-02: the breakpoint executed after the patch
case_ int3_stall_oops "Oops: int3: 0000 [#1] SMP NOPTI,RIP: 0010:finish_task_switch+0x9a" \
'[  812.001] Oops: int3: 0000 [#1] SMP NOPTI
[  812.002] CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Not tainted 7.2.13-skbtop
[  812.003] RIP: 0010:finish_task_switch+0x9a/0x2e0'
# a lockup elsewhere is a failure of the run, not this stall
case_ int3_stall_other_lockup - \
'[  200.5] watchdog: BUG: soft lockup - CPU#0 stuck for 44s! [vhost_tx:12]
[  200.5] RIP: 0010:vhost_get_vq_desc+0x31/0x900'
# an int3 frame without a stall or oops (a kprobe in a warning's trace)
case_ int3_stall_int3_frame_only - \
'[   50.0] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 foo+0x1/0x2
[   50.0] RIP: 0010:asm_exc_int3+0x0/0x40'
case_ int3_stall_clean_boot - '[    0.0] Linux version 6.1.0'
[ $fails = 0 ] && echo "[  PASSED  ] 5 test(s)."
exit $((fails > 0))
