#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every reliability test but the soak (tests/reliability/soak.sh), alone;
# one summary line. make test-live runs them through
# tests/live/test_reliability.sh.
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/../live/run.sh" "$here" reliability
