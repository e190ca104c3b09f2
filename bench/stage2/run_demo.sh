#!/bin/bash
# Demo pipeline for all three TF-ABs (reduced budget), default early stopping.
B=/tmp/s2run/sigtfb
D=/work/shared/demo-data/h5
OUT=/tmp/s2run/out
for tfab in CEBPB.ENCAB102SYN CTCF.ENCAB101SYN MAX.ENCAB103SYN; do
  TF=${tfab%%.*}; AB=${tfab#*.}
  s=$(date +%s.%N)
  $B stage1 --tf $TF --ab $AB --chip-data $D/$tfab.h5 --hyperparameter-path $OUT/hp1/$tfab --save-model-path $OUT/models1 --trials ${TRIALS:-6} --max-epochs ${MAXE:-60} --seed 12345 > $OUT/$tfab.stage1.txt 2> $OUT/$tfab.stage1.log
  m=$(date +%s.%N)
  $B stage2 --tf $TF --ab $AB --chip-data $D/$tfab.h5 --hyperparameter-path $OUT/hp2/$tfab --save-model-path $OUT/models2 --model-stage1-path $OUT/models1/$TF/$AB/$tfab.safetensors --trials ${TRIALS:-6} --max-epochs ${MAXE:-60} --seed 12345 > $OUT/$tfab.stage2.txt 2> $OUT/$tfab.stage2.log
  e=$(date +%s.%N)
  echo "$tfab stage1 $(echo "$m - $s" | bc) s stage2 $(echo "$e - $m" | bc) s" >> $OUT/times.txt
done
