#!/usr/bin/env bash
# Issue 3: sigtfb's stage-1 throughput and PyTorch's on the same machine, in the same run.
#   bash bench/speed/run_speed.sh [sigtfb binary] > bench/speed/results.json
# Needs a release build (make release) and, for the PyTorch half, python3 with torch.
# Both sides time every configuration in three windows of WINDOW_S seconds (default 3) and keep
# the best window.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-.build/release/sigtfb}
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
WINDOW_S=${WINDOW_S:-3}
SWIFT_JSON=$("$BIN" bench --seconds "$WINDOW_S")
TORCH_JSON=$(python3 bench/reference/pytorch_speed.py --threads 2 --min-s "$WINDOW_S")
python3 - "$SWIFT_JSON" "$TORCH_JSON" <<'PY'
import json, sys
s, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def key(r): return (r["channels"], r["batch"])
tt = {key(r): r["seq_per_s"] for r in t["train"]}
ti = {key(r): r["seq_per_s"] for r in t["infer"]}
rows = []
for r in s["train"]:
    rows.append({"kind": "train", "channels": r["channels"], "batch": r["batch"], "sigtfb_seq_per_s": r["seq_per_s"],
                 "pytorch_seq_per_s": tt.get(key(r)), "speedup": r["seq_per_s"] / tt[key(r)] if key(r) in tt else None})
for r in s["infer"]:
    rows.append({"kind": "infer", "channels": r["channels"], "batch": r["batch"], "sigtfb_seq_per_s": r["seq_per_s"],
                 "pytorch_seq_per_s": ti.get(key(r)), "speedup": r["seq_per_s"] / ti[key(r)] if key(r) in ti else None})
print(json.dumps({"sigtfb": s, "pytorch": t, "comparison": rows}, indent=1))
for r in rows:
    print(f"{r['kind']:5} C={r['channels']:3} batch={r['batch']:4}  sigtfb {r['sigtfb_seq_per_s']:>10.0f}  "
          f"pytorch {r['pytorch_seq_per_s'] or 0:>10.0f}  x{(r['speedup'] or 0):.1f}", file=sys.stderr)
print(f"epoch over 100k at C=100: {s['epoch_100k_s']:.2f} s; peak RSS with {s['sequences_held']} sequences held: {s['peak_rss_mib']:.0f} MiB", file=sys.stderr)
PY
