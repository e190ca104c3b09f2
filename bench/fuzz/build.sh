#!/bin/bash
# Builds the libFuzzer harnesses (one per parser) into bench/fuzz/bin/ by compiling the needed
# module sources directly with the harness (-sanitize=fuzzer,address). Usage: bench/fuzz/build.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/fuzz/bin
mkdir -p "$OUT"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 5)
targets=("${@:-peaks fasta meme tuning safetensors}")
for t in ${targets[@]}; do
  case "$t" in
    peaks|fasta) srcs=(Sources/Genomics/*.swift); extra=(-I Sources/CZlib -lz) ;;
    meme) srcs=(Sources/Motifs/MEMEFile.swift Sources/Motifs/MEMEFormatError.swift Sources/Motifs/PWM.swift Sources/Genomics/AtomicWrite.swift Sources/Genomics/GenomicsError.swift); extra=() ;;
    tuning) srcs=(Sources/Tuning/*.swift); extra=(-I Sources/COpenBLAS $(pkg-config --cflags-only-I openblas | sed 's/-I/-Xcc -I/g') $(pkg-config --libs openblas)) ;;
    safetensors) srcs=(Sources/Storage/Safetensors.swift Sources/Storage/AtomicFile.swift Sources/Genomics/AtomicWrite.swift Sources/Genomics/GenomicsError.swift); extra=() ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  echo "building $OUT/fuzz-$t"
  swiftc "${FLAGS[@]}" -module-name Fuzz "${srcs[@]}" "bench/fuzz/harness/$t.swift" "${extra[@]}" \
    -o "$OUT/fuzz-$t" 2> >(grep -v "ld.gold: warning: Cannot export local symbol" >&2)
done
