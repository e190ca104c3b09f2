#!/usr/bin/env python3
"""Runs train_stage1_reference.py on every /work/shared/demo-data/h5/*.h5 for
seeds 1..5 (C=64, 128 pairs/batch, lr 1e-3, 20 epochs, conv_std = linear_std =
0.01, 2 threads) sequentially and writes results/stage1_demo_pytorch.json:
{"settings": {...}, "files": {name: {"runs": [per-seed JSON from the trainer],
  "test_macro_auroc": [5], "test_macro_auprc": [5], "test_macro_auroc_mean",
  "test_macro_auroc_sd" (sample sd, ddof=1), "test_macro_auprc_mean", "..._sd",
  "valid_macro_auroc_mean", "train_wall_s_mean", "train_wall_s": [5]}},
 "loadavg_start", "loadavg_end"}  (wall times are on a shared, loaded machine)."""
import glob
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
H5 = sorted(glob.glob(os.environ.get("DEMO_H5", "/work/shared/demo-data/h5/*.h5")))
SETTINGS = {"channels": 64, "batch_pairs": 128, "lr": 1e-3, "epochs": 20, "weight_decay": 0.0,
            "conv_std": 0.01, "linear_std": 0.01, "threads": 2, "seeds": [1, 2, 3, 4, 5]}


def main():
    out = {"settings": SETTINGS, "files": {}, "loadavg_start": os.getloadavg()}
    for f in H5:
        name = os.path.basename(f)
        runs = []
        for seed in SETTINGS["seeds"]:
            cmd = [sys.executable, os.path.join(HERE, "train_stage1_reference.py"), "--h5", f,
                   "--seed", str(seed), "--channels", str(SETTINGS["channels"]),
                   "--batch-pairs", str(SETTINGS["batch_pairs"]), "--lr", str(SETTINGS["lr"]),
                   "--epochs", str(SETTINGS["epochs"]), "--conv-std", str(SETTINGS["conv_std"]),
                   "--linear-std", str(SETTINGS["linear_std"]), "--threads", str(SETTINGS["threads"])]
            r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            print(name, seed, r["test"]["macro_auroc"], r["train_wall_s"], flush=True)
            runs.append(r)
        au = [r["test"]["macro_auroc"] for r in runs]
        ap = [r["test"]["macro_auprc"] for r in runs]
        out["files"][name] = {
            "runs": runs, "test_macro_auroc": au, "test_macro_auprc": ap,
            "test_macro_auroc_mean": float(np.mean(au)), "test_macro_auroc_sd": float(np.std(au, ddof=1)),
            "test_macro_auprc_mean": float(np.mean(ap)), "test_macro_auprc_sd": float(np.std(ap, ddof=1)),
            "valid_macro_auroc_mean": float(np.mean([r["valid"]["macro_auroc"] for r in runs])),
            "train_wall_s": [r["train_wall_s"] for r in runs],
            "train_wall_s_mean": float(np.mean([r["train_wall_s"] for r in runs]))}
    out["loadavg_end"] = os.getloadavg()
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "stage1_demo_pytorch.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
