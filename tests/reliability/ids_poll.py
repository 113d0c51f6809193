#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ids_poll.py PID FILE: until PID exits, collect the BPF object ids its fds
refer to (prog_id/link_id/map_id/btf_id lines of /proc/PID/fdinfo/*) and
write them to FILE as sorted "kind id" lines. Polls every 2 ms without
spawning processes, so short runs (`--text 0.05 2`) are not missed. Once a
scan has seen a link, it creates FILE.seen: wait_ids waits for that, so a
test never stops skbtop before the poller (a python start-up, slow on a
loaded machine) has looked. After its first scan it creates FILE.ready:
run_cycle starts skbtop through a wrapper that waits for it, so a run that
ends on its own (`--text 0.05 2`) cannot end before the poller looks."""
import os
import sys
import time

pid, out = sys.argv[1], sys.argv[2]
seen = set()
marked = False
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
    if not marked and any(k == "link" for k, _ in seen):
        open(out + ".seen", "w").close()
        marked = True
    if not os.path.exists(out + ".ready"):
        open(out + ".ready", "w").close()
    time.sleep(0.002)
with open(out, "a") as f:
    for k, v in sorted(seen):
        f.write(f"{k} {v}\n")
