#!/bin/bash
# Runs one fuzz harness at low priority: bench/fuzz/run.sh <target> <seconds> [corpus-dir]
# The working corpus defaults to bench/fuzz/corpus/<target> (seeded by seeds.py; not committed);
# crashes land in bench/fuzz/artifacts/<target>/. Logs go to bench/fuzz/logs/<target>-<time>.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
t=$1; secs=$2; corpus=${3:-bench/fuzz/corpus/$t}
[ -d "$corpus" ] || python3 bench/fuzz/seeds.py "$(dirname "$corpus")"
mkdir -p "bench/fuzz/artifacts/$t" bench/fuzz/logs
log=bench/fuzz/logs/$t-$(date +%Y%m%d-%H%M%S).log
echo "log: $log"
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 nice -n 19 "bench/fuzz/bin/fuzz-$t" "$corpus" \
  -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
  -print_final_stats=1 -dict="bench/fuzz/dict/$([ "$t" = tuning ] || [ "$t" = safetensors ] && echo json || echo text).dict" -artifact_prefix="bench/fuzz/artifacts/$t/" > "$log" 2>&1 || true
grep -E "^#[0-9]+.*(DONE|pulse)|Done [0-9]+ runs|stat::number_of_executed_units|ERROR|SUMMARY|Test unit written|cov:" "$log" | tail -6
