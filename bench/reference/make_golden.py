#!/usr/bin/env python3
"""Writes Tests/Fixtures/golden/stage1_golden.json and stage2_golden.json.

Deterministic: every number comes from np.random.RandomState(seed) (never from
torch's RNG), torch uses 2 threads.  Floats are float32 values written as
Python floats (json repr of the exact double = shortest round-trip), so
parsing as Double then converting to Float recovers the float32 bit-exactly.
Tensors are {"shape": [...], "data": [flat, row-major / C order]}.

stage1_golden.json
------------------
{"channels": C=8, "cell_types": N=3, "length": L=101, "hidden": 32,
 "conv_std": 0.15, "linear_std": 0.3,           # stds used to draw params (info only)
 "params": {                                     # PyTorch state_dict names
    "conv1.weight": [C,4,1,24]  index [c][base][0][k], base A,C,G,T = 0..3,
                                 k = kernel tap (position offset 0..23),
    "conv1.bias": [C], "fc1.weight": [32,C] ([out][in]), "fc1.bias": [32],
    "fc2.weight": [N,32], "fc2.bias": [N]},
 "sequences": 64 strings of length 101 over ACGT; rows 3,10,17,24,31,38 contain
              N (0.25 in every channel), rows 45 and 52 contain Z (all-zero column),
 "logits": [64][N]  model output before sigmoid (eval; the model has no
           train/eval-dependent layers),
 "pooled": [64][C]  max over the 78 positions of relu(conv) ("conv_out"),
 "training": [ three runs, each starting from "params":
    {"loss": "basset" | "one_loss" | "bce", "lr": 0.01, "weight_decay": 0.001,
     "betas": [0.9, 0.999], "eps": 1e-08,
     "sequence_indices": [16] rows of "sequences" forming the batch (in order),
     "labels": [16][N] 0/1,
     "cell_type_ids": [16]  (one_loss only; pairs share an id),
     "steps": 3,
     "losses": [3] loss of the batch before each Adam step,
     "params_after": same layout as "params", after the 3 steps} ]}
 Losses: basset = -sum(t*logsig(o)+(1-t)*(-o+logsig(o)))/16;
 one_loss = -sum_r term[r, cell_type_ids[r]]/16;
 bce = mean over 16*N of BCE(sigmoid(o), t).
 Optimiser: torch.optim.Adam (not AdamW): grad += weight_decay * param for every
 parameter (biases included), then the bias-corrected Adam update.

stage2_golden.json
------------------
Net_Stage2 head only (stage-1 features given directly, i.e. forward_features);
C=8, N=3, P=5, H=6, batch 16, dropout p=0.
{"channels": 8, "cell_types": 3, "pre_concat": 5, "hidden": 6, "batch": 16,
 "bn_eps": 1e-05, "bn_momentum": 0.1,
 "params": state_dict in PyTorch order:
    fc1.weight [P,N], fc1.bias [P], bn1.weight [P], bn1.bias [P],
    bn1.running_mean [P], bn1.running_var [P], bn1.num_batches_tracked [] (int),
    fc2.weight [1,P], fc2.bias [1], fc3.weight [H,C+1], fc3.bias [H],
    bn3.weight, bn3.bias, bn3.running_mean, bn3.running_var [H],
    bn3.num_batches_tracked [], fc4.weight [2,H], fc4.bias [2]
    (fc3 input columns 0..C-1 = pooled features, column C = cell-type scalar;
     running stats start at non-trivial random values, num_batches_tracked 0;
     in a full checkpoint these names sit beside model_stage1.conv1.weight, ...),
 "features": [16][C] (non-negative, like ReLU-pooled features),
 "cell_type_codes": [16][N]: rows 0..7 one-hot, rows 8..15 all zero,
 "targets": [16] ints 0/1,
 "logprobs_eval_mode": [16][2]  eval forward with "params" (running stats),
 "logprobs_train_mode": [16][2] train forward with "params" (batch stats,
     biased variance), computed on a copy: it does not count as a step,
 "hidden_train_mode": [16][H]  the post-ReLU fc3 activations of that forward,
 "sgd": {"lr": 0.05, "momentum": 0.9, "nesterov": true, "weight_decay": 0.001,
         "dampening": 0},
 "steps": 3,
 "losses": [3] NLL (mean) of the train-mode forward before each step
     (losses[0] == mean(-logprobs_train_mode[r][targets[r]])),
 "params_after": same layout as "params" after 3 steps, running stats after
     exactly the 3 train-mode forwards of the steps (num_batches_tracked = 3;
     running = 0.9*running + 0.1*batch stat, running_var with unbiased var),
 "logprobs_eval_mode_after": [16][2] eval forward with params_after}
 SGD (PyTorch): d = grad + wd*p; buf = d (step 1) else 0.9*buf + d;
 p -= lr * (d + 0.9*buf).  Applies to every parameter incl. BN weight/bias.
"""
import copy
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sigtfb_reference import (CNN_Multilabel, Net_Stage2, basset_loss, bce_loss,  # noqa: E402
                              one_hot, one_loss)

OUT = os.path.join(HERE, "..", "..", "Tests", "Fixtures", "golden")
torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)


def f32list(t):
    return [float(v) for v in np.asarray(t, dtype=np.float32).reshape(-1)]


def tensor_entry(t):
    a = t.detach().cpu().numpy()
    if a.dtype == np.int64:
        return {"shape": list(a.shape), "data": [int(v) for v in a.reshape(-1)]}
    return {"shape": list(a.shape), "data": f32list(a)}


def state_entries(model):
    return {k: tensor_entry(v) for k, v in model.state_dict().items()}


def rows(t):
    a = np.asarray(t.detach().cpu().numpy() if torch.is_tensor(t) else t, dtype=np.float32)
    return [f32list(r) for r in a]


def dump(obj, name):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path), "bytes")


def set_param(p, rng, std):
    with torch.no_grad():
        p.copy_(torch.from_numpy(rng.normal(0.0, std, size=tuple(p.shape)).astype(np.float32)))


# ---------------------------------------------------------------------------
def stage1():
    C, N, L = 8, 3, 101
    conv_std, linear_std = 0.15, 0.3
    rng = np.random.RandomState(20240601)
    model = CNN_Multilabel(C, N, L, init_weights=False)
    set_param(model.conv1.weight, rng, conv_std)
    set_param(model.conv1.bias, rng, 0.1)
    set_param(model.fc1.weight, rng, linear_std)
    set_param(model.fc1.bias, rng, 0.1)
    set_param(model.fc2.weight, rng, linear_std)
    set_param(model.fc2.bias, rng, 0.1)

    seqs = []
    for i in range(64):
        s = list("ACGT"[j] for j in rng.randint(0, 4, size=L))
        if i in (3, 10, 17, 24, 31, 38):
            for p in rng.choice(L, size=1 + i % 5, replace=False):
                s[p] = "N"
        if i == 45:
            s[-7:] = "Z" * 7            # right padding
        if i == 52:
            s[:5] = "Z" * 5             # left padding
            s[50] = "Z"
        seqs.append("".join(s))
    x = one_hot(seqs)
    model.eval()
    with torch.no_grad():
        logits, pooled, _ = model(x)

    init_state = copy.deepcopy(model.state_dict())
    out = {"channels": C, "cell_types": N, "length": L, "hidden": 32,
           "conv_std": conv_std, "linear_std": linear_std,
           "params": state_entries(model), "sequences": seqs,
           "logits": rows(logits), "pooled": rows(pooled), "training": []}

    for kind in ("basset", "one_loss", "bce"):
        idx = rng.choice(64, size=16, replace=False)
        labels = rng.randint(0, 2, size=(16, N))
        cl = np.repeat(rng.randint(0, N, size=8), 2)
        m = CNN_Multilabel(C, N, L, init_weights=False)
        m.load_state_dict(init_state)
        m.train()
        opt = torch.optim.Adam(m.parameters(), lr=0.01, betas=(0.9, 0.999), eps=1e-8,
                               weight_decay=1e-3)
        xb = x[torch.from_numpy(idx)]
        yb = torch.from_numpy(labels.astype(np.float32))
        losses = []
        for _ in range(3):
            opt.zero_grad()
            o = m(xb)[0]
            if kind == "basset":
                loss = basset_loss(o, yb)
            elif kind == "one_loss":
                loss = one_loss(o, yb, cl)
            else:
                loss = bce_loss(o, yb)
            losses.append(float(np.float32(loss.item())))
            loss.backward()
            opt.step()
        run = {"loss": kind, "lr": 0.01, "weight_decay": 0.001, "betas": [0.9, 0.999],
               "eps": 1e-8, "sequence_indices": [int(i) for i in idx],
               "labels": [[int(v) for v in r] for r in labels]}
        if kind == "one_loss":
            run["cell_type_ids"] = [int(c) for c in cl]
        run.update({"steps": 3, "losses": losses, "params_after": state_entries(m)})
        out["training"].append(run)
    dump(out, "stage1_golden.json")


# ---------------------------------------------------------------------------
def stage2():
    C, N, P, H, B = 8, 3, 5, 6, 16
    rng = np.random.RandomState(20240602)
    net = Net_Stage2(None, num_units=N, size_conv_out=C, neurons_per_layer_pre_concat=P,
                     neurons_per_layer=H, dropout_prob=0.0, init_weights=False)
    sd = net.state_dict()
    new = {}
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            new[k] = torch.zeros_like(v)
        elif k.endswith("running_var"):
            new[k] = torch.from_numpy(rng.uniform(0.5, 2.0, size=tuple(v.shape)).astype(np.float32))
        elif k.endswith("running_mean"):
            new[k] = torch.from_numpy(rng.normal(0, 0.5, size=tuple(v.shape)).astype(np.float32))
        elif k.startswith("bn") and k.endswith("weight"):
            new[k] = torch.from_numpy(rng.uniform(0.7, 1.3, size=tuple(v.shape)).astype(np.float32))
        elif k.endswith("bias"):
            new[k] = torch.from_numpy(rng.normal(0, 0.1, size=tuple(v.shape)).astype(np.float32))
        else:
            new[k] = torch.from_numpy(rng.normal(0, 0.4, size=tuple(v.shape)).astype(np.float32))
    net.load_state_dict(new)

    feats = torch.from_numpy(rng.uniform(0.0, 2.0, size=(B, C)).astype(np.float32))
    codes = np.zeros((B, N), dtype=np.float32)
    codes[np.arange(8), rng.randint(0, N, size=8)] = 1.0
    codes_t = torch.from_numpy(codes)
    targets = rng.randint(0, 2, size=B)
    targets_t = torch.from_numpy(targets.astype(np.int64))

    init_entries = state_entries(net)
    net.eval()
    with torch.no_grad():
        lp_eval = net.forward_features(feats, codes_t)[2]
    probe = copy.deepcopy(net)
    probe.train()
    with torch.no_grad():
        h_train, _, lp_train = probe.forward_features(feats, codes_t)

    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=1e-3)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        lp = net.forward_features(feats, codes_t)[2]
        loss = F.nll_loss(lp, targets_t)
        losses.append(float(np.float32(loss.item())))
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        lp_eval_after = net.forward_features(feats, codes_t)[2]

    out = {"channels": C, "cell_types": N, "pre_concat": P, "hidden": H, "batch": B,
           "bn_eps": 1e-5, "bn_momentum": 0.1,
           "params": init_entries,
           "features": rows(feats), "cell_type_codes": rows(codes_t),
           "targets": [int(t) for t in targets],
           "logprobs_eval_mode": rows(lp_eval), "logprobs_train_mode": rows(lp_train),
           "hidden_train_mode": rows(h_train),
           "sgd": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.001,
                   "dampening": 0},
           "steps": 3, "losses": losses, "params_after": state_entries(net),
           "logprobs_eval_mode_after": rows(lp_eval_after)}
    dump(out, "stage2_golden.json")


if __name__ == "__main__":
    stage1()
    stage2()
