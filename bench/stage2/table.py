"""Prints the BENCHMARKS-stage2.md table rows of a run_full.sh output directory: python3 table.py OUTDIR LABEL"""
import json, os, sys
out, label = sys.argv[1], sys.argv[2]
times = {}
for l in open(os.path.join(out, "times.txt")):
    p = l.split(); times[p[0]] = (float(p[2]), float(p[5]))
for t in ["CEBPB.ENCAB102SYN", "CTCF.ENCAB101SYN", "MAX.ENCAB103SYN"]:
    if t not in times: continue
    tf, ab = t.split(".")
    m1 = json.load(open(f"{out}/models1/{tf}/{ab}/metrics.json"))
    s = json.load(open(f"{out}/models2/{tf}/{ab}/signature.json"))
    m2 = json.load(open(f"{out}/models2/{tf}/{ab}/metrics.json"))
    mac = s["macro"]
    per = "; ".join(f"{c} {s['per_cell_type'][c]['delta_auroc']:+.3f} (p={s['per_cell_type'][c]['p_value']:.2g})" for c in s["cell_types"])
    fm = m2["final_model"]
    print(f"| {label} | {t} | {times[t][0]:.1f} | {times[t][1]:.1f} | {m1['test']['macro']['auroc']:.4f} | "
          f"{mac['auroc_told']:.4f} / {mac['auroc_not_told']:.4f} | {mac['delta_auroc']:+.4f} [{mac['ci'][0]:+.4f}, {mac['ci'][1]:+.4f}] | "
          f"{mac['p_value']:.3g} | {per} | {fm['source']} (trial {fm['trial']+1}, {fm['epochs']} ep, valid {fm['trial_validation']:.4f}) |")
