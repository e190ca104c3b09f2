#!/usr/bin/env python3
"""Issue 3's ratios measured in pairs seconds apart: sigtfb and PyTorch alternate per configuration.

    python3 bench/speed/paired.py [--sigtfb .build/release/sigtfb] [--rounds 10] [--window-s 1] \
        [--configs infer:100,train:100:256,infer:16] > bench/speed/paired.json

Why: this machine's throughput drifts by up to 2x within minutes (both tools alike: its cores are
shared with other tenants). run_rounds.sh measures all of sigtfb's configurations and then all of
PyTorch's, so the two halves of a ratio can be a minute apart and catch different weather. Here one
process keeps PyTorch loaded and, for each configuration in each round, measures PyTorch and then
sigtfb (`sigtfb bench --only ... --channels C`), or sigtfb first in odd rounds (ABBA order cancels a
steady drift). Both sides keep their usual rule: the best of three windows of --window-s seconds
(PyTorch's timing code is pytorch_speed.py's own). A configuration's ratio in a round is sigtfb's
best window over PyTorch's best window, taken a few seconds apart; the report gives every round's
ratio, their median and minimum, and how many rounds reach 20x.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from pytorch_speed import N, random_batch, timed  # noqa: E402
from sigtfb_reference import CNN_Multilabel, basset_loss  # noqa: E402


def torch_rate(kind, C, B, window_s, rng):
    """PyTorch seq/s for one configuration, exactly as pytorch_speed.py measures it."""
    model = CNN_Multilabel(C, N, 101, conv_std=0.01, linear_std=0.01)
    x, y = random_batch(rng, B)
    if kind == "train":
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def fn():
            opt.zero_grad()
            basset_loss(model(x)[0], y).backward()
            opt.step()
    else:
        model.eval()

        def fn():
            with torch.no_grad():
                model(x)
    steps, el, _ = timed(fn, window_s)
    return steps * B / el


def sigtfb_rate(binary, kind, C, B, window_s, threads):
    """sigtfb seq/s for one configuration from `sigtfb bench` (best of its three windows)."""
    out = subprocess.run([binary, "bench", "--only", kind, "--channels", str(C), "--seconds", str(window_s),
                          "--threads", str(threads), "--held", "100000"],
                         check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)[kind]
    return next(r["seq_per_s"] for r in rows if r["batch"] == B)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sigtfb", default=".build/release/sigtfb")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--window-s", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--configs", default="infer:100,train:100:256,infer:16",
                    help="kind:channels[:batch], comma-separated (inference batch is always 1024)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    configs = []
    for c in a.configs.split(","):
        parts = c.split(":")
        kind, C = parts[0], int(parts[1])
        B = 1024 if kind == "infer" else int(parts[2])
        configs.append((kind, C, B))
    results = {f"{k}:{C}:{B}": {"kind": k, "channels": C, "batch": B, "sigtfb": [], "pytorch": [], "ratio": []}
               for k, C, B in configs}
    for r in range(a.rounds):
        for kind, C, B in configs:
            res = results[f"{kind}:{C}:{B}"]
            order = ["pytorch", "sigtfb"] if r % 2 == 0 else ["sigtfb", "pytorch"]
            got = {}
            for side in order:
                if side == "pytorch":
                    got[side] = torch_rate(kind, C, B, a.window_s, rng)
                else:
                    time.sleep(0.5)  # let PyTorch's OpenMP workers stop spinning first
                    got[side] = sigtfb_rate(a.sigtfb, kind, C, B, a.window_s, a.threads)
            res["sigtfb"].append(got["sigtfb"])
            res["pytorch"].append(got["pytorch"])
            res["ratio"].append(got["sigtfb"] / got["pytorch"])
            print(f"round {r + 1}/{a.rounds} {kind:5} C={C:3} batch={B:4}: sigtfb {got['sigtfb']:>10,.0f}  "
                  f"pytorch {got['pytorch']:>9,.0f}  x{got['sigtfb'] / got['pytorch']:.1f}  "
                  f"(load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    summary = []
    for res in results.values():
        q = res["ratio"]
        res.update({"median": statistics.median(q), "min": min(q), "max": max(q),
                    "rounds_at_least_20x": sum(x >= 20 for x in q)})
        summary.append(res)
        print(f"{res['kind']:5} C={res['channels']:3} batch={res['batch']:4}: ratio median x{res['median']:.1f} "
              f"(x{res['min']:.1f}-x{res['max']:.1f}), >= 20x in {res['rounds_at_least_20x']}/{len(q)} rounds",
              file=sys.stderr)
    print(json.dumps({"rounds": a.rounds, "window_s": a.window_s, "threads": a.threads, "torch": torch.__version__,
                      "machine": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t"),
                      "cores": os.cpu_count(), "results": summary}, indent=1))


if __name__ == "__main__":
    main()
