#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Regenerate the synthetic captures in this directory (deterministic).

good_before.json / good_after.json: 20 one-second intervals on 2 CPUs with
3% noise on every counter; after has defer kicks and IPIs at 60% and
SOCKET_RCVBUFF drops at 130% of before (the planted differences).
bad_*.json: one defect each; the reader must refuse every one.
"""
import copy, json, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
SYSCTLS = ["net.core.skb_defer_max", "net.core.netdev_budget",
           "net.core.netdev_budget_usecs", "net.core.dev_weight",
           "net.core.busy_poll", "net.core.busy_read"]


def capture(seed, kicks, drops, defer_max):
    rnd = random.Random(seed)
    noise = lambda m: max(0, int(round(rnd.gauss(m, 0.03 * m))))
    samples = []
    t0 = 1700000000 * 10**9
    tot_cpu = [dict(), dict()]
    tot_kick = {}
    tot_drop = {}
    for i in range(20):
        k = noise(kicks)
        c0 = {"cpu": 0, "drops": 0, "defer_kicks_recv": k, "tun_consumes": noise(500)}
        c1 = {"cpu": 1, "defer_kicks_sent": k, "defer_ipis_sent": k,
              "defer_flush_skbs": noise(9000)}
        d_rcv = noise(drops)
        d_nos = noise(200)
        c0["drops"] = d_rcv + d_nos
        rows = [
            {"reason": 41, "cpu": 0, "count": d_rcv, "location": "0xffffffff81a0b0c7",
             "ifindex": 1, "ifname": "lo"},
            {"reason": 3, "cpu": 0, "count": d_nos, "location": "0xffffffff81a0d000"},
        ]
        kick = [{"from": 1, "to": 0, "kicks": k, "ipis": k}]
        s = {"time_ns": t0 + (i + 1) * 10**9, "interval_ns": 10**9, "user_cpu_ns": 1000,
             "cpus": [c0, c1], "kicks": kick, "drops": rows, "queues": [], "progs": []}
        samples.append(s)
        for c, tc in ((c0, tot_cpu[0]), (c1, tot_cpu[1])):
            for f, v in c.items():
                if f != "cpu":
                    tc[f] = tc.get(f, 0) + v
        for r in rows:
            key = (r["reason"], r["location"])
            tot_drop.setdefault(key, dict(r, count=0))["count"] += r["count"]
        tot_kick["k"] = tot_kick.get("k", 0) + k
    totals = {"time_ns": samples[-1]["time_ns"], "interval_ns": 20 * 10**9,
              "user_cpu_ns": 20000,
              "cpus": [dict(tot_cpu[0], cpu=0), dict(tot_cpu[1], cpu=1)],
              "kicks": [{"from": 1, "to": 0, "kicks": tot_kick["k"], "ipis": tot_kick["k"]}],
              "drops": list(tot_drop.values()), "queues": [], "progs": []}
    return {
        "format": "skbtop-capture", "version": "1.0", "skbtop_version": "0.1.0",
        "start_time_ns": t0, "end_time_ns": t0 + 20 * 10**9, "interval_ns": 10**9,
        "command": {"argv": ["defer_kick", "--count", "20000"], "exit_status": 0, "signal": 0},
        "environment": {"kernel_release": "6.18.44", "kernel_version": "#1 SMP",
                        "kernel_cmdline": "quiet", "cpu_model": "Synthetic CPU",
                        "hostname": "test", "ncpus": 2,
                        "sysctls": {n: v for n, v in zip(SYSCTLS, [defer_max, "300", "8000",
                                                                   "64", "0", "0"])}},
        "probes": [{"probe": "drops", "group": "drops", "target": "skb:kfree_skb",
                    "mode": "tp_btf", "variant": "tp_btf"},
                   {"probe": "defer_kick", "group": "defer", "target": "csd:csd_queue_cpu",
                    "mode": "raw_tp", "variant": "raw_tp"},
                   {"probe": "cache_get", "group": "cache", "target": "napi_skb_cache_get",
                    "mode": "unavailable", "reason": "fentry refused: EPERM"}],
        "names": {"reasons": [{"id": 3, "name": "NO_SOCKET"},
                              {"id": 41, "name": "SOCKET_RCVBUFF"}],
                  "locations": [{"addr": "0xffffffff81a0b0c7",
                                 "name": "udp_queue_rcv_one_skb+0x437"},
                                {"addr": "0xffffffff81a0d000", "name": "__udp4_lib_rcv+0x0"}]},
        "totals": totals,
        "samples": samples,
    }


def dump(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def raw(name, text):
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)


before = capture(1, 1000, 3000, "64")
after = capture(2, 600, 3900, "0")
dump("good_before.json", before)
dump("good_after.json", after)
text = json.dumps(before, separators=(",", ":"))


def bad(name, edit):
    d = copy.deepcopy(before)
    edit(d)
    dump("bad_" + name + ".json", d)


raw("bad_not_json.json", "this is not JSON\n")
raw("bad_empty.json", "")
raw("bad_truncated.json", text[: len(text) // 2])
raw("bad_truncated_end.json", text[:-1])
raw("bad_deep.json", "[" * 100000)
raw("bad_deep_objects.json", '{"a":' * 5000 + "1" + "}" * 5000)
raw("bad_huge_int.json", text.replace('"start_time_ns":', '"start_time_ns":1' + "0" * 40 + "+", 1)
    .replace("+" + str(before["start_time_ns"]), "", 1))
raw("bad_top_array.json", "[" + text + "]")
raw("bad_dup_key.json", text.replace('"format":"skbtop-capture"',
                                     '"format":"skbtop-capture","format":"skbtop-capture"', 1))
bad("newer_major", lambda d: d.update(version="2.0"))
bad("version_type", lambda d: d.update(version=[1, 0]))
bad("format", lambda d: d.update(format="perf-data"))
bad("ncpus_absurd", lambda d: d["environment"].update(ncpus=1 << 40))
bad("ncpus_zero", lambda d: d["environment"].update(ncpus=0))
bad("negative_count", lambda d: d["samples"][3]["drops"][0].update(count=-1))
bad("real_count", lambda d: d["samples"][3]["cpus"][0].update(drops=1.5))
bad("string_count", lambda d: d["samples"][3]["cpus"][1].update(defer_kicks_sent="12"))
bad("cpu_index", lambda d: d["samples"][0]["cpus"][1].update(cpu=2))
bad("kick_index", lambda d: d["samples"][0]["kicks"][0].update(to=-1))
bad("samples_object", lambda d: d.update(samples={}))
bad("sample_null", lambda d: d["samples"].__setitem__(4, None))
bad("totals_mismatch", lambda d: d["totals"]["cpus"][0].update(drops=1))
bad("no_totals", lambda d: d.pop("totals"))
bad("location", lambda d: d["samples"][0]["drops"][0].update(location="ffff"))
bad("ifname_long", lambda d: d["samples"][0]["drops"][0].update(ifname="x" * 40))
bad("nul_string", lambda d: d["probes"][0].update(probe="dr\u0000ops"))
bad("hist_long", lambda d: d["samples"][0]["cpus"][0].update(bulk_hist=[1] * 17))
bad("exit_status", lambda d: d["command"].update(exit_status=1 << 33))
bad("environment_type", lambda d: d.update(environment="linux"))
bad("probes_missing", lambda d: d.pop("probes"))
bad("names_type", lambda d: d["names"].update(reasons={"41": "SOCKET_RCVBUFF"}))
bad("reason_id", lambda d: d["names"]["reasons"][0].update(id=1 << 32))
bad("too_many_cpu_rows", lambda d: d["samples"][0].update(cpus=[{"cpu": 0}] * 3))
