#!/usr/bin/env python3
"""HPO quality benchmark for `sigtfb tune` (issue 4). Python standard library only.

For each problem in ../shared/hpo-problems (branin, hartmann6, sigtfb_mixed) and each seed, runs
the tuner through the CLI (init, then ask -> objective.py -> tell, one trial at a time) for the
largest budget; the smaller budgets are prefixes of the same run (sequential ask/tell, so a 15-trial
run is exactly the first 15 trials of a 30-trial run). Reports the median and interquartile range
of simple regret per problem and budget, the mean seconds per model-based `ask`, and optionally a
scrambled-Sobol-only baseline (same CLI, all trials initial) and a uniform random baseline.

usage: python3 bench/hpo/run_hpo_bench.py [--binary .build-tuning/release/sigtfb]
           [--problems-dir ../shared/hpo-problems] [--seeds 20] [--budgets 15,30] [--jobs 2]
           [--initial-trials auto] [--baselines] [--out bench/hpo/results.json]
"""
import argparse
import concurrent.futures as cf
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def quantiles(xs):
    xs = sorted(xs)

    def q(p):
        k = (len(xs) - 1) * p
        lo = int(k)
        hi = min(lo + 1, len(xs) - 1)
        return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)
    return q(0.25), q(0.5), q(0.75)


def objective(problems_dir, problem, params):
    out = subprocess.run([sys.executable, os.path.join(problems_dir, "objective.py"), problem, json.dumps(params)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def run_cli(binary, *args):
    r = subprocess.run([binary, "tune", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("sigtfb tune %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout


def run_tuner(binary, problems_dir, problem, spec, seed, trials, initial, workdir, center=True):
    space = os.path.join(workdir, "%s-%d-space.json" % (problem, seed))
    state = os.path.join(workdir, "%s-%d-%s-state.json" % (problem, seed, initial))
    with open(space, "w") as fh:
        json.dump({"parameters": spec["parameters"]}, fh)
    if os.path.exists(state):
        os.remove(state)
    args = ["init", "--space", space, "--state", state, "--seed", str(seed),
            "--%s" % spec["direction"], "--initial-trials", str(initial)]
    if not center:
        args.append("--no-center-point")
    run_cli(binary, *args)
    values, methods, model_times = [], [], []
    for _ in range(trials):
        t0 = time.perf_counter()
        sug = json.loads(run_cli(binary, "ask", "--state", state))[0]
        dt = time.perf_counter() - t0
        if sug["method"].startswith("gp"):
            model_times.append(dt)
        v = objective(problems_dir, problem, sug["parameters"])
        run_cli(binary, "tell", "--state", state, "--trial", str(sug["trial_index"]), "--value=%r" % v)
        values.append(v)
        methods.append(sug["method"])
    return {"values": values, "methods": methods, "model_ask_seconds": model_times}


def random_point(spec, rng):
    import math
    p = {}
    for prm in spec["parameters"]:
        if prm["type"] == "choice":
            p[prm["name"]] = rng.choice(prm["values"])
        elif prm["type"] == "fixed":
            p[prm["name"]] = prm["value"]
        else:
            lo, hi = prm["bounds"]
            if prm.get("log_scale"):
                v = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            else:
                v = rng.uniform(lo, hi)
            if prm.get("value_type") == "int":
                v = int(min(max(round(v), lo), hi))
            p[prm["name"]] = v
    return p


def regret(spec, values, budget):
    vals = values[:budget]
    if spec["direction"] == "minimize":
        return min(vals) - spec["optimum"]
    return spec["optimum"] - max(vals)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build-tuning", "release", "sigtfb"))
    ap.add_argument("--problems-dir", default=os.path.join(ROOT, "..", "shared", "hpo-problems"))
    ap.add_argument("--problems", default="branin,hartmann6,sigtfb_mixed")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--budgets", default="15,30")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--initial-trials", default="auto", help="passed to `tune init` (N, auto or ax)")
    ap.add_argument("--baselines", action="store_true", help="also run Sobol-only and random baselines")
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    args = ap.parse_args()

    with open(os.path.join(args.problems_dir, "problems.json")) as fh:
        problems = json.load(fh)["problems"]
    names = args.problems.split(",")
    budgets = [int(b) for b in args.budgets.split(",")]
    trials = max(budgets)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    workdir = tempfile.mkdtemp(prefix="hpo-bench-")

    jobs = [("tuner", p, s) for p in names for s in seeds]
    if args.baselines:
        jobs += [("sobol", p, s) for p in names for s in seeds]

    def work(job):
        kind, p, s = job
        if kind == "tuner":
            return job, run_tuner(args.binary, args.problems_dir, p, problems[p], s, trials, args.initial_trials, workdir)
        return job, run_tuner(args.binary, args.problems_dir, p, problems[p], s, trials, trials, workdir, center=False)

    runs = {}
    t_start = time.time()
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for job, res in ex.map(work, jobs):
            runs[job] = res
            sys.stderr.write("done %s %s seed %d (%.0fs)\n" % (job[0], job[1], job[2], time.time() - t_start))
    if args.baselines:
        for p in names:
            for s in seeds:
                rng = random.Random(1000 + s)
                runs[("random", p, s)] = {"values": [objective(args.problems_dir, p, random_point(problems[p], rng))
                                                     for _ in range(trials)]}

    summary = []
    for p in names:
        spec = problems[p]
        times = [t for s in seeds for t in runs[("tuner", p, s)]["model_ask_seconds"]]
        for b in budgets:
            row = {"problem": p, "trials": b}
            for kind in (["tuner", "sobol", "random"] if args.baselines else ["tuner"]):
                regs = [regret(spec, runs[(kind, p, s)]["values"], b) for s in seeds]
                q1, med, q3 = quantiles(regs)
                row[kind] = {"median": med, "q1": q1, "q3": q3, "regrets": regs}
            row["mean_model_ask_seconds"] = sum(times) / len(times) if times else None
            row["max_model_ask_seconds"] = max(times) if times else None
            summary.append(row)

    out = {
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "binary": args.binary, "seeds": seeds, "budgets": budgets, "initial_trials": args.initial_trials,
        "wall_seconds": time.time() - t_start,
        "summary": summary,
        "runs": {"%s/%s/%d" % k: v for k, v in runs.items()},
    }
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)

    hdr = "| problem | trials | tuner median regret (IQR) |"
    sep = "|---|---|---|"
    if args.baselines:
        hdr += " Sobol only | random |"
        sep += "---|---|"
    hdr += " mean s / model ask (max) |"
    sep += "---|"
    print(hdr)
    print(sep)
    for row in summary:
        t = row["tuner"]
        line = "| %s | %d | %.4g (%.4g–%.4g) |" % (row["problem"], row["trials"], t["median"], t["q1"], t["q3"])
        if args.baselines:
            line += " %.4g | %.4g |" % (row["sobol"]["median"], row["random"]["median"])
        mt = row["mean_model_ask_seconds"]
        line += (" %.3f (%.3f) |" % (mt, row["max_model_ask_seconds"])) if mt is not None else " – |"
        print(line)


if __name__ == "__main__":
    main()
