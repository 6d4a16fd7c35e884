#!/usr/bin/env python3
"""Checks and tabulates one point of bench/merge.sh (run with the venv's python: reads the
merged interval logs with hdrh).

    python merge_check.py SHARDS MINUTES ROWS STRESS_OUT PEER_OUT SHARD_DIR...

ROWS: lines `tool wall_s cpu_s rss_kib exit` (from /usr/bin/time) for this point. Prints one
table row per tool, then the checks; exits 1 when one fails:

- the merged request count equals the sum of the shards' (summary.json `totals.requests`),
  and equals the count of every interval of every shard's logs (the peer's union);
- the merged p99 of latency (`p99(latency)` SLO of summary.json, 3 significant digits) equals
  the p99 over the union computed by the peer (bucket middle at rank ceil(0.99 N), rounded
  the same way), and hdrh's own `get_value_at_percentile(99)` falls in the same bucket;
- time chart: every second of the merged series (metrics.json) has the peer's count and
  p50/p90/p99 over all shards and steps of that second, exactly;
- the merged interval logs `stress merge --out` wrote hold, per step, the peer's counts.
"""

import json
import math
import os
import sys

from hdrh.log import HistogramLogReader


def round_sig(v, digits=3):
    if v == 0:
        return 0
    magnitude = 10 ** (math.floor(math.log10(abs(v))) - digits + 1)
    return round(v / magnitude) * magnitude


def main():
    shards, minutes, rows_path, stress_out, peer_out = sys.argv[1:6]
    dirs = sys.argv[6:]
    rows = [line.split() for line in open(rows_path, encoding="utf-8") if line.strip()]
    peer = json.load(open(os.path.join(peer_out, "peer.json"), encoding="utf-8"))
    summary = json.load(open(os.path.join(stress_out, "summary.json"), encoding="utf-8"))
    metrics = json.load(open(os.path.join(stress_out, "metrics.json"), encoding="utf-8"))
    shard_requests = 0
    indices = []
    for d in dirs:
        s = json.load(open(os.path.join(d, "summary.json"), encoding="utf-8"))
        shard_requests += s["totals"]["requests"]
        indices.append((s.get("shard") or {}).get("index"))
    merged_requests = summary["totals"]["requests"]
    slo = next(x for x in summary["tests"][0]["slos"] if x["text"].startswith("p99(latency)"))
    stress_p99 = int(slo["measured"])
    failures = []

    for tool, wall, cpu, rss, code in rows:
        if tool.startswith("stress"):
            requests, p99 = (merged_requests, stress_p99) if tool == "stress" else ("-", "-")
        else:
            requests, p99 = peer["total"], peer["p99_hdrh"]
        print(
            f"{tool:<18} {shards:>6} {minutes:>7} {peer['intervals']:>9} {float(wall):>7.2f} "
            f"{float(cpu):>6.2f} {int(rss) / 1024:>8.1f} {requests:>13} {p99:>8}"
            + ("" if code == "0" else f"   exit {code}")
        )
        if code != "0":
            failures.append(f"{tool} exited {code}")

    def check(ok, text):
        print(f"  {'ok ' if ok else 'FAIL'} {text}")
        if not ok:
            failures.append(text)

    print()
    check(
        sorted(i for i in indices if i is not None) == list(range(len(dirs))),
        f"the {len(dirs)} folder(s) are shards 0..{len(dirs) - 1} of one set (summary.json `shard`)",
    )
    check(
        merged_requests == shard_requests == peer["total"],
        f"requests: merged {merged_requests} = sum of the shards' {shard_requests} = union of their logs {peer['total']}",
    )
    lo, hi = peer["p99_bucket"]
    check(
        stress_p99 == round_sig(peer["p99"]),
        f"p99(latency): stress {stress_p99} µs = union's p99 (rank {peer['p99_rank']} of {peer['total']}, "
        f"bucket {lo}..{hi}, middle {peer['p99']}, 3 digits {round_sig(peer['p99'])})",
    )
    check(
        lo <= peer["p99_hdrh"] <= hi,
        f"hdrh's get_value_at_percentile(99) = {peer['p99_hdrh']} lies in that bucket",
    )
    points = metrics["tests"][0]["series"][0]["points"]
    seconds = peer["seconds"]
    wrong = []
    for p in points:
        mine = [p["requests"], p["p50_us"], p["p90_us"], p["p99_us"]]
        theirs = seconds.get(str(p["t_s"]), [0, 0, 0, 0])
        if mine != theirs:
            wrong.append((p["t_s"], mine, theirs))
    extra = [t for t in seconds if int(t) >= len(points)]
    check(
        not wrong and not extra,
        f"time chart: {len(points)} seconds of the merged series match the peer's per-second "
        f"count/p50/p90/p99 ({len(wrong)} differ{', e.g. ' + str(wrong[0]) if wrong else ''}"
        f"{', seconds missing: ' + str(extra[:3]) if extra else ''})",
    )
    logged = {}
    intervals = 0
    for h in summary["histograms"]:
        reader = HistogramLogReader(os.path.join(stress_out, h["path"]), None)
        total = 0
        while True:
            i = reader.get_next_interval_histogram()
            if i is None:
                break
            total += i.get_total_count()
            intervals += 1
        reader.close()
        logged[f"{h['scenario']}/{h['step']}"] = total
    check(
        logged == peer["steps"],
        f"merged interval logs: {intervals} intervals, per step {logged} (peer: {peer['steps']})",
    )
    if peer["late"]:
        print(f"  note: {peer['late']} seconds were re-opened by late intervals")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
