#!/usr/bin/env bash
# Evidence that sigtfb stage-2 checkpoints of every head variant (--num_hidden_layers 0, 1, 2)
# load into the reference PyTorch Net_Stage2 by name (load_state_dict strict) and give the same
# probabilities as `sigtfb predict`. Run once (needs torch); not part of CI.
#   bash bench/reference/make_stage2_safetensors_evidence.sh [path/to/sigtfb]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-.build/debug/sigtfb}
H5=Tests/Fixtures/h5/ctcf_small.h5
OUT=Tests/Fixtures/golden/safetensors/stage2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
"$BIN" stage1 --TF CTCF --AB S --chipData "$H5" --hyperparameterPath "$WORK/s1" --saveModelPath "$WORK/s1" \
    --trials 1 --max-epochs 1 --threads 1 --num_channels 8 --batch_size 16 --seed 7 2>/dev/null
python3 - "$H5" "$OUT/sequences.fa" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
x = f["test_in"][:12]
with open(sys.argv[2], "w") as out:
    for i, s in enumerate(x):
        m = s[:, 0, :]
        seq = "".join("N" if m[:, j].max() < 1 else "ACGT"[int(m[:, j].argmax())] for j in range(m.shape[1]))
        if i == 5:
            seq = seq[:40] + "NNN" + seq[43:]
        out.write(f">test{i}\n{seq}\n")
PY
for L in 0 1 2; do
    "$BIN" stage2 --TF CTCF --AB S --chipData "$H5" --model_stage1_path "$WORK/s1/CTCF/S/CTCF.S.safetensors" \
        --hyperparameterPath "$WORK/s2_$L" --saveModelPath "$WORK/s2_$L" --trials 1 --max-epochs 2 --bootstrap 20 \
        --threads 1 --seed 7 --num_hidden_layers $L --neurons_per_layer 6 --neurons_per_layer_pre_concat 4 \
        --dropout_prob 0.001 2>/dev/null >/dev/null
    cp "$WORK/s2_$L/CTCF/S/CTCF.S.safetensors" "$OUT/L$L.safetensors"
    cp "$WORK/s2_$L/CTCF/S/CTCF.S.json" "$OUT/L$L.json"
    "$BIN" predict --model "$OUT/L$L.safetensors" --fasta "$OUT/sequences.fa" --out "$OUT/L$L.predictions.tsv" --threads 1 2>/dev/null
    python3 bench/reference/check_stage2_safetensors.py "$OUT/L$L.safetensors" "$OUT/sequences.fa" "$OUT/L$L.predictions.tsv" \
        | tee "$OUT/L$L.pytorch_check.json"
done
