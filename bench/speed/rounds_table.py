#!/usr/bin/env python3
"""Markdown table of sigtfb / PyTorch ratios over the rounds of one or more run_rounds.sh outputs.

    python3 bench/speed/rounds_table.py bench/speed/rounds.json [more.json ...]
"""
import json
import statistics
import sys

runs = []
for path in sys.argv[1:]:
    runs += json.load(open(path))["runs"]
first = runs[0]["comparison"]
print(f"| | C | batch | sigtfb seq/s (range) | PyTorch seq/s (range) | ratio per round | median | rounds ≥ 20× |")
print("|---|---|---|---|---|---|---|---|")
for i, row in enumerate(first):
    ours = [r["comparison"][i]["sigtfb_seq_per_s"] for r in runs]
    theirs = [r["comparison"][i]["pytorch_seq_per_s"] for r in runs]
    ratios = [r["comparison"][i]["speedup"] for r in runs]
    print(f"| {row['kind']} | {row['channels']} | {row['batch']} | {min(ours):,.0f}–{max(ours):,.0f} | "
          f"{min(theirs):,.0f}–{max(theirs):,.0f} | {', '.join(f'{x:.1f}' for x in ratios)} | "
          f"**{statistics.median(ratios):.1f}×** | {sum(x >= 20 for x in ratios)}/{len(ratios)} |")
epochs = [r["sigtfb"]["epoch_100k_s"] for r in runs]
rss = [r["sigtfb"]["peak_rss_mib"] for r in runs]
print(f"\nOne epoch over 100k sequences at C=100: {min(epochs):.2f}–{max(epochs):.2f} s; "
      f"peak RSS with {runs[0]['sigtfb']['sequences_held']:,} sequences held: {max(rss):.0f} MiB ({len(runs)} rounds).")
