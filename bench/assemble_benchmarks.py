"""Builds BENCHMARKS.md from the per-area write-ups under bench/ (each keeps its own commands).
Run: python3 bench/assemble_benchmarks.py"""
import os, re
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
parts = [
    ("Stage 1: exactness, learning and speed (issues 2 and 3)", "bench/BENCHMARKS-stage1.md"),
    ("Preprocessing (issue 5)", "bench/preprocess/BENCHMARKS-preprocess.md"),
    ("Bayesian optimisation (issue 4)", "bench/hpo/BENCHMARKS-tuning.md"),
    ("Stage 2 and the signature (issue 6)", "bench/stage2/BENCHMARKS-stage2.md"),
    ("Motifs (issue 7)", "bench/motifs/BENCHMARKS-motifs.md"),
    ("Whole pipeline (issue 8)", "bench/BENCHMARKS-pipeline.md"),
]
out = ["# BENCHMARKS", "",
       "Every figure below comes with the command that produced it. This file is assembled by",
       "`python3 bench/assemble_benchmarks.py` from the per-area files named in each section.", ""]
for title, path in parts:
    text = open(os.path.join(root, path)).read().strip()
    lines = text.split("\n")
    if lines and lines[0].startswith("#"):
        lines = lines[1:]  # the section title replaces the file's own
    body = []
    for l in lines:
        m = re.match(r"^(#+) ", l)
        body.append(("#" * min(6, len(m.group(1)) + 1) + l[len(m.group(1)):]) if m else l)
    out += [f"## {title}", "", f"_Source: `{path}`_", ""] + body + [""]
open(os.path.join(root, "BENCHMARKS.md"), "w").write("\n".join(out).rstrip() + "\n")
print("wrote BENCHMARKS.md")
