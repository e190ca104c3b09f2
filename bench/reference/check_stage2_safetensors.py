#!/usr/bin/env python3
"""check_stage2_safetensors.py MODEL.safetensors FASTA PREDICTIONS.tsv [--tol 1e-5]

Loads a sigtfb stage-2 checkpoint into PyTorch: the safetensors file (parsed by hand, see
sigtfb_reference.load_safetensors) and its JSON sidecar (MODEL.json: architecture, including
num_hidden_layers -- absent in checkpoints written before the head variants, then 1).  Builds
CNN_Multilabel + the generalised Net_Stage2 of sigtfb_reference.py with that many hidden layers
and calls load_state_dict(strict=True): every tensor name must match (model_stage1.*, fc1, bn1,
fc2, fc3, bn3, fc3_2, bn3_2, ..., fc4), none missing, none extra.  Then runs it in eval mode on
the FASTA's sequences (all of the model's length, ACGTN) told each cell type (one-hot) and not
told (zeros), and compares P(bound) = exp(log_softmax[:, 1]) with PREDICTIONS.tsv written by
`sigtfb predict --model MODEL --fasta FASTA` (columns: name, one per cell type, not_told).
Pass: |a - b| <= tol * max(|b|, 1e-2) for every value.  Prints one JSON line; exit 0 when all
pass, 1 otherwise, 2 on load errors.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigtfb_reference import CNN_Multilabel, Net_Stage2, load_safetensors, one_hot  # noqa: E402

torch.set_num_threads(1)


def read_fasta(path):
    names, seqs = [], []
    for line in open(path):
        line = line.strip()
        if line.startswith(">"):
            names.append(line[1:].split()[0])
            seqs.append("")
        elif line:
            seqs[-1] += line.upper()
    return names, seqs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("fasta")
    ap.add_argument("predictions")
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()
    try:
        tensors, meta = load_safetensors(a.model)
        side = json.load(open(os.path.splitext(a.model)[0] + ".json"))
        arch, arch1 = side["architecture"], side["stage1_architecture"]
        L = arch.get("num_hidden_layers", 1)
        C, N = arch["channels"], arch["cell_types"]
        s1 = CNN_Multilabel(C, N, arch["sequence_length"], init_weights=False)
        net = Net_Stage2(s1, num_units=N, size_conv_out=C, neurons_per_layer_pre_concat=arch["neurons_per_layer_pre_concat"],
                         neurons_per_layer=arch["neurons_per_layer"], dropout_prob=arch["dropout_prob"],
                         freeze_pretrained_model=True, init_weights=False, num_hidden_layers=L)
        expected_names = list(net.state_dict().keys())
        net.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in tensors.items()}, strict=True)
    except Exception as e:  # noqa: BLE001
        print(f"load error: {e}")
        return 2
    names, seqs = read_fasta(a.fasta)
    net.eval()
    x = one_hot(seqs)
    got = []
    with torch.no_grad():
        for c in range(N + 1):
            g = torch.zeros(len(seqs), N)
            if c < N:
                g[:, c] = 1.0
            got.append(torch.exp(net(x, g)[2][:, 1]).double().numpy())
    got = np.stack(got, axis=1)
    rows = [l.rstrip("\n").split("\t") for l in open(a.predictions) if l.strip()]
    header, body = rows[0], rows[1:]
    want = np.array([[float(v) for v in r[1:]] for r in body])
    ok_names = [r[0] for r in body] == names and header[1:] == side["cell_types"] + ["not_told"]
    diff = np.abs(got - want)
    crit = float((diff / np.maximum(np.abs(want), 1e-2)).max())
    ok = ok_names and got.shape == want.shape and crit <= a.tol
    print(json.dumps({"model": os.path.basename(a.model), "num_hidden_layers": L, "state_dict": expected_names,
                      "load_state_dict_strict": True, "sequences": len(seqs), "columns": header[1:],
                      "max_abs_diff": float(diff.max()), "max_criterion": crit, "tol": a.tol, "pass": bool(ok)}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
