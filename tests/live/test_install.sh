#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installing skbtop (issue 18). `make install DESTDIR=` installs exactly the
# binary, man page, completion and unit where PREFIX, BINDIR and MANDIR say,
# and `make uninstall` removes them. The .deb that dpkg-buildpackage builds
# from a copy of the tree is lintian-clean; installed (apt-get), its
# /usr/bin/skbtop reports the same probes as the checkout's binary, `man
# skbtop` renders every section, the bash completion offers `probes` for
# `skbtop pro`, the subcommands and long options of --help, every probe
# of `skbtop probes` for -P and captures for diff, the unit
# verifies and its user, capabilities and syscall filter let export serve
# (setpriv and strace stand in for systemd, which does not run here), and
# its drop count equals Udp RcvbufErrors. Purging leaves nothing; the
# package is purged on every exit.
. "$(dirname "$0")/lib.sh"
need_root
mount_tracefs

st=$(dpkg-query -W -f='${db:Status-Status}' skbtop 2> /dev/null)
if [ -n "$st" ] && [ "$st" != not-installed ]; then
	not_ok "a skbtop package is on this machine ($st): purge it first (dpkg --purge skbtop)"
	exit 1
fi

# ---- make install / uninstall
D=$TMP/dest
make -s -C "$ROOT" install DESTDIR="$D" > "$TMP/install.log" 2>&1
check_eq "make install DESTDIR= exits 0" 0 $?
check_eq "make install: files under PREFIX=/usr/local" \
	"./usr/local/bin/skbtop ./usr/local/lib/systemd/system/skbtop-export.service ./usr/local/share/bash-completion/completions/skbtop ./usr/local/share/man/man8/skbtop.8" \
	"$(cd "$D" && find . ! -type d | sort | xargs)"
check_eq "make install: the unit runs BINDIR's skbtop" \
	"ExecStart=/usr/local/bin/skbtop export --listen 127.0.0.1:9800" \
	"$(grep '^ExecStart=' "$D/usr/local/lib/systemd/system/skbtop-export.service")"
make -s -C "$ROOT" uninstall DESTDIR="$D" > "$TMP/install.log" 2>&1
check_eq "make uninstall removes every file" "0 0" "$? $(find "$D" ! -type d | wc -l)"
make -s -C "$ROOT" install DESTDIR="$D" PREFIX=/opt/s BINDIR=/opt/sbin MANDIR=/opt/man \
	> "$TMP/install.log" 2>&1
check_eq "make install PREFIX= BINDIR= MANDIR=: files" \
	"./opt/man/man8/skbtop.8 ./opt/s/lib/systemd/system/skbtop-export.service ./opt/s/share/bash-completion/completions/skbtop ./opt/sbin/skbtop" \
	"$(cd "$D" && find . ! -type d | sort | xargs)"
check_eq "make install BINDIR=: the unit runs BINDIR's skbtop" \
	"ExecStart=/opt/sbin/skbtop export --listen 127.0.0.1:9800" \
	"$(grep '^ExecStart=' "$D/opt/s/lib/systemd/system/skbtop-export.service")"

# ---- the .deb, built from a copy of the tree (tracked and untracked files,
# nothing git ignores: no build products), out of the way of the checkout
mkdir -p "$TMP/deb/skbtop"
(cd "$ROOT" && git ls-files -z -co --exclude-standard | xargs -0 cp --parents -t "$TMP/deb/skbtop")
start=$(date +%s)
(cd "$TMP/deb/skbtop" && dpkg-buildpackage -us -uc -b) > "$TMP/deb/build.log" 2>&1
rc=$?
echo "# dpkg-buildpackage: $(($(date +%s) - start)) s"
check_eq "dpkg-buildpackage -us -uc -b exits 0" 0 $rc
[ $rc = 0 ] || { tail -20 "$TMP/deb/build.log"; exit 1; }
deb=$(echo "$TMP"/deb/skbtop_*_amd64.deb)
# the newest LIBBPF_x.y.z symbol version the packaged binary imports
newest=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/skbtop > "$TMP/deb/skbtop.bin" &&
	objdump -T "$TMP/deb/skbtop.bin" | grep -o 'LIBBPF_[0-9.]*' | sort -uV | tail -n1)
check_eq "Depends: libbpf1 as dpkg-shlibdeps computes it (newest symbol $newest)" \
	"libbpf1 (>= 1:${newest#LIBBPF_})" "$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -n 's/^ *\(libbpf.*\)/\1/p')"
start=$(date +%s)
lintian "$TMP"/deb/skbtop_*_amd64.changes > "$TMP/deb/lintian.log" 2>&1
rc=$?
echo "# lintian: $(($(date +%s) - start)) s"
sed 's/^/# /' "$TMP/deb/lintian.log"
check_eq "lintian exits 0, no errors, no warnings" "0 0 0" \
	"$rc $(grep -c '^E: ' "$TMP/deb/lintian.log") $(grep -c '^W: ' "$TMP/deb/lintian.log")"

# ---- installed (apt-get: it waits for a dpkg lock another apt run holds)
APT="apt-get -y -q -o DPkg::Lock::Timeout=300"
on_exit "$APT purge skbtop > /dev/null 2>&1"
$APT install "$deb" > "$TMP/deb/apt.log" 2>&1
check_eq "apt-get install ./skbtop_*.deb exits 0" 0 $?
check_eq "package installed" "install ok installed" "$(dpkg-query -W -f='${Status}' skbtop)"
FILES="/lib/systemd/system/skbtop-export.service /usr/bin/skbtop
/usr/share/bash-completion/completions/skbtop /usr/share/doc/skbtop/changelog.gz
/usr/share/doc/skbtop/copyright /usr/share/man/man8/skbtop.8.gz"
check_eq "package files" "$(echo $FILES)" \
	"$(dpkg -L skbtop | while read -r f; do [ -d "$f" ] || echo "$f"; done | sort | xargs)"

"$ROOT/skbtop" probes -j | jq -c '.[]' > "$TMP/probes.checkout"
/usr/bin/skbtop probes -j > "$TMP/probes.json"
check_eq "/usr/bin/skbtop probes -j exits 0" 0 $?
jq -c '.[]' "$TMP/probes.json" > "$TMP/probes.installed"
check_eq "installed probes: $(wc -l < "$TMP/probes.installed") rows, modes and reasons == the checkout's" \
	"" "$(diff "$TMP/probes.checkout" "$TMP/probes.installed")"
check_eq "installed drops probe on tp_btf" tp_btf \
	"$(jq -r '.[] | select(.probe == "drops") | .mode' "$TMP/probes.json")"

check_eq "man -w skbtop: the package's page" /usr/share/man/man8/skbtop.8.gz "$(man -w skbtop)"
MANWIDTH=120 man skbtop 2> "$TMP/man.err" | col -b > "$TMP/man.txt"
check_eq "man skbtop: NAME line" \
	"skbtop - show the kernel's skb allocation behaviour per CPU and per tun/tap queue" \
	"$(sed -n '/^NAME$/{n;s/^ *//;p;q}' "$TMP/man.txt")"
check_eq "man skbtop renders every .SH section, in order" \
	"$(sed -n 's/^\.SH //p' "$ROOT/man/skbtop.8" | tr -d '"' | xargs)" \
	"$(grep -E '^[A-Z][A-Z ]+$' "$TMP/man.txt" | xargs)"

# complete WORDS...: what the installed completion offers for the last word
complete_words() {
	bash -c '. /usr/share/bash-completion/completions/skbtop
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _skbtop 2> /dev/null
		echo "${COMPREPLY[*]}"' complete "$@"
}
check_eq "completion: skbtop pro<TAB>" probes "$(complete_words skbtop pro)"
check_eq "completion: skbtop <TAB> offers the subcommands of skbtop --help" \
	"$(/usr/bin/skbtop --help | sed -n '1,/^$/s/^\(USAGE:\)\{0,1\} *skbtop \([a-z]\{1,\}\).*/\2/p' | xargs)" \
	"$(complete_words skbtop '')"
check_eq "completion: skbtop --<TAB> offers the long options of skbtop --help" \
	"$(/usr/bin/skbtop --help | grep -o -- '--[a-z][a-z-]*' | sort -u | xargs)" \
	"$(complete_words skbtop -- | tr ' ' '\n' | sort | xargs)"
check_eq "completion: skbtop -P <TAB> offers every probe of skbtop probes" \
	"$(jq -r '.[].probe' "$TMP/probes.json" | xargs)" "$(complete_words skbtop -P '')"
check_eq "completion: skbtop -P drops,tun_s<TAB>" drops,tun_sendmsg \
	"$(complete_words skbtop -P drops,tun_s)"
check_eq "completion: skbtop -P -drops,-softirq_w<TAB>" -drops,-softirq_where \
	"$(complete_words skbtop -P -drops,-softirq_w)"
mkdir -p "$TMP/caps/dir" && touch "$TMP/caps/a.json" "$TMP/caps/b.txt"
check_eq "completion: skbtop diff a.json <TAB> offers captures and directories" "a.json dir" \
	"$(cd "$TMP/caps" && complete_words skbtop diff a.json '')"

# The unit: systemd-analyze checks it (and its man: link) offline. Its
# DynamicUser becomes user nobody, its AmbientCapabilities and
# CapabilityBoundingSet setpriv's, and every syscall ExecStart's command
# makes under strace (from its execve on) while serving one scrape must be
# in its SystemCallFilter.
U=/lib/systemd/system/skbtop-export.service
systemd-analyze verify "$U" > "$TMP/verify.log" 2>&1
check_eq "systemd-analyze verify the unit" "0 " "$? $(cat "$TMP/verify.log")"
exec_start=$(sed -n 's/^ExecStart=//p' "$U")
check_eq "the unit runs the package's skbtop" \
	"/usr/bin/skbtop export --listen 127.0.0.1:9800" "$exec_start"
check_eq "the unit runs it as a dynamic user" yes "$(sed -n 's/^DynamicUser=//p' "$U")"
# caps KEY: the unit's KEY=CAP_A CAP_B as setpriv's -all,+a,+b
caps() { echo "-all$(sed -n "s/^$1=//p" "$U" | tr 'A-Z' 'a-z' | sed 's/cap_/,+/g; s/ //g')"; }
# port 0: 9800 may be taken on a test machine
: > "$TMP/export.err"
strace -f -qq -o "$TMP/strace.log" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps="$(caps AmbientCapabilities)" --ambient-caps="$(caps AmbientCapabilities)" \
	--bounding-set="$(caps CapabilityBoundingSet)" \
	$(echo "$exec_start" | sed 's/:9800$/:0/') -d 3 > /dev/null 2> "$TMP/export.err" &
pid=$!
on_exit "kill $pid 2> /dev/null"
i=0
while ! grep -q 'serving http' "$TMP/export.err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(sed -n 's/^skbtop: serving //p' "$TMP/export.err")
check_eq "export as the unit's user and capabilities: skbtop_build_info" \
	"skbtop_build_info{version=\"$(/usr/bin/skbtop -V | cut -d' ' -f2)\"} 1" \
	"$(curl -s "$url" | grep '^skbtop_build_info')"
wait $pid
check_eq "export as the unit's user and capabilities exits 0" 0 $?
# the filter's groups, expanded: systemd-analyze syscall-filter @GROUP
expand() {
	systemd-analyze syscall-filter "$1" < /dev/null | sed -n 's/^ \{1,\}\([-@a-z0-9_]\{1,\}\)$/\1/p' |
		while read -r s; do case $s in @*) expand "$s" ;; *) echo "$s" ;; esac; done
}
for s in $(sed -n 's/^SystemCallFilter=//p' "$U"); do
	case $s in @*) expand "$s" ;; *) echo "$s" ;; esac
done | sort -u > "$TMP/allowed"
sed -n '/execve("\/usr\/bin\/skbtop"/,$s/^[0-9]\{1,\} \{1,\}\([a-z0-9_]\{1,\}\)(.*/\1/p' "$TMP/strace.log" |
	sort -u > "$TMP/used"
check_eq "export's syscalls are all in SystemCallFilter ($(wc -l < "$TMP/used") used)" "" \
	"$(comm -23 "$TMP/used" "$TMP/allowed" | xargs)"

# a live drop count from the installed binary
SKBTOP=/usr/bin/skbtop SKB_PROBES=drops
skbtop_start
"$GEN/udp_rcvbuf" --count 20000 > "$TMP/gen.json"
check_eq "udp_rcvbuf generator exits 0" 0 $?
skbtop_stop
check_eq "/usr/bin/skbtop exits 0 on SIGINT" 0 "$SKB_RC"
check_eq "/usr/bin/skbtop: SOCKET_RCVBUFF == Udp RcvbufErrors delta" "$(jq .rcvbuf_errors "$TMP/gen.json")" \
	"$(skb_sum '.drops[] | select(.reason == "SOCKET_RCVBUFF") | .count')"

# ---- purged
$APT purge skbtop > "$TMP/deb/apt.log" 2>&1
check_eq "apt-get purge exits 0" 0 $?
check_eq "purge: package unknown to dpkg" 1 "$(dpkg-query -W skbtop > /dev/null 2>&1; echo $?)"
left=$(for f in $FILES; do [ ! -e "$f" ] || echo "$f"; done
	find /etc/systemd /var/lib/systemd -name '*skbtop*' 2> /dev/null)
check_eq "purge: no file left" "" "$(echo $left)"
finish
