#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ids_poll.py PID FILE: until PID exits, collect the BPF object ids its fds
refer to (prog_id/link_id/map_id/btf_id lines of /proc/PID/fdinfo/*) and
write them to FILE as sorted "kind id" lines. Polls every 2 ms without
spawning processes, so short runs (`--text 0.05 2`) are not missed."""
import os
import sys
import time

pid, out = sys.argv[1], sys.argv[2]
seen = set()
d = f"/proc/{pid}/fdinfo"
while os.path.isdir(f"/proc/{pid}"):
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        fds = os.listdir(d)
    except OSError:
        break
    for fd in fds:
        try:
            with open(f"{d}/{fd}") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("prog_id", "link_id", "map_id", "btf_id"):
                        seen.add((k[:-3], int(v)))
        except OSError:
            pass
    time.sleep(0.002)
with open(out, "a") as f:
    for k, v in sorted(seen):
        f.write(f"{k} {v}\n")
