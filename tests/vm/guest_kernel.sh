#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest booted on the kernel tests/vm/build-kernel built: it is
# that kernel, and it has what tests/vm/kernel.config promises. Every
# option the fragment sets holds in the running kernel's own config
# (/proc/config.gz, IKCONFIG), and the facilities behind them work here:
# BTF for vmlinux and for the tun module, fentry on a tun function, the
# failslab and fail_function knobs in debugfs, failslab on the skbuff head
# cache, and the modules the rig loads are modules, not built in.
# $1: the release build-kernel recorded (its out/<key>/release).
. "$(dirname "$0")/../live/lib.sh"
need_root
want=${1:?release}
check_eq "running the built kernel" "$want" "$(uname -r)"

zcat /proc/config.gz > "$TMP/config"
# the fragment's settings, one by one: "CONFIG_X=v" lines as they are,
# "# CONFIG_X is not set" as absent from the running config
grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$ROOT/tests/vm/kernel.config" |
while IFS= read -r line; do
	case $line in
	"# CONFIG_"*)
		sym=${line#\# }; sym=${sym%% *}
		if grep -q "^$sym=" "$TMP/config"; then
			echo "not ok - $sym unset: $(grep "^$sym=" "$TMP/config")"
		else
			echo "ok - $sym unset"
		fi ;;
	*)
		if grep -qxF "$line" "$TMP/config"; then
			echo "ok - $line"
		else
			echo "not ok - $line: $(grep "^${line%%=*}=" "$TMP/config" || echo absent)"
		fi ;;
	esac
done > "$TMP/cfg.tap"
cat "$TMP/cfg.tap"
# shellcheck disable=SC2034 # FAILED is lib.sh's
grep -q '^not ok' "$TMP/cfg.tap" && FAILED=1

for m in tun tap vhost vhost_net veth; do
	check_true "$m is a loaded module" test -d "/sys/module/$m/sections"
done
check_true "vmlinux BTF" test -s /sys/kernel/btf/vmlinux
check_true "tun module BTF" test -s /sys/kernel/btf/tun
check_true "bpftool reads tun_sendmsg from the tun module's BTF" \
	sh -c 'bpftool btf dump file /sys/kernel/btf/tun | grep -q "FUNC .tun_sendmsg."'

# fentry on a module function (module BTF): tap_write opens /dev/net/tun once
bpftrace -e 'kfunc:tun_chr_open /comm == "tap_write"/ { @opens = count(); }' \
	-c "$GEN/tap_write --count 1" > "$TMP/bt.raw" 2>&1
check_eq "bpftrace kfunc:tun_chr_open counts tap_write's one open" 1 "$(bt_map "$TMP/bt.raw" opens)"

# fault injection
D=/sys/kernel/debug
for f in failslab/probability failslab/times failslab/ignore-gfp-wait fail_function/inject; do
	check_true "debugfs $f" test -e "$D/$f"
done
F=/sys/kernel/slab/skbuff_head_cache/failslab
echo 1 > $F
check_eq "failslab armed on skbuff_head_cache (its own cache, not merged)" 1 "$(cat $F)"
echo 0 > $F
check_eq "... and disarmed" 0 "$(cat $F)"
check_true "should_failslab is in the error injection list (bpf_override_return, fail_function)" \
	grep -q '^should_failslab[[:space:]]' "$D/error_injection/list"
finish
