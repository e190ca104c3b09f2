#!/usr/bin/env bash
# Issue 2 "it learns": test macro AUROC of stage 1 on each demo TF-AB, fixed settings
# (C=64, 128 balanced pairs per batch, lr 1e-3, 20 epochs, conv/linear std 0.01 as the PyTorch
# reference run; third argument), seeds 1-5.
#   bash bench/stage1/demo_learning.sh [sigtfb binary] [demo-data dir] [std] > bench/stage1/demo_learning_swift.json
set -euo pipefail
BIN=${1:-.build/release/sigtfb}
DATA=${2:-../shared/demo-data}
STD=${3:-0.01}
OUT=$(mktemp -d)
echo "{"
first=1
for h5 in "$DATA"/h5/*.h5; do
  name=$(basename "$h5" .h5)
  for seed in 1 2 3 4 5; do
    start=$(date +%s.%N)
    "$BIN" train-stage1 --chip-data "$h5" --out "$OUT/$name.$seed" --num-channels 64 --batch-size 128 \
        --learning-rate 1e-3 --epochs 20 --conv-std "$STD" --linear-std "$STD" --seed "$seed" >/dev/null 2>&1
    end=$(date +%s.%N)
    auroc=$(python3 -c "import json;print(json.load(open('$OUT/$name.$seed/metrics.json'))['test']['macro']['auroc'])")
    auprc=$(python3 -c "import json;print(json.load(open('$OUT/$name.$seed/metrics.json'))['test']['macro']['auprc'])")
    [ $first = 1 ] || echo ","
    first=0
    printf '  "%s.seed%s": {"test_macro_auroc": %s, "test_macro_auprc": %s, "wall_s": %.2f}' "$name" "$seed" "$auroc" "$auprc" "$(echo "$end - $start" | bc)"
  done
done
echo
echo "}"
rm -rf "$OUT"
