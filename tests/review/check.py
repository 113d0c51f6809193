#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check.py: exact assertions on the review captures.

  tests/review/check.py DIR N Q [--short]

Reads DIR/{stock,patched}.json (skbtop captures) and DIR/{stock,patched}-gen.json
(the vhost_tx line: frames per queue, the tap's rx_packets/rx_dropped delta,
datagrams delivered). Prints one line per check; exits 1 if any fails.
With --short, DIR/short.json and DIR/short-gen.json (patched module, bulk
allocation made to fail) are checked too: shortfall == tap rx_dropped.
"""
import json
import sys

fails = 0


def check(what, got, want):
    global fails
    ok = got == want
    fails += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {got}" + ("" if ok else f" (want {want})"))


def load(d, name):
    with open(f"{d}/{name}.json") as f:
        cap = json.load(f)
    with open(f"{d}/{name}-gen.json") as f:
        gen = json.loads(f.read().strip().splitlines()[-1])
    t = cap["totals"]
    cpu = {}
    for c in t.get("cpus", []):
        for k, v in c.items():
            if isinstance(v, int) and k != "cpu":
                cpu[k] = cpu.get(k, 0) + v
    queues = {q["queue"]: q for q in t.get("queues", [])
              if q["ifname"] == gen["ifname"] and q["dir"] == "rx"}
    return cap, gen, cpu, queues


def misses(cap):
    """Runs the kernel skipped per program (capture format 1.1): counts are low by them."""
    out = {}
    for smp in cap.get("samples", []):
        for p in smp.get("progs", []):
            if p.get("misses"):
                out[p["name"]] = out.get(p["name"], 0) + p["misses"]
    return out


def gen_checks(name, gen, n, q, cap):
    # exactness needs every program run: a skipped tun_sendmsg entry loses a batch
    check(f"{name}: BPF runs skipped (recursion misses)", misses(cap), {})
    for gq in gen["queues"]:
        check(f"{name}: generator queue {gq['queue']} frames completed", gq["completed"], n)
    check(f"{name}: tap rx_packets (delta)", gen["rx_packets"], n * q)
    check(f"{name}: datagrams delivered to the UDP socket", gen["delivered"], gen["rx_packets"])


def main():
    d, n, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    short = "--short" in sys.argv[4:]

    cap, gen, cpu, qs = load(d, "stock")
    print(f"== stock ({cap['environment']['kernel_release']}, {len(cap.get('samples', []))} intervals)")
    gen_checks("stock", gen, n, q, cap)
    check("stock: tap rx_dropped (delta)", gen["rx_dropped"], 0)
    check("stock: tun queues seen", sorted(qs), list(range(q)))
    for i in range(q):
        r = qs.get(i, {})
        check(f"stock: queue {i} bulk calls", r.get("bulk_calls", 0), 0)
        check(f"stock: queue {i} sendmsg_frames", r.get("sendmsg_frames", 0), n)
        check(f"stock: queue {i} sendmsg calls that were TUN_MSG_PTR batches",
              r.get("sendmsg_batches", 0), r.get("sendmsg_calls", 0))
        check(f"stock: queue {i} builds", r.get("builds", 0), n)
        check(f"stock: queue {i} drops", r.get("drops", 0), 0)
    check("stock: builds over tun queues == tap rx_packets",
          sum(r.get("builds", 0) for r in qs.values()), gen["rx_packets"])
    check("stock: builds, all CPUs == tap rx_packets", cpu.get("builds", 0), gen["rx_packets"])
    check("stock: bulk calls, all CPUs (nothing else calls it)", cpu.get("bulk_calls", 0), 0)

    cap, gen, cpu, qs = load(d, "patched")
    print(f"== patched ({cap['environment']['kernel_release']}, {len(cap.get('samples', []))} intervals)")
    gen_checks("patched", gen, n, q, cap)
    check("patched: tap rx_dropped (delta)", gen["rx_dropped"], 0)
    check("patched: tun queues seen", sorted(qs), list(range(q)))
    for i in range(q):
        r = qs.get(i, {})
        check(f"patched: queue {i} bulk calls == TUN_MSG_PTR batches",
              r.get("bulk_calls", 0), r.get("sendmsg_batches", 0))
        check(f"patched: queue {i} bulk calls > 0", r.get("bulk_calls", 0) > 0, True)
        check(f"patched: queue {i} heads asked", r.get("bulk_asked", 0), n)
        check(f"patched: queue {i} heads got == asked", r.get("bulk_got", 0), r.get("bulk_asked", 0))
        check(f"patched: queue {i} short calls", r.get("bulk_short_calls", 0), 0)
        check(f"patched: queue {i} sendmsg_frames", r.get("sendmsg_frames", 0), n)
        check(f"patched: queue {i} builds", r.get("builds", 0), n)
        check(f"patched: queue {i} drops", r.get("drops", 0), 0)
    check("patched: heads got over tun queues == tap rx_packets",
          sum(r.get("bulk_got", 0) for r in qs.values()), gen["rx_packets"])
    check("patched: builds, all CPUs == tap rx_packets", cpu.get("builds", 0), gen["rx_packets"])
    check("patched: shortfall (asked - got), all CPUs",
          cpu.get("bulk_asked", 0) - cpu.get("bulk_got", 0), 0)
    check("patched: bulk calls outside BH, all CPUs", cpu.get("bulk_nonbh_calls", 0), 0)
    check("patched: bulk calls, all CPUs == attributed to tun queues",
          cpu.get("bulk_calls", 0), sum(r.get("bulk_calls", 0) for r in qs.values()))

    if short:
        cap, gen, cpu, qs = load(d, "short")
        print(f"== short (patched, bulk allocation failing; {len(cap.get('samples', []))} intervals)")
        short_q = sum(r.get("bulk_asked", 0) - r.get("bulk_got", 0) for r in qs.values())
        check("short: shortfall > 0", short_q > 0, True)
        check("short: shortfall over tun queues == tap rx_dropped", short_q, gen["rx_dropped"])
        check("short: tap rx_packets + rx_dropped == frames",
              gen["rx_packets"] + gen["rx_dropped"], n * q)
        check("short: heads got over tun queues == tap rx_packets",
              sum(r.get("bulk_got", 0) for r in qs.values()), gen["rx_packets"])
        check("short: bulk calls outside BH", cpu.get("bulk_nonbh_calls", 0), 0)

    print(f"{'FAILED' if fails else 'PASSED'}: {fails} failed check(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
