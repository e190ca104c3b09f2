#!/usr/bin/env bash
# Issue 3's ratios as a distribution: ROUNDS back-to-back rounds of run_speed.sh (sigtfb, then
# PyTorch, in the same round), so that each ratio compares two measurements minutes apart. This
# machine's throughput drifts by up to 2x over minutes (its cores share caches with other tenants),
# so one round proves little; the median and range over rounds are what BENCHMARKS.md reports.
#   bash bench/speed/run_rounds.sh [sigtfb binary] [rounds] > bench/speed/rounds.json
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-.build/release/sigtfb}
ROUNDS=${2:-5}
export WINDOW_S=${WINDOW_S:-1}
TMP=$(mktemp -d)
for r in $(seq "$ROUNDS"); do
  echo "round $r/$ROUNDS (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  bash bench/speed/run_speed.sh "$BIN" > "$TMP/round$r.json" 2>"$TMP/round$r.err"
done
python3 - "$TMP" "$ROUNDS" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
runs = [json.load(open(f"{tmp}/round{r}.json")) for r in range(1, rounds + 1)]
rows = []
for i, row in enumerate(runs[0]["comparison"]):
    ratios = [run["comparison"][i]["speedup"] for run in runs]
    ours = [run["comparison"][i]["sigtfb_seq_per_s"] for run in runs]
    theirs = [run["comparison"][i]["pytorch_seq_per_s"] for run in runs]
    rows.append({"kind": row["kind"], "channels": row["channels"], "batch": row["batch"],
                 "speedup_median": statistics.median(ratios), "speedup_min": min(ratios), "speedup_max": max(ratios),
                 "speedups": ratios, "sigtfb_seq_per_s": ours, "pytorch_seq_per_s": theirs})
    print(f"{row['kind']:5} C={row['channels']:3} batch={row['batch']:4}  speedup median x{statistics.median(ratios):.1f} "
          f"(x{min(ratios):.1f}-x{max(ratios):.1f}); sigtfb {min(ours):,.0f}-{max(ours):,.0f}, "
          f"pytorch {min(theirs):,.0f}-{max(theirs):,.0f}", file=sys.stderr)
epochs = [run["sigtfb"]["epoch_100k_s"] for run in runs]
rss = [run["sigtfb"]["peak_rss_mib"] for run in runs]
print(f"epoch over 100k at C=100: {min(epochs):.2f}-{max(epochs):.2f} s; peak RSS {max(rss):.0f} MiB", file=sys.stderr)
print(json.dumps({"rounds": rounds, "window_s": float(__import__('os').environ.get('WINDOW_S', 1)),
                  "summary": rows, "epoch_100k_s": epochs, "peak_rss_mib": rss, "runs": runs}, indent=1))
PY
rm -rf "$TMP"
