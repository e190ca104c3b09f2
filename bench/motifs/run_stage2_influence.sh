#!/usr/bin/env bash
# Stage-2 influence ground truth on the models of bench/stage2/run_full.sh runs.
# usage: bench/motifs/run_stage2_influence.sh BIN RUNDIR...   (each RUNDIR as written by run_full.sh)
set -euo pipefail
BIN=$1; shift
DATA=${DATA:-/work/shared/demo-data}
dirs=()
for run in "$@"; do
  for tfab in CEBPB.ENCAB102SYN MAX.ENCAB103SYN; do
    TF=${tfab%%.*}; AB=${tfab#*.}
    out=$run/motifs2/$tfab/motifs
    mkdir -p "$run/motifs2"
    if [ ! -f "$out/motifs.json" ]; then
      "$BIN" motifs --model "$run/models1/$TF/$AB/$tfab.safetensors" --stage2-model "$run/models2/$TF/$AB/$tfab.safetensors" \
        --chip-data "$DATA/h5/$tfab.h5" --out "$out" --threads "${THREADS:-2}" > "$run/motifs2/$tfab.log" 2>&1
    fi
    dirs+=("$out")
  done
done
python3 "$(dirname "$0")/stage2_influence.py" "$DATA/truth.json" "${dirs[@]}"
