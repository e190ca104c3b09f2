#!/usr/bin/env python3
"""PyTorch stage-1 training that replays a Swift `sigtfb train-stage1` run.

Usage:
  replay_swift_run.py --h5 F.h5 --seed S [--channels 64] [--batch-pairs 128]
      [--lr 1e-3] [--epochs 20] [--conv-std 0.01] [--linear-std 0.01]
      [--init swift|torch] [--split swift|numpy] [--sampler swift|numpy]
      [--threads 1] [--json]

With the defaults (all three "swift") the model starts from Swift's exact
initial weights, trains on Swift's exact train/validation split and sees
Swift's exact batch sequence (swift_rng.py), with torch.optim.Adam and the
Basset loss of sigtfb_reference.py -- so its per-epoch mean training loss can
be compared number for number with the Swift run's epochs.csv.

Each stream can be switched to the PyTorch reference's
(train_stage1_reference.py) independently:
  --init torch     torch.manual_seed(S); CNN_Multilabel's normal_ init
  --split numpy    np.random.RandomState(S).shuffle, floor(0.2 n) validation
  --sampler numpy  BalancedPairSampler of sigtfb_reference (np.random.choice
                   on the RandomState; the same RandomState as the split when
                   --split numpy, as the reference does, else a fresh
                   RandomState(S))
Prints one line per epoch (train loss, validation loss, validation macro
AUROC) and the test macro AUROC/AUPRC; --json prints a JSON object instead.
"""
import argparse
import json
import os
import sys
import time

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sigtfb_reference import (CNN_Multilabel, BalancedPairSampler, basset_loss,  # noqa: E402
                              split_train_valid)
from swift_rng import SwiftBalancedPairSampler, swift_init, swift_split  # noqa: E402
from train_stage1_reference import predict, scores  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--h5", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--batch-pairs", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--conv-std", type=float, default=0.01)
    ap.add_argument("--linear-std", type=float, default=0.01)
    ap.add_argument("--init", choices=["swift", "torch"], default="swift")
    ap.add_argument("--split", choices=["swift", "numpy"], default="swift")
    ap.add_argument("--sampler", choices=["swift", "numpy"], default="swift")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    with h5py.File(a.h5, "r") as h:
        xtr = torch.from_numpy(h["train_in"][:].astype(np.float32))
        ytr = h["train_out"][:].astype(np.float32)
        xte = torch.from_numpy(h["test_in"][:].astype(np.float32))
        yte = h["test_out"][:].astype(np.float32)
    n, N, L = xtr.shape[0], ytr.shape[1], xtr.shape[3]
    ytr_t = torch.from_numpy(ytr)

    torch.manual_seed(a.seed)
    model = CNN_Multilabel(a.channels, N, L, conv_std=a.conv_std, linear_std=a.linear_std)
    if a.init == "swift":
        sd = {k: torch.from_numpy(v) for k, v in
              swift_init(a.channels, N, a.conv_std, a.linear_std, a.seed).items()}
        model.load_state_dict(sd)
    model.train()

    np_rng = np.random.RandomState(a.seed)
    if a.split == "swift":
        train_idx, valid_idx = swift_split(n, a.seed)
    else:
        train_idx, valid_idx = split_train_valid(n, np_rng)
    if a.sampler == "swift":
        sampler = SwiftBalancedPairSampler(ytr, train_idx, a.batch_pairs, a.seed + 0x5A5A)
        epoch_batches = sampler.epoch
    else:
        ref = BalancedPairSampler(ytr, train_idx, np_rng)
        epoch_batches = lambda: list(ref.epoch_batches(a.batch_pairs))  # noqa: E731

    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    xva, yva = xtr[sorted(valid_idx)], ytr[sorted(valid_idx)]
    epochs = []
    t0 = time.perf_counter()
    for ep in range(1, a.epochs + 1):
        tot, cnt, steps = 0.0, 0, 0
        for rows, _cl in epoch_batches():
            rows = torch.as_tensor(rows)
            opt.zero_grad()
            loss = basset_loss(model(xtr[rows])[0], ytr_t[rows])
            loss.backward()
            opt.step()
            tot += loss.item() * len(rows)
            cnt += len(rows)
            steps += 1
        pv = predict(model, xva)
        with torch.no_grad():
            vloss = float(basset_loss(torch.from_numpy(pv), torch.from_numpy(yva)))
        sv = scores(yva, pv)
        epochs.append({"epoch": ep, "train_loss": tot / cnt, "validation_loss": vloss,
                       "validation_auroc": sv["macro_auroc"], "steps": steps})
        if not a.json:
            print(f"{ep},{tot / cnt:.6f},{vloss:.6f},{sv['macro_auroc']:.6f}", flush=True)
    test = scores(yte, predict(model, xte))
    res = {"h5": os.path.basename(a.h5), "seed": a.seed, "init": a.init, "split": a.split,
           "sampler": a.sampler, "n_train": len(train_idx), "n_valid": len(valid_idx),
           "epochs": epochs, "test_macro_auroc": test["macro_auroc"],
           "test_macro_auprc": test["macro_auprc"], "wall_s": time.perf_counter() - t0}
    if a.json:
        print(json.dumps(res))
    else:
        print(f"test macro AUROC {test['macro_auroc']:.6f}  AUPRC {test['macro_auprc']:.6f}  "
              f"(init {a.init}, split {a.split}, sampler {a.sampler}; n_train {len(train_idx)}, "
              f"n_valid {len(valid_idx)}; {res['wall_s']:.1f} s)")


if __name__ == "__main__":
    main()
