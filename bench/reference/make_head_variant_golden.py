#!/usr/bin/env python3
"""Writes Tests/Fixtures/golden/stage2_head_L0_golden.json and stage2_head_L2_golden.json:
golden values of sigtfb's stage-2 head variants (``--num_hidden_layers`` 0 = ``--modelname
Net_NoLayers``, and 2), computed with the generalised ``Net_Stage2`` of sigtfb_reference.py.

The original (github.com/aawdeh/SigTFB) documents ``--num_hidden_layers`` ("Number of layers in
fully connect network for stage 2 model", default 1) and ``--modelname`` ("Net, Net_NoLayers,
Net_OneLayer") but only ever builds ``Net_Stage2`` (one hidden block fc3/bn3 after the
concatenation).  The variants' interpretation (documented in sigtfb_reference.py):
  L = 0   no hidden block: fc4 = Linear(C+1, 2) on the concatenation [features, s], h = it;
  L >= 2  fc3 -> bn3 -> relu3 -> dropout3, then fc3_k = Linear(H, H) -> bn3_k -> relu3_k ->
          dropout3_k for k = 2..L, then fc4 = Linear(H, 2).
Deterministic (numbers from np.random.RandomState, torch with 1 thread, deterministic
algorithms); float32 values written as Python floats (shortest round-trip repr).
Run: python3 bench/reference/make_head_variant_golden.py

Layout of each file
-------------------
{"num_hidden_layers": L,
 "head": {  Net_Stage2 head only (features given: forward_features), C=8, N=3, P=5, H=6, B=16,
            dropout 0 -- the same fields as stage2_golden.json (see make_golden.py):
    "channels", "cell_types", "pre_concat", "hidden", "batch",
    "params": state_dict (PyTorch order; running stats random, num_batches_tracked 0),
    "features" [B][C], "cell_type_codes" [B][N] (rows 0..7 one-hot, 8..15 zero), "targets" [B],
    "logprobs_eval_mode" [B][2], "logprobs_train_mode" [B][2] (a copy: no step),
    "hidden_train_mode" [B][width]: h, the input of fc4 of that forward (width H, or C+1 for L=0),
    "loss": NLL (mean) of that train-mode forward,
    "gradients": {name: flat} d loss / d every head parameter of that forward,
    "grad_features" [B][C]: d loss / d features (what flows into the stage-1 network),
    "sgd": {"lr": 0.05, "momentum": 0.9, "nesterov": true, "weight_decay": 0.001, "dampening": 0},
    "steps": 3, "losses": [3], "params_after": state_dict after the steps (running stats after
    exactly 3 train forwards), "logprobs_eval_mode_after" [B][2]},
 "finetune": {  the stage-1 CNN inside (freeze_pretrained_model=False), C=6, N=3, P=4, H=5,
                B=12, L=40, as bench/stage2/make_stage2_finetune_golden.py:
    "channels", "cell_types", "pre_concat", "hidden", "length", "sequences" (row 3 has NN),
    "params" (model_stage1.* first), "cell_type_codes", "targets", "loss",
    "gradients": {name: flat} for model_stage1.conv1.{weight,bias} and every head parameter}}
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
from sigtfb_reference import CNN_Multilabel, Net_Stage2, one_hot  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "Tests", "Fixtures", "golden")
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def flat(t):
    return [float(v) for v in np.asarray(t.detach().cpu().numpy(), dtype=np.float32).reshape(-1)]


def rows(t):
    return [[float(v) for v in r] for r in np.asarray(t.detach().cpu().numpy(), dtype=np.float32)]


def state_entries(m):
    out = {}
    for k, v in m.state_dict().items():
        a = v.detach().cpu().numpy()
        if a.dtype == np.int64:
            out[k] = {"shape": list(a.shape), "data": [int(x) for x in a.reshape(-1)]}
        else:
            out[k] = {"shape": list(a.shape), "data": flat(v)}
    return out


def randomise(net, rng, random_running=True):
    new = {}
    for k, v in net.state_dict().items():
        shape = tuple(v.shape)
        if k.endswith("num_batches_tracked"):
            new[k] = torch.zeros_like(v)
        elif k.endswith("running_var"):
            new[k] = torch.from_numpy(rng.uniform(0.5, 2.0, size=shape).astype(np.float32)) if random_running else torch.ones(shape)
        elif k.endswith("running_mean"):
            new[k] = torch.from_numpy(rng.normal(0, 0.5, size=shape).astype(np.float32)) if random_running else torch.zeros(shape)
        elif k.split(".")[-2].startswith("bn") and k.endswith("weight"):
            new[k] = torch.from_numpy(rng.uniform(0.7, 1.3, size=shape).astype(np.float32))
        elif k.endswith("bias"):
            new[k] = torch.from_numpy(rng.normal(0, 0.1, size=shape).astype(np.float32))
        else:
            new[k] = torch.from_numpy(rng.normal(0, 0.4, size=shape).astype(np.float32))
    net.load_state_dict(new, strict=True)


def head(L):
    C, N, P, H, B = 8, 3, 5, 6, 16
    rng = np.random.RandomState(20260110 + L)
    net = Net_Stage2(None, num_units=N, size_conv_out=C, neurons_per_layer_pre_concat=P,
                     neurons_per_layer=H, dropout_prob=0.0, init_weights=False, num_hidden_layers=L)
    randomise(net, rng)
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
    f = feats.clone().requires_grad_(True)
    h_train, _, lp_train = probe.forward_features(f, codes_t)
    loss0 = F.nll_loss(lp_train, targets_t)
    loss0.backward()
    grads = {k: flat(p.grad) for k, p in probe.named_parameters()}

    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
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
    return {"channels": C, "cell_types": N, "pre_concat": P, "hidden": H, "batch": B,
            "params": init_entries, "features": rows(feats), "cell_type_codes": rows(codes_t),
            "targets": [int(t) for t in targets],
            "logprobs_eval_mode": rows(lp_eval), "logprobs_train_mode": rows(lp_train),
            "hidden_train_mode": rows(h_train), "loss": float(np.float32(loss0.item())),
            "gradients": grads, "grad_features": rows(f.grad),
            "sgd": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.001, "dampening": 0},
            "steps": 3, "losses": losses, "params_after": state_entries(net),
            "logprobs_eval_mode_after": rows(lp_eval_after)}


def finetune(L):
    C, N, P, H, B, Lseq = 6, 3, 4, 5, 12, 40
    rng = np.random.RandomState(20260120 + L)
    seqs = ["".join(rng.choice(list("ACGT"), size=Lseq)) for _ in range(B)]
    seqs[3] = seqs[3][:10] + "NN" + seqs[3][12:]
    s1 = CNN_Multilabel(C, N, Lseq, init_weights=False)
    net = Net_Stage2(s1, num_units=N, size_conv_out=C, neurons_per_layer_pre_concat=P, neurons_per_layer=H,
                     dropout_prob=0.0, freeze_pretrained_model=False, init_weights=False, num_hidden_layers=L)
    randomise(net, rng, random_running=False)
    codes = np.zeros((B, N), dtype=np.float32)
    codes[np.arange(B // 2), rng.randint(0, N, size=B // 2)] = 1.0
    targets = rng.randint(0, 2, size=B)
    entries = state_entries(net)
    net.train()
    lp = net(one_hot(seqs), torch.from_numpy(codes))[2]
    loss = F.nll_loss(lp, torch.from_numpy(targets.astype(np.int64)))
    loss.backward()
    grads = {k: flat(p.grad) for k, p in net.named_parameters() if p.grad is not None}
    assert "model_stage1.conv1.weight" in grads and "model_stage1.fc1.weight" not in grads
    assert np.abs(np.array(grads["model_stage1.conv1.weight"])).max() > 1e-4
    return {"channels": C, "cell_types": N, "pre_concat": P, "hidden": H, "length": Lseq, "sequences": seqs,
            "params": entries, "cell_type_codes": codes.tolist(), "targets": [int(t) for t in targets],
            "loss": float(loss.item()), "gradients": grads}


def main():
    for L in (0, 2):
        doc = {"num_hidden_layers": L, "head": head(L), "finetune": finetune(L)}
        names = list(doc["head"]["params"])
        path = os.path.join(OUT, f"stage2_head_L{L}_golden.json")
        with open(path, "w") as fh:
            json.dump(doc, fh, separators=(",", ":"))
            fh.write("\n")
        print(path, os.path.getsize(path), "bytes;", "state_dict:", " ".join(names))


if __name__ == "__main__":
    main()
