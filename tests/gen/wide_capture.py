#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""wide_capture.py BASE OUT N [long]: a capture of N intervals in BASE's shape
where interval i has one drop of a reason of its own (id i + 1): as many drop
metrics as intervals, the worst case for diff (issue 20: it took 207 s at
N = 16384 when each metric scanned every sample). With "long", every
interval drops the same reason: a long capture with few rows, where the
readers' memory must not follow the length. Used by tests/live/test_safety.sh
and bench/run.sh."""
import json
import sys

doc = json.load(open(sys.argv[1]))
n = int(sys.argv[3])
long_shape = len(sys.argv) > 4 and sys.argv[4] == "long"
s0 = dict(doc["samples"][0])
s0.update(cpus=[], kicks=[], drops=[], queues=[], progs=[])
s0.pop("drop_details", None)
step = s0["interval_ns"] = doc["interval_ns"]
rid = (lambda i: 1) if long_shape else (lambda i: i + 1)
doc["samples"] = [dict(s0, time_ns=s0["time_ns"] + i * step,
                       drops=[{"reason": rid(i), "cpu": 0, "count": 1}]) for i in range(n)]
if long_shape:
    doc["names"]["reasons"] = [{"id": 1, "name": "R1"}]
    doc["totals"] = dict(s0, drops=[{"reason": 1, "cpu": 0, "count": n}])
else:
    doc["names"]["reasons"] = [{"id": i + 1, "name": "R%d" % (i + 1)} for i in range(n)]
    doc["totals"] = dict(s0, drops=[{"reason": i + 1, "cpu": 0, "count": 1} for i in range(n)])
json.dump(doc, open(sys.argv[2], "w"), separators=(",", ":"))
