#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regenerate the sections of skbtop.8 kept as markdown (the fields, from
# the built binary's registry: `skbtop fields --format markdown`; the
# screen, from screen.md and the key table of cli/tui.c; capture
# format, export metrics, overhead numbers) between the BEGIN/END markers.
# Needs pandoc (Debian package pandoc) and a built skbtop ($SKBTOP, default
# ../skbtop); the generated man page is committed, and `make check-man`
# fails when it is not what this script makes.
# OUT=FILE writes the page there instead of over skbtop.8.
set -eu
cd "$(dirname "$0")"
SKBTOP=${SKBTOP:-../skbtop}
OUT=${OUT:-skbtop.8}
FIELDS=$(mktemp)
"$SKBTOP" fields --format markdown > "$FIELDS"
# the screen: man/screen.md, then its keys from key_help[] in cli/tui.c
SCREEN=$(mktemp)
trap 'rm -f "$FIELDS" "$SCREEN"' EXIT
{
	cat screen.md
	echo
	sed -n '/^} key_help\[\] = {/,/^};/s/^\t{ "\(.*\)", "\(.*\)" },$/- `\1`: \2./p' \
		../cli/tui.c
} > "$SCREEN"
section() {	# TITLE FILE
	[ -f "$2" ] || return 0
	echo ".SH $1"
	# the markdown's own top heading becomes the section; the rest subsections;
	# a table starts on a new page unless 8 lines are left (tbl cannot break
	# a text block across pages: "table text block will not fit on one page")
	pandoc -f gfm -t man "$2" | sed -e '/^\.TH/d' -e '1,/^\.SH /{/^\.SH /d}' \
		-e 's/^\.SH /.SS /' -e 's/^\.TS$/.ne 8v\n.TS/'
}
{
	sed -n '1,/^\.\\" BEGIN generated/p' skbtop.8
	section "FIELDS" "$FIELDS"
	section "SCREEN" "$SCREEN"
	section "CAPTURE FORMAT" capture-format.md
	section "EXPORT" export.md
	section "OVERHEAD" overhead.md
	sed -n '/^\.\\" END generated/,$p' skbtop.8
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
