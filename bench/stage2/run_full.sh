#!/bin/bash
# usage: [B=path/to/sigtfb] run_full.sh OUTDIR [extra flags for both stages...]
# Full default budget (15 trials, the original's epoch range) on the three demo TF-ABs; wall times in OUTDIR/times.txt.
# Extra stage-2-only flags: S2FLAGS="--final-model guarded-retrain" run_full.sh OUTDIR
B=${B:-/tmp/s2b/sigtfb}
D=${D:-/work/shared/demo-data/h5}
TFABS=${TFABS:-"CEBPB.ENCAB102SYN CTCF.ENCAB101SYN MAX.ENCAB103SYN"}
OUT=$1; shift
mkdir -p $OUT
for tfab in $TFABS; do
  TF=${tfab%%.*}; AB=${tfab#*.}
  s=$(date +%s.%N)
  $B stage1 --tf $TF --ab $AB --chip-data $D/$tfab.h5 --hyperparameter-path $OUT/hp1/$tfab --save-model-path $OUT/models1 "$@" > $OUT/$tfab.stage1.txt 2> $OUT/$tfab.stage1.log
  m=$(date +%s.%N)
  $B stage2 --tf $TF --ab $AB --chip-data $D/$tfab.h5 --hyperparameter-path $OUT/hp2/$tfab --save-model-path $OUT/models2 --model-stage1-path $OUT/models1/$TF/$AB/$tfab.safetensors "$@" $S2FLAGS > $OUT/$tfab.stage2.txt 2> $OUT/$tfab.stage2.log
  e=$(date +%s.%N)
  echo "$tfab stage1 $(echo "$m - $s" | bc) s stage2 $(echo "$e - $m" | bc) s" >> $OUT/times.txt
done
