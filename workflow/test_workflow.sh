#!/usr/bin/env bash
# Tests the Snakemake workflow: runs it locally (--cores 2) on a tiny copy of the bundled demo
# peaks (2 TF-ABs), checks the summary, then dry-runs the Slurm profile.
#   workflow/test_workflow.sh                 # uses $SIGTFB, else .build/release/sigtfb, else .build/debug/sigtfb
# Needs: snakemake (pip install snakemake snakemake-executor-plugin-slurm), gzip.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SIGTFB="${SIGTFB:-}"
if [ -z "$SIGTFB" ]; then
    for b in .build/release/sigtfb .build/debug/sigtfb; do [ -x "$b" ] && SIGTFB="$ROOT/$b" && break; done
fi
[ -n "$SIGTFB" ] && [ -x "$SIGTFB" ] || { echo "test_workflow: build sigtfb first (swift build) or set SIGTFB" >&2; exit 1; }
command -v snakemake >/dev/null || { echo "test_workflow: snakemake not found (pip install snakemake snakemake-executor-plugin-slurm)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sigtfb-workflow.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
FIX="$ROOT/Tests/Fixtures/preprocess"
for tfab in CEBPB.ENCAB102SYN MAX.ENCAB103SYN; do
    d="$WORK/peaks/${tfab%%.*}/${tfab#*.}"
    mkdir -p "$d"
    for f in "$FIX/peaks/$tfab"/*.bed.gz; do
        b="$(basename "$f" .gz)"
        ( set +o pipefail; gzip -dc "$f" | head -n 150 > "$d/$b" )   # head closes the pipe early
    done
done
CONFIG=(peaks="$WORK/peaks" genome="$FIX/genome.fa.gz" chrom_sizes="$FIX/chrom.sizes" out="$WORK/results"
        sigtfb="$SIGTFB" trials=1 max_epochs=1 bootstrap=50 threads=2 motif_db="$ROOT/Tests/Fixtures/motifs/small.meme")

echo "== local run (--cores 2)"
snakemake -s "$ROOT/workflow/Snakefile" --directory "$WORK" --cores 2 --config "${CONFIG[@]}" --quiet rules
TSV="$WORK/results/summary/signatures.tsv"
HTML="$WORK/results/summary/signatures.html"
test -s "$TSV" && test -s "$HTML" && test -s "$WORK/results/summary/signatures_per_cell_type.tsv"
head -1 "$TSV" | grep -q "q_value" || { echo "FAIL: no q_value column" >&2; exit 1; }
[ "$(tail -n +2 "$TSV" | wc -l)" -eq 2 ] || { echo "FAIL: expected 2 TF-AB rows" >&2; cat "$TSV"; exit 1; }
for r in CEBPB/ENCAB102SYN MAX/ENCAB103SYN; do
    test -s "$WORK/results/$r/report.html" || { echo "FAIL: no report for $r" >&2; exit 1; }
done
if grep -qi "http" "$HTML"; then echo "FAIL: the summary HTML refers to the network" >&2; exit 1; fi
echo "== rerun: nothing to do"
snakemake -s "$ROOT/workflow/Snakefile" --directory "$WORK" --cores 2 --config "${CONFIG[@]}" -n 2>&1 | grep -q "Nothing to be done" \
    || { echo "FAIL: a rerun wants to do work" >&2; exit 1; }

SUMMARY="$(tail -n +2 "$TSV" | cut -f1,2,7,10,11 | tr '\t' ' ' | paste -sd ';')"

echo "== Slurm profile dry run"
rm -rf "$WORK/results"
OUTPUT="$(snakemake -s "$ROOT/workflow/Snakefile" --directory "$WORK" -n --profile "$ROOT/workflow/profiles/slurm" --config "${CONFIG[@]}" 2>&1)" \
    || { echo "$OUTPUT" >&2; echo "FAIL: Slurm dry run" >&2; exit 1; }
echo "$OUTPUT" | grep -q "run_tfab" || { echo "$OUTPUT" >&2; echo "FAIL: no run_tfab jobs planned" >&2; exit 1; }
echo "$OUTPUT" | grep -Eq "summarize" || { echo "FAIL: no summarize job planned" >&2; exit 1; }
echo "$OUTPUT" | grep -q "mem_mb=16000.*runtime=1440.*cpus_per_task=8" \
    || { echo "$OUTPUT" >&2; echo "FAIL: the profile's run_tfab resources were not applied" >&2; exit 1; }
echo "$OUTPUT" | grep -E "^(run_tfab|summarize|all|total) " || true
echo "test_workflow: OK (tf ab delta p q: $SUMMARY)"
