#!/usr/bin/env bash
# Issue 3, "portable": builds the NeuralNet module on its own (no CPU flags) with a small program that
# checks every stage-1 kernel against a plain reference sum, max-only against arg-max, and an Adam step
# against its scalar formula. Run it on any machine with Swift and OpenBLAS:
#   bash bench/portability/run_check.sh
# On an x86-64 host, for arm64 (what BENCHMARKS.md records), inside a Debian trixie arm64 chroot under qemu:
#   apt-get install -y qemu-user-static binfmt-support debootstrap
#   debootstrap --arch=arm64 trixie /work/arm64root http://deb.debian.org/debian
#   chroot /work/arm64root apt-get install -y swiftlang libopenblas-dev
#   copy Sources/NeuralNet, Sources/COpenBLAS, Sources/CPrefetch and this folder into the chroot, then run this script there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$ROOT/Sources/NeuralNet" "$ROOT/Sources/COpenBLAS" "$ROOT/Sources/CPrefetch" "$WORK/"
cp "$ROOT/bench/portability/kernel_check.swift" "$WORK/main.swift"
cd "$WORK"
echo "$(uname -m), $(swift --version 2>&1 | head -1)"
swiftc -Onone -parse-as-library -emit-library -static -emit-module -module-name NeuralNet -I COpenBLAS -I CPrefetch NeuralNet/*.swift \
    -o libNeuralNet.a 2>&1 | grep -v warning || true
swiftc -Onone -I . -I COpenBLAS -I CPrefetch main.swift -L . -lNeuralNet -lopenblas -o check 2>&1 | grep -v warning || true
./check
