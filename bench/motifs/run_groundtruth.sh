#!/usr/bin/env bash
# Ground truth for `sigtfb motifs`: train stage 1 on each demo TF-AB, run motifs, measure recall.
# usage: bench/motifs/run_groundtruth.sh BIN OUTDIR [extra train-stage1 options...]
set -euo pipefail
BIN=$1; OUT=$2; shift 2
DATA=${DATA:-/work/shared/demo-data}
for h5 in "$DATA"/h5/*.h5; do
  t=$(basename "$h5" .h5)
  mkdir -p "$OUT/$t"
  "$BIN" train-stage1 --chip-data "$h5" --out "$OUT/$t/stage1" --threads "${THREADS:-2}" "$@" > "$OUT/$t/train.log" 2>&1
  "$BIN" motifs --model "$OUT/$t/stage1/model.safetensors" --chip-data "$h5" --out "$OUT/$t/motifs" --threads "${THREADS:-2}" > "$OUT/$t/motifs.log" 2>&1
done
python3 "$(dirname "$0")/recall.py" "$DATA/truth.json" "$OUT"/*/motifs > "$OUT/recall.json" 2> "$OUT/recall.txt"
cat "$OUT/recall.txt"
