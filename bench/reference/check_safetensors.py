#!/usr/bin/env python3
"""check_safetensors.py MODEL.safetensors EXPECTED.json [--tol 1e-5]

Loads a stage-1 safetensors file (parsed by hand: 8-byte little-endian header
length, JSON header {name: {dtype, shape, data_offsets}} plus optional
"__metadata__", then the raw little-endian tensor bytes) into CNN_Multilabel
with load_state_dict(strict=True).  Channels C and cell types N are taken from
the tensor shapes (conv1.weight [C,4,1,24], fc2.weight [N,32]); the sequence
length from the sequences.  Runs the model (eval, logits before sigmoid) on
EXPECTED.json {"sequences": [...], "logits": [[N floats] per sequence]} and
compares.  Pass criterion per element: |a-b| <= tol * max(|b|, 1), i.e. a
relative test for |logit| >= 1 and an absolute one below (a pure relative test
is meaningless for logits that happen to be ~0).
Prints max abs diff, max rel diff (|a-b|/max(|b|,1e-12)) and the max of the
pass criterion; exit 0 if all elements pass, 1 otherwise (2 on load errors).

  --self-test  writes a safetensors + EXPECTED.json from a random torch model
               into a temp dir and checks it (also checks a perturbed copy fails).
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigtfb_reference import CNN_Multilabel, load_safetensors, one_hot, save_safetensors  # noqa: E402

torch.set_num_threads(2)


def check(model_path, expected_path, tol):
    try:
        tensors, meta = load_safetensors(model_path)
        C = tensors["conv1.weight"].shape[0]
        N = tensors["fc2.weight"].shape[0]
        exp = json.load(open(expected_path))
        seqs = exp["sequences"]
        model = CNN_Multilabel(C, N, len(seqs[0]), init_weights=False)
        model.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in tensors.items()},
                              strict=True)
    except Exception as e:  # noqa: BLE001
        print(f"load error: {e}")
        return 2
    model.eval()
    with torch.no_grad():
        got = model(one_hot(seqs))[0].double().numpy()
    want = np.asarray(exp["logits"], dtype=np.float64)
    if got.shape != want.shape:
        print(f"shape mismatch: model {got.shape} expected {want.shape}")
        return 1
    diff = np.abs(got - want)
    max_abs = float(diff.max())
    max_rel = float((diff / np.maximum(np.abs(want), 1e-12)).max())
    crit = float((diff / np.maximum(np.abs(want), 1.0)).max())
    ok = crit <= tol
    print(json.dumps({"channels": int(C), "cell_types": int(N), "sequences": len(seqs),
                      "max_abs_diff": max_abs, "max_rel_diff": max_rel,
                      "max_diff_over_max_abs_or_1": crit, "tol": tol, "metadata": meta,
                      "pass": bool(ok)}))
    return 0 if ok else 1


def self_test():
    rng = np.random.RandomState(3)
    torch.manual_seed(3)
    model = CNN_Multilabel(16, 3, 101, conv_std=0.2, linear_std=0.3)
    seqs = ["".join("ACGTN"[i] for i in rng.choice(5, 101, p=[.24, .24, .24, .24, .04])) for _ in range(20)]
    model.eval()
    with torch.no_grad():
        logits = model(one_hot(seqs))[0].numpy()
    d = tempfile.mkdtemp()
    st = {k: v.numpy() for k, v in model.state_dict().items()}
    save_safetensors(os.path.join(d, "m.safetensors"), st, {"format": "pt"})
    with open(os.path.join(d, "e.json"), "w") as f:
        json.dump({"sequences": seqs, "logits": [[float(v) for v in r] for r in logits]}, f)
    rc_ok = check(os.path.join(d, "m.safetensors"), os.path.join(d, "e.json"), 1e-5)
    st["fc2.bias"] = st["fc2.bias"] + np.float32(1e-3)
    save_safetensors(os.path.join(d, "bad.safetensors"), st)
    rc_bad = check(os.path.join(d, "bad.safetensors"), os.path.join(d, "e.json"), 1e-5)
    print("self-test:", "PASS" if (rc_ok == 0 and rc_bad == 1) else "FAIL", rc_ok, rc_bad)
    return 0 if (rc_ok == 0 and rc_bad == 1) else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("expected", nargs="?")
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        sys.exit(self_test())
    if not a.model or not a.expected:
        ap.error("MODEL.safetensors and EXPECTED.json are required")
    sys.exit(check(a.model, a.expected, a.tol))


if __name__ == "__main__":
    main()
