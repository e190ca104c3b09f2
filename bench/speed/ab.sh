#!/usr/bin/env bash
# A/B throughput of two sigtfb binaries, alternated to share the machine's drift:
#   bash bench/speed/ab.sh OLD_BIN NEW_BIN [rounds] [threads]
# Prints every round and the best of each (the machine's noise only ever slows a run down).
set -euo pipefail
OLD=$1 NEW=$2 ROUNDS=${3:-3} THREADS=${4:-2}
for r in $(seq "$ROUNDS"); do
  for which in old new; do
    BIN=$OLD; [ $which = new ] && BIN=$NEW
    "$BIN" bench --held 20000 --seconds 1 --channels 16,100 --threads "$THREADS" --only train 2>&1 >/dev/null | sed "s/^/$which /"
    "$BIN" bench --held 20000 --seconds 1 --channels 16,100 --threads "$THREADS" --only infer 2>&1 >/dev/null | sed "s/^/$which /"
  done
done | tee /tmp/ab.$$ >&2
echo "best of $ROUNDS, $THREADS threads:"
awk '{key=$1" "$2" "$3" "$4; v=$5; if (v>best[key]) best[key]=v} END {for (k in best) print k, best[k]}' /tmp/ab.$$ | sort -k2,4 -k1,1
