#!/usr/bin/env python3
"""Bit-exact Python re-statement of the random streams of the Swift port.

Reference-only (like the rest of bench/reference): it lets PyTorch replay the
exact trajectory a `sigtfb train-stage1` run takes (see replay_swift_run.py).

Mirrors:
  * Sources/NeuralNet/SeededRandom.swift  -- xoshiro256** seeded by SplitMix64;
      uniform() = (next() >> 11) * 2^-53; below(n) = Swift stdlib
      RandomNumberGenerator.next(upperBound:) (Lemire's nearly-divisionless
      method with a 64x64->128 multiply, stdlib/public/core/Random.swift);
      normal() = one Box-Muller value per call (u redrawn while u <= 0, then v);
      shuffle = Fisher-Yates from the end, j = below(i + 1).
  * Sources/SigTFB/Models/Stage1Model.swift init -- one SeededRandom(seed),
      weights in state_dict order (conv1.weight, fc1.weight, fc2.weight),
      row-major, Float(normal() * std); biases zero (no draws).
  * Sources/SigTFB/Training/Samplers.swift -- TrainValidationSplit.split
      (seed = hp.seed, nValid = round(0.2 n), both halves sorted) and
      BalancedPairSampler (seed = hp.seed &+ 0x5A5A; per draw: round-robin
      cell type, pos = positives[c][below(|pos|)], neg = negatives[c][below(|neg|)],
      rows [min, max]; pairsPerEpoch = len(train); last batch short).

Self-check: `python3 swift_rng.py --check-init MODEL.safetensors --seed S
--channels C --cell-types N` compares the reproduced init with a Swift model
written by `sigtfb train-stage1 ... --epochs 1 --learning-rate 1e-30` (Adam's
first step then moves each weight by ~1e-30, far below float32 resolution of
weights ~1e-2, so the file holds the init bit for bit; biases become ~1e-29).
"""
from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import numpy as np

M64 = (1 << 64) - 1


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & M64


class SeededRandom:
    """xoshiro256** seeded through SplitMix64, exactly as SeededRandom.swift."""

    def __init__(self, seed: int):
        sm = seed & M64
        s = []
        for _ in range(4):
            sm = (sm + 0x9E3779B97F4A7C15) & M64
            z = sm
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            s.append(z ^ (z >> 31))
        self.s0, self.s1, self.s2, self.s3 = s

    def next(self) -> int:
        s0, s1, s2, s3 = self.s0, self.s1, self.s2, self.s3
        result = (_rotl((s1 * 5) & M64, 7) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s0, self.s1, self.s2, self.s3 = s0, s1, s2, s3
        return result

    def uniform(self) -> float:
        return float(self.next() >> 11) * 2.0 ** -53

    def next_upper_bound(self, upper: int) -> int:
        """Swift stdlib RandomNumberGenerator.next(upperBound:) for UInt64."""
        assert upper > 0
        r = self.next()
        m = r * upper
        low, high = m & M64, m >> 64
        if low < upper:
            t = ((1 << 64) - upper) % upper  # (0 &- upperBound) % upperBound
            while low < t:
                r = self.next()
                m = r * upper
                low, high = m & M64, m >> 64
        return high

    def below(self, n: int) -> int:
        return self.next_upper_bound(n)

    def normal(self) -> float:
        u = self.uniform()
        while u <= 0:
            u = self.uniform()
        v = self.uniform()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)

    def shuffle(self, a: list) -> None:
        for i in range(len(a) - 1, 0, -1):
            j = self.below(i + 1)
            a[i], a[j] = a[j], a[i]


def parameter_shapes(channels: int, cell_types: int, width: int = 24, hidden: int = 32):
    return [("conv1.weight", (channels, 4, 1, width)), ("conv1.bias", (channels,)),
            ("fc1.weight", (hidden, channels)), ("fc1.bias", (hidden,)),
            ("fc2.weight", (cell_types, hidden)), ("fc2.bias", (cell_types,))]


def swift_init(channels: int, cell_types: int, conv_std: float, linear_std: float, seed: int):
    """Stage1Model.init(architecture:convStd:linearStd:seed:) -> {name: float32 array}."""
    rng = SeededRandom(seed)
    out = {}
    for name, shape in parameter_shapes(channels, cell_types):
        n = int(np.prod(shape))
        if name.endswith(".bias"):
            out[name] = np.zeros(shape, dtype=np.float32)
        else:
            std = conv_std if name.startswith("conv") else linear_std
            d = np.array([rng.normal() * std for _ in range(n)], dtype=np.float64)
            out[name] = d.astype(np.float32).reshape(shape)  # Float(Double) rounds to nearest
    return out


def swift_split(count: int, seed: int, validation_fraction: float = 0.2):
    """TrainValidationSplit.split -> (train, valid), both sorted.
    Swift's Double.rounded() is round-half-away-from-zero."""
    order = list(range(count))
    SeededRandom(seed).shuffle(order)
    x = count * validation_fraction
    n_valid = int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))
    return sorted(order[n_valid:]), sorted(order[:n_valid])


class SwiftBalancedPairSampler:
    """BalancedPairSampler of Samplers.swift (seed = hp.seed &+ 0x5A5A in Stage1Training)."""

    def __init__(self, labels: np.ndarray, indices: Sequence[int], pairs_per_batch: int, seed: int):
        labels = np.asarray(labels)
        N = labels.shape[1]
        self.pos: List[List[int]] = [[] for _ in range(N)]
        self.neg: List[List[int]] = [[] for _ in range(N)]
        for i in indices:
            for c in range(N):
                (self.pos if labels[i, c] != 0 else self.neg)[c].append(int(i))
        self.pairs_per_epoch = len(indices)
        self.pairs_per_batch = pairs_per_batch
        self.current = 0
        self.rng = SeededRandom(seed)

    def epoch(self) -> List[Tuple[np.ndarray, np.ndarray]]:
        batches, drawn = [], 0
        N = len(self.pos)
        while drawn < self.pairs_per_epoch:
            pairs = min(self.pairs_per_batch, self.pairs_per_epoch - drawn)
            rows, cts = [], []
            for _ in range(pairs):
                c = self.current
                self.current = (self.current + 1) % N
                p = self.pos[c][self.rng.below(len(self.pos[c]))]
                n = self.neg[c][self.rng.below(len(self.neg[c]))]
                rows += [min(p, n), max(p, n)]
                cts += [c, c]
            batches.append((np.array(rows, dtype=np.int64), np.array(cts, dtype=np.int64)))
            drawn += pairs
        return batches


def _check_init(path: str, seed: int, channels: int, cell_types: int, conv_std: float, linear_std: float) -> int:
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from sigtfb_reference import load_safetensors
    swift, _ = load_safetensors(path)
    mine = swift_init(channels, cell_types, conv_std, linear_std, seed)
    bad = 0
    for name in mine:
        a, b = mine[name], swift[name]
        if name.endswith(".bias"):
            ok = np.all(np.abs(b) < 1e-20)
            print(f"{name}: |swift| max {np.abs(b).max():.3g} (zero init + ~lr-sized step)")
        else:
            ok = np.array_equal(a, b)
            print(f"{name}: {a.size} values, bit-identical={ok}, max |diff| {np.abs(a - b).max():.3g}")
        bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--check-init", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--cell-types", type=int, required=True)
    ap.add_argument("--conv-std", type=float, default=0.01)
    ap.add_argument("--linear-std", type=float, default=0.01)
    a = ap.parse_args()
    raise SystemExit(_check_init(a.check_init, a.seed, a.channels, a.cell_types, a.conv_std, a.linear_std))
