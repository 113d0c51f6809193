#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regenerate the sections of skbtop.8 kept as markdown (capture format,
# export metrics, overhead numbers) between the BEGIN/END markers. Needs
# pandoc (Debian package pandoc); the generated man page is committed.
set -eu
cd "$(dirname "$0")"
section() {	# TITLE FILE
	[ -f "$2" ] || return 0
	echo ".SH $1"
	# the markdown's own top heading becomes the section; the rest subsections
	pandoc -f gfm -t man "$2" | sed -e '/^\.TH/d' -e '1,/^\.SH /{/^\.SH /d}' \
		-e 's/^\.SH /.SS /'
}
{
	sed -n '1,/^\.\\" BEGIN generated/p' skbtop.8
	section "CAPTURE FORMAT" capture-format.md
	section "EXPORT" export.md
	section "OVERHEAD" overhead.md
	sed -n '/^\.\\" END generated/,$p' skbtop.8
} > skbtop.8.tmp
mv skbtop.8.tmp skbtop.8
