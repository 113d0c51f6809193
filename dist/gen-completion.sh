#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the bash completion (dist/skbtop.bash.in) with its word lists taken
# from the source, so they cannot drift: subcommands from commands[] in
# cli/main.c, long options from long_opts[] in cli/options.c, probe names
# from probe_specs[] in cli/chain.c.
set -eu
cd "$(dirname "$0")/.."
words() { tr '\n' ' ' | sed 's/ $//'; }
commands=$(sed -n 's/^\t{ "\([a-z]*\)", cmd_[a-z]*, .*/\1/p' cli/main.c | words)
options=$(sed -n 's/^\t{ "\([a-z-]*\)", [a-z]*_argument, .*/--\1/p' cli/options.c | words)
probes=$(sed -n '/^const struct probe_spec probe_specs\[\]/,/^};/s/^\t{ "\([a-z_]*\)", .*/\1/p' \
	cli/chain.c | words)
for v in "$commands" "$options" "$probes"; do
	[ -n "$v" ] || { echo "gen-completion.sh: a word list came out empty" >&2; exit 1; }
done
sed -e "s/@COMMANDS@/$commands/" -e "s/@OPTIONS@/$options/" -e "s/@PROBES@/$probes/" \
	dist/skbtop.bash.in
