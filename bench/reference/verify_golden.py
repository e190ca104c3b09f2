#!/usr/bin/env python3
"""Independent float64 NumPy re-computation of the golden fixtures (no torch):
checks that the documented formats / formulas reproduce the stored numbers.
Prints the max relative error per quantity; exits 1 if any exceeds 1e-4."""
import json
import os
import sys

import numpy as np

G = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "golden")
CODE = {"A": [1, 0, 0, 0], "C": [0, 1, 0, 0], "G": [0, 0, 1, 0], "T": [0, 0, 0, 1],
        "N": [.25] * 4, "Z": [0] * 4}
worst = 0.0


def T(e):
    return np.array(e["data"], dtype=np.float64).reshape(e["shape"])


def rel(name, a, b):
    global worst
    a, b = np.asarray(a, float), np.asarray(b, float)
    r = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3))
    worst = max(worst, r)
    print(f"{name:40s} max rel err {r:.2e}")


def s1_forward(p, X):
    w = T(p["conv1.weight"])[:, :, 0, :]            # [C,4,24]
    L = X.shape[2]
    conv = np.stack([np.einsum("bij,cij->bc", X[:, :, t:t + 24], w) for t in range(L - 23)], 2)
    conv += T(p["conv1.bias"])[None, :, None]
    pooled = np.maximum(conv, 0).max(2)
    h = np.maximum(pooled @ T(p["fc1.weight"]).T + T(p["fc1.bias"]), 0)
    return h @ T(p["fc2.weight"]).T + T(p["fc2.bias"]), pooled, h


def logsig(o):
    return -np.logaddexp(0, -o)


def s1_grads(p, X, Y, kind, cl):
    logits, pooled, h = s1_forward(p, X)
    B = X.shape[0]
    sig = 1 / (1 + np.exp(-logits))
    if kind == "basset":
        terms = Y * logsig(logits) + (1 - Y) * (-logits + logsig(logits))
        loss, dz = -terms.sum() / B, (sig - Y) / B
    elif kind == "one_loss":
        terms = Y * logsig(logits) + (1 - Y) * (-logits + logsig(logits))
        mask = np.zeros_like(Y)
        mask[np.arange(B), cl] = 1
        loss, dz = -(terms * mask).sum() / B, mask * (sig - Y) / B
    else:
        loss = -(Y * np.log(sig) + (1 - Y) * np.log(1 - sig)).mean()
        dz = (sig - Y) / Y.size
    g = {"fc2.weight": dz.T @ h, "fc2.bias": dz.sum(0)}
    dh = (dz @ T(p["fc2.weight"])) * (h > 0)
    g["fc1.weight"], g["fc1.bias"] = dh.T @ pooled, dh.sum(0)
    dpool = dh @ T(p["fc1.weight"])                   # [B,C]
    w = T(p["conv1.weight"])[:, :, 0, :]
    conv = np.stack([np.einsum("bij,cij->bc", X[:, :, t:t + 24], w) for t in range(X.shape[2] - 23)], 2)
    conv += T(p["conv1.bias"])[None, :, None]
    arg = conv.argmax(2)                              # max of relu == relu of max
    active = (conv.max(2) > 0) * dpool                # [B,C]
    gw = np.zeros_like(w)
    for b in range(B):
        for c in range(w.shape[0]):
            t = arg[b, c]
            gw[c] += active[b, c] * X[b, :, t:t + 24]
    g["conv1.weight"], g["conv1.bias"] = gw[:, :, None, :], active.sum(0)
    return loss, g


def check_stage1():
    d = json.load(open(os.path.join(G, "stage1_golden.json")))
    X = np.array([[CODE[ch] for ch in s] for s in d["sequences"]], float).transpose(0, 2, 1)
    logits, pooled, _ = s1_forward(d["params"], X)
    rel("stage1 logits", logits, d["logits"])
    rel("stage1 pooled", pooled, d["pooled"])
    for run in d["training"]:
        p = {k: T(v) for k, v in d["params"].items()}
        pe = {k: {"data": v.reshape(-1), "shape": v.shape} for k, v in p.items()}
        m = {k: np.zeros_like(v) for k, v in p.items()}
        v2 = {k: np.zeros_like(v) for k, v in p.items()}
        Xb, Yb = X[run["sequence_indices"]], np.array(run["labels"], float)
        cl = np.array(run.get("cell_type_ids", [0] * len(Yb)))
        b1, b2 = run["betas"]
        losses = []
        for step in range(1, run["steps"] + 1):
            pe = {k: {"data": v.reshape(-1), "shape": v.shape} for k, v in p.items()}
            loss, g = s1_grads(pe, Xb, Yb, run["loss"], cl)
            losses.append(loss)
            for k in p:
                gk = g[k] + run["weight_decay"] * p[k]
                m[k] = b1 * m[k] + (1 - b1) * gk
                v2[k] = b2 * v2[k] + (1 - b2) * gk * gk
                mh, vh = m[k] / (1 - b1 ** step), v2[k] / (1 - b2 ** step)
                p[k] = p[k] - run["lr"] * mh / (np.sqrt(vh) + run["eps"])
        rel(f"stage1 {run['loss']} losses", losses, run["losses"])
        for k in p:
            rel(f"stage1 {run['loss']} {k} after", p[k], T(run["params_after"][k]))


def check_stage2():
    d = json.load(open(os.path.join(G, "stage2_golden.json")))
    p = {k: T(v) for k, v in d["params"].items()}
    F_, G_ = np.array(d["features"]), np.array(d["cell_type_codes"])
    eps = d["bn_eps"]

    def fwd(p, train):
        a1 = G_ @ p["fc1.weight"].T + p["fc1.bias"]
        if train:
            mu1, var1 = a1.mean(0), a1.var(0)
        else:
            mu1, var1 = p["bn1.running_mean"], p["bn1.running_var"]
        r1 = np.maximum((a1 - mu1) / np.sqrt(var1 + eps) * p["bn1.weight"] + p["bn1.bias"], 0)
        gsc = r1 @ p["fc2.weight"].T + p["fc2.bias"]
        z = np.concatenate([F_, gsc], 1)
        a3 = z @ p["fc3.weight"].T + p["fc3.bias"]
        if train:
            mu3, var3 = a3.mean(0), a3.var(0)
        else:
            mu3, var3 = p["bn3.running_mean"], p["bn3.running_var"]
        h = np.maximum((a3 - mu3) / np.sqrt(var3 + eps) * p["bn3.weight"] + p["bn3.bias"], 0)
        lo = h @ p["fc4.weight"].T + p["fc4.bias"]
        return lo - np.logaddexp(lo[:, :1], lo[:, 1:]), h

    rel("stage2 logprobs eval", fwd(p, False)[0], d["logprobs_eval_mode"])
    lp, h = fwd(p, True)
    rel("stage2 logprobs train", lp, d["logprobs_train_mode"])
    rel("stage2 hidden train", h, d["hidden_train_mode"])
    t = np.array(d["targets"])
    rel("stage2 loss[0]", -lp[np.arange(len(t)), t].mean(), d["losses"][0])
    # (the SGD steps / running-stat updates are not re-derived here)


check_stage1()
check_stage2()
print("worst", worst)
sys.exit(0 if worst < 1e-4 else 1)
