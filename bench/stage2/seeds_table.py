#!/usr/bin/env python3
"""Ground-truth verdicts of run_full.sh runs over several seeds.

usage: seeds_table.py TRUTH.json LABEL=RUNROOT ...   (RUNROOT/seed<N>/ as written by run_full.sh)

One row per TF-AB and seed: stage-1 test AUROC, macro ΔAUROC, macro p, and whether the verdict
(p < 0.01 for a TF-AB with a signature, p ≥ 0.01 for a control) is right; then the count per label.
"""
import glob, json, os, sys
truth = json.load(open(sys.argv[1]))["tfabs"]
for arg in sys.argv[2:]:
    label, root = arg.split("=", 1)
    rows, right = [], 0
    seeds = [p for p in glob.glob(os.path.join(root, "seed*")) if os.path.isdir(p) and p.rsplit("seed", 1)[1].isdigit()]
    for d in sorted(seeds, key=lambda p: int(p.rsplit("seed", 1)[1])):
        seed = d.rsplit("seed", 1)[1]
        for tfab, t in sorted(truth.items()):
            tf, ab = tfab.split(".")
            sp = f"{d}/models2/{tf}/{ab}/signature.json"
            if not os.path.exists(sp): continue
            s = json.load(open(sp))["macro"]
            m1 = json.load(open(f"{d}/models1/{tf}/{ab}/metrics.json"))["test"]["macro"]["auroc"]
            ok = (s["p_value"] < 0.01) == t["has_signature"]
            right += ok
            rows.append(f"| {label} | {seed} | {tfab} | {'yes' if t['has_signature'] else 'no (control)'} | {m1:.3f} | "
                        f"{s['delta_auroc']:+.3f} | {s['p_value']:.2g} | {'right' if ok else '**wrong**'} |")
    print("| version | seed | TF-AB | signature in truth | stage-1 test AUROC | macro ΔAUROC | macro p | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{label}: {right}/{len(rows)} verdicts right\n")
