#!/usr/bin/env bash
# Evidence that a sigtfb stage-1 checkpoint loads into PyTorch's CNN_Multilabel with
# load_state_dict and gives the same outputs. Run once (needs torch); not part of CI.
#   bash bench/reference/make_safetensors_evidence.sh [path/to/sigtfb]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-.build/debug/sigtfb}
OUT=Tests/Fixtures/golden/safetensors
mkdir -p "$OUT"
"$BIN" train-stage1 --chip-data Tests/Fixtures/h5/ctcf_small.h5 --out "$OUT" --num-channels 8 \
    --epochs 3 --batch-size 16 --learning-rate 0.01 --conv-std 0.1 --linear-std 0.1 --seed 7 --threads 1
"$BIN" evaluate --model "$OUT/model.safetensors" --chip-data Tests/Fixtures/h5/ctcf_small.h5 \
    --logits-out "$OUT/expected.json" --threads 1
rm -f "$OUT/metrics.json" "$OUT/epochs.csv"
python3 bench/reference/check_safetensors.py "$OUT/model.safetensors" "$OUT/expected.json" | tee "$OUT/pytorch_check.json"
