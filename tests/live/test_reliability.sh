#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
exec sh "$(dirname "$0")/../reliability/test_cycles.sh" "$@"
