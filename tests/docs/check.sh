#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Docs tier (no root): the man page, the help and the field registry agree,
# and report and diff text fit a mail (72 columns) on the test captures.
# - man/skbtop.8 is exactly what man/gen-sections.sh makes from man/*.md and
#   the built binary's registry (`skbtop fields --format markdown`): a field
#   added without its documentation, or a markdown edit not regenerated, fails;
# - every field name, and every subcommand of the help, is in the man page;
# - every column title of the text table and the screen is in the legend;
# - docs/review-series reconciles and its README is regenerated from it.
set -u
cd "$(dirname "$0")/../.." || exit 1
SKBTOP=${SKBTOP:-./skbtop}
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: expected $2, got $3"; fi; }
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT

if command -v pandoc > /dev/null; then
	cp man/skbtop.8 "$TMP/skbtop.8"
	if SKBTOP=$(realpath "$SKBTOP") OUT="$TMP/skbtop.8" sh man/gen-sections.sh &&
		cmp -s man/skbtop.8 "$TMP/skbtop.8"; then
		ok "man/skbtop.8 is what man/gen-sections.sh makes"
	else
		diff man/skbtop.8 "$TMP/skbtop.8" | head -20 | sed 's/^/# /'
		not_ok "man/skbtop.8 is stale: run make man and commit it"
	fi
else
	not_ok "pandoc not installed (make deps installs it)"
fi

# every field, cap and subcommand documented
missing=""
for n in $("$SKBTOP" fields -j | jq -r '.[].name') bh_check flush_count defer_split cache_hits; do
	grep -q "$n" man/skbtop.8 || missing="$missing $n"
done
check "every field name and cap is in the man page" "" "$missing"
missing=""
for c in $("$SKBTOP" --help | sed -n 's/^ *\(USAGE: \)\{0,1\}skbtop \([a-z]\{1,\}\).*/\2/p'); do
	# in SYNOPSIS and as an entry of COMMANDS
	grep -q "^\\.B skbtop $c\$" man/skbtop.8 &&
		sed -n '/^\.SH COMMANDS/,/^\.SH OPTIONS/p' man/skbtop.8 | grep -q "^\\.B $c\$" ||
		missing="$missing $c"
done
check "every subcommand of the help is in the man page" "" "$missing"
# the titles come from the registry: each is explained by the legend
legend=$("$SKBTOP" fields)
missing=""
for t in $("$SKBTOP" fields -j | jq -r '.[] | select(.title) | .title'); do
	printf '%s\n' "$legend" | grep -q "^  $t " || missing="$missing $t"
done
check "every column title is in the legend (skbtop fields)" "" "$missing"

# every key bound in key_table[] is named in key_help[] (the help and SCREEN)
helpkeys=$(sed -n '/^} key_help\[\] = {/,/^};/s/^\t{ "\(.*\)", ".*" },$/ \1 /p' cli/tui.c |
	sed 's/[,()]/ /g; s|\([A-Za-z]\)/\([A-Za-z]\)|\1 \2|g' | tr '\n' ' ')
missing=""
for k in $(sed -n '/^static const struct key_binding key_table\[\]/,/^};/p' cli/tui.c |
	grep -o "{ [^,]*," | sed 's/^{ //; s/,$//' | tr -d "'" | sed 's/^ $/SPACE/'); do
	case $k in
	KEY_UP) w=Up ;; KEY_DOWN) w=Down ;; KEY_PPAGE) w=PgUp ;; KEY_NPAGE) w=PgDn ;;
	KEY_HOME) w=Home ;; KEY_END) w=End ;; KEY_BTAB) w=Shift-Tab ;; 27) w=Esc ;;
	'\t') w=Tab ;; [1-5]) w=1-5 ;; KEY_ENTER|'\n'|'\r'|\\n|\\r) w=Enter ;; *) w=$k ;;
	esac
	case " $helpkeys " in *" $w "*) ;; *) missing="$missing $w" ;; esac
done
check "every key of the key table is in the help and SCREEN" "" "$missing"
sed -n '/^\.SH SCREEN/,/^\.SH /p' man/skbtop.8 | grep -q "Shift-Tab" ||
	not_ok "man/skbtop.8 has a SCREEN section with the keys"

# report and diff text within 72 columns on the readable test captures
wide=0 n=0
for f in tests/data/captures/*.json; do
	case $f in */bad_*) continue ;; esac
	"$SKBTOP" report "$f" > "$TMP/r.txt" 2> /dev/null || continue
	"$SKBTOP" diff "$f" "$f" > "$TMP/d.txt" 2> /dev/null || continue
	n=$((n + 1))
	w=$(cat "$TMP/r.txt" "$TMP/d.txt" | awk 'length > 72' | wc -l)
	[ "$w" = 0 ] || { wide=$((wide + w)); awk 'length > 72 { print "# " FILENAME ": " $0 }' \
		"$TMP/r.txt" "$TMP/d.txt" | head -5; }
done
check "report and diff lines over 72 columns ($n captures)" 0 "$wide"
[ "$n" -gt 0 ] || not_ok "no readable capture in tests/data/captures"

# the committed series review: its evidence still reconciles, and its README
# is what series_check.py writes from it (a changed check or README text
# not regenerated fails here, not in a reviewer's hands)
if python3 tests/review/series_check.py docs/review-series > "$TMP/sc.txt"; then
	ok "docs/review-series: $(tail -n1 "$TMP/sc.txt")"
else
	grep '^FAIL' "$TMP/sc.txt" | head -5 | sed 's/^/# /'
	not_ok "docs/review-series: $(tail -n1 "$TMP/sc.txt")"
fi
if python3 tests/review/series_check.py --readme docs/review-series > "$TMP/sc.md" &&
	cmp -s "$TMP/sc.md" docs/review-series/README.md; then
	ok "docs/review-series/README.md is what series_check.py --readme makes"
else
	diff docs/review-series/README.md "$TMP/sc.md" | head -10 | sed 's/^/# /'
	not_ok "docs/review-series/README.md is stale: regenerate it (series_check.py --readme)"
fi

# the page renders at 80 columns without a troff or tbl warning
if command -v man > /dev/null; then
	w=$(MANWIDTH=80 man --warnings -l man/skbtop.8 2>&1 > /dev/null)
	printf '%s\n' "$w" | grep . | head -5 | sed 's/^/# /'
	check "man warnings at 80 columns" 0 "$(printf '%s\n' "$w" | grep -c .)"
else
	not_ok "man-db is not installed (apt-get install man-db)"
fi

echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
