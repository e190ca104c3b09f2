#!/usr/bin/env python3
"""Two sigtfb binaries on the same fixed work, alternated in ABBA order; the median of the
per-pair ratios (this machine's speed drifts over minutes, so only close pairs compare):

    python3 bench/speed/ab_pairs.py OLD NEW PAIRS THREADS train|infer [CALLS] [HELD] [CHANNELS]

Each run is `sigtfb bench --threads T --held HELD --calls CALLS --only KIND --channels CHANNELS` (100 unless given)."""
import json, statistics, subprocess, sys

old, new, pairs, threads, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
calls = sys.argv[6] if len(sys.argv) > 6 else "600"
held = sys.argv[7] if len(sys.argv) > 7 else "100000"
channels = sys.argv[8] if len(sys.argv) > 8 else "100"


def run(binary):
    out = subprocess.run([binary, "bench", "--threads", threads, "--held", held, "--calls", calls, "--only", kind,
                          "--channels", channels], capture_output=True, text=True, check=True).stdout
    return {f"{kind}{t['batch']}": t["seq_per_s"] for t in json.loads(out)[kind]}


ratios = {}
for p in range(pairs):
    order = [old, new] if p % 2 == 0 else [new, old]
    res = {b: run(b) for b in order}
    for k in res[old]:
        ratios.setdefault(k, []).append(res[new][k] / res[old][k])
    print(p, {k: f"{res[old][k]:.0f} -> {res[new][k]:.0f}" for k in res[old]}, flush=True)
for k, r in ratios.items():
    print(f"{k}: median new/old {statistics.median(r):.3f}, mean {statistics.mean(r):.3f}, "
          f"new faster in {sum(x > 1 for x in r)}/{len(r)} pairs")
