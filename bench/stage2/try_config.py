#!/usr/bin/env python3
"""Train and test one stage-2 configuration with `sigtfb stage2` (exploration aid, not the product).

usage: try_config.py BIN H5 STAGE1_MODEL OUTDIR key=value ... [-- extra stage2 flags]

Creates a one-trial tuning state whose only trial is the given configuration (unset parameters take
the search space's centre), runs `sigtfb stage2 --trials 1` on it, prints the trial's validation,
cell-type sensitivity and the test signature.
"""
import json, os, subprocess, sys, shutil
args = sys.argv[1:]
extra = []
if "--" in args:
    i = args.index("--"); extra = args[i + 1:]; args = args[:i]
b, h5, m1, out = args[:4]
kv = dict(a.split("=", 1) for a in args[4:])
tfab = os.path.basename(h5)[:-3]; tf, ab = tfab.split(".")
shutil.rmtree(out, ignore_errors=True)
common = [b, "stage2", "--tf", tf, "--ab", ab, "--chip-data", h5, "--hyperparameter-path", out + "/hp",
          "--save-model-path", out + "/m", "--model-stage1-path", m1, "--trials", "1"] + extra
subprocess.run(common, check=True, capture_output=True)
st = json.load(open(out + "/hp/tuning-state.json"))
t = st["trials"][0]
for k, v in kv.items():
    old = t["parameters"][k]
    t["parameters"][k] = (v == "true") if isinstance(old, bool) else (int(v) if isinstance(old, int) else float(v))
t["status"] = "pending"; t["value"] = None
json.dump(st, open(out + "/hp/tuning-state.json", "w"))
for f in ["best-trial.json", "best-trial-model.safetensors", "best-trial-model.json", "curves.json", "trial-notes.json"]:
    p = out + "/hp/" + f
    if os.path.exists(p): os.remove(p)
subprocess.run(common, check=True, capture_output=True)
notes = json.load(open(out + "/hp/trial-notes.json"))["0"]
sig = json.load(open(f"{out}/m/{tf}/{ab}/signature.json"))
mac = sig["macro"]
per = " ".join(f"{c}:{sig['per_cell_type'][c]['delta_auroc']:+.3f}" for c in sig["cell_types"])
print(f"{tfab} {' '.join(args[4:])} | valid {notes.get('validation', 0):.4f} sens {notes.get('cell_type_sensitivity', 0):.3g} "
      f"best_ep {notes['best_epoch']}/{notes['epochs_run']} | test told {mac['auroc_told']:.3f} not {mac['auroc_not_told']:.3f} "
      f"Δ {mac['delta_auroc']:+.3f} p {mac['p_value']:.2g} | {per}")
