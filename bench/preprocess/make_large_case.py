#!/usr/bin/env python3
"""Generates the large preprocessing benchmark case (never committed):

  OUT/genome.fa      ~3.1 Gb, hg38 chromosome names and lengths (chr1..22, X, Y), 60-column lines,
                     a seeded random 8 Mb ACGT block (with N runs and soft-masked stretches) repeated
                     with a per-chromosome rotation
  OUT/peaks/CELL.bed 14 cell types x 50,000 narrowPeak lines (shared binding sites, jittered)

Usage: python3 bench/preprocess/make_large_case.py [OUT=/tmp/sigtfb-prep-bench] [--scale 1.0]
Standard library only; deterministic (seed 20240501).
"""
import os
import random
import sys

HG38 = [("chr1", 248956422), ("chr2", 242193529), ("chr3", 198295559), ("chr4", 190214555),
        ("chr5", 181538259), ("chr6", 170805979), ("chr7", 159345973), ("chr8", 145138636),
        ("chr9", 138394717), ("chr10", 133797422), ("chr11", 135086622), ("chr12", 133275309),
        ("chr13", 114364328), ("chr14", 107043718), ("chr15", 101991189), ("chr16", 90338345),
        ("chr17", 83257441), ("chr18", 80373285), ("chr19", 58617616), ("chr20", 64444167),
        ("chr21", 46709983), ("chr22", 50818468), ("chrX", 156040895), ("chrY", 57227415)]
CELLS = ["A549", "GM12878", "H1", "HCT116", "HEK293", "HeLa-S3", "HepG2", "IMR-90", "K562",
         "MCF-7", "SK-N-SH", "keratinocyte", "liver", "lung"]
PEAKS_PER_CELL = 50_000
WIDTH = 60
BLOCK_LINES = 8_000_000 // WIDTH


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = args[0] if args else "/tmp/sigtfb-prep-bench"
    scale = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1.0
    chroms = [(n, max(10_000, int(l * scale))) for n, l in HG38]
    os.makedirs(os.path.join(out, "peaks"), exist_ok=True)
    rng = random.Random(20240501)

    # One random block of whole lines: ACGT, some N runs, some lower-case stretches.
    block = bytearray(rng.choices(b"ACGT", k=BLOCK_LINES * WIDTH))
    for _ in range(200):
        s = rng.randrange(len(block) - 5000)
        n = rng.randrange(100, 5000)
        block[s:s + n] = b"N" * n
    for _ in range(2000):
        s = rng.randrange(len(block) - 2000)
        e = s + rng.randrange(50, 2000)
        block[s:e] = block[s:e].lower()
    lines = [bytes(block[i * WIDTH:(i + 1) * WIDTH]) + b"\n" for i in range(BLOCK_LINES)]

    with open(os.path.join(out, "genome.fa"), "wb", buffering=1 << 24) as f:
        for ci, (name, length) in enumerate(chroms):
            f.write(b">" + name.encode() + b"\n")
            full, rest = divmod(length, WIDTH)
            rot = (ci * 7919) % BLOCK_LINES
            text = b"".join(lines[rot:] + lines[:rot])
            while full >= BLOCK_LINES:
                f.write(text)
                full -= BLOCK_LINES
            f.write(text[:full * (WIDTH + 1)])
            if rest:
                k = full % BLOCK_LINES
                f.write(lines[(rot + k) % BLOCK_LINES][:rest] + b"\n")
    with open(os.path.join(out, "chrom.sizes"), "w") as f:
        for name, length in chroms:
            f.write(f"{name}\t{length}\n")

    # Shared sites: each cell type binds ~50k of 150k sites, with jittered boundaries.
    total = sum(l for _, l in chroms)
    sites = []
    for _ in range(150_000):
        x = rng.randrange(total)
        for name, length in chroms:
            if x < length:
                break
            x -= length
        sites.append((name, max(0, min(length - 1000, x))))
    for cell in CELLS:
        picked = rng.sample(sites, PEAKS_PER_CELL)
        rows = []
        for name, pos in picked:
            start = max(0, pos + rng.randrange(-60, 60))
            width = rng.randrange(150, 600)
            summit = rng.randrange(width)
            score = rng.randrange(100, 1000)
            rows.append((name, start, start + width, score, summit))
        rows.sort()
        with open(os.path.join(out, "peaks", cell + ".bed"), "w") as f:
            for i, (name, s, e, score, summit) in enumerate(rows):
                f.write(f"{name}\t{s}\t{e}\tPeak_{i}\t{score}\t.\t{score / 30:.5f}\t{score / 10:.5f}\t{score / 11:.5f}\t{summit}\n")
    print(f"wrote {out}/genome.fa ({total} bp), {len(CELLS)} x {PEAKS_PER_CELL} peaks in {out}/peaks")


if __name__ == "__main__":
    main()
