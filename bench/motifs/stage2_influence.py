#!/usr/bin/env python3
"""Ground truth for the stage-2 influence (issue 7): do the filters that carry a cell type's signature
match the motif that truth.json says makes that cell type different?

usage: stage2_influence.py TRUTH.json RUNDIR/<TF.AB>/motifs ...   (each holding motifs.json from
       `sigtfb motifs --stage2-model ...`)

For every cell type with distinct features in a TF-AB with a signature, the target motif is its
co-factor(s) (mechanism "cofactor") or the TF's own motif (mechanism "motif_frequency"). Filters are
ranked by the change of that cell type's ΔAUROC (told − not told) when the filter is nullified, most
negative first (the filter whose loss removes most of the signature). Reported: the rank of the first
filter whose best JASPAR match is the target (exact ID, and same family as in recall.py), the number k
of filters with such a match, and the rank expected by chance, (C + 1) / (k + 1) for C filters.
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import util
spec = util.spec_from_file_location("recall", os.path.join(os.path.dirname(os.path.abspath(__file__)), "recall.py"))
# recall.py runs main() on import; take family_of by reading its source instead.
src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "recall.py")).read().replace("\nmain()\n", "\n")
ns = {}
exec(compile(src, "recall.py", "exec"), ns)
family_of = ns["family_of"]

def main():
    truth = json.load(open(sys.argv[1]))
    rows = []
    for d in sys.argv[2:]:
        rep = json.load(open(os.path.join(d, "motifs.json")))
        t = next((v for k, v in truth["tfabs"].items() if k in d), None)
        inf = rep.get("influence_stage2")
        if t is None or inf is None or not t["has_signature"]:
            continue
        best = {f["filter"]: (f["matches"][0] if f["matches"] else None) for f in rep["filters"]}
        C = len(best)
        for ct in t["cell_types_with_distinct_features"]:
            k = inf["cell_types"].index(ct)
            site = t["per_cell_type"][ct]["specific_site_model"]
            targets = [(c["matrix_id"], c["name"]) for c in site["cofactors"]] or [(t["main_motif"]["matrix_id"], t["main_motif"]["name"])]
            order = sorted(range(C), key=lambda i: inf["change_of_delta_auroc"][i][k])
            for mid, name in targets:
                exact = [r + 1 for r, i in enumerate(order) if best[i] and best[i]["id"] == mid]
                fam = [r + 1 for r, i in enumerate(order) if best[i] and family_of(name, best[i]["name"])]
                rows.append({
                    "run": d, "tfab": t["name"], "cell_type": ct, "target": f"{mid} {name}",
                    "baseline_delta_auroc": inf["baseline_delta_auroc"][k],
                    "rank_exact": exact[0] if exact else None, "k_exact": len(exact),
                    "chance_exact": (C + 1) / (len(exact) + 1) if exact else None,
                    "rank_family": fam[0] if fam else None, "k_family": len(fam),
                    "chance_family": (C + 1) / (len(fam) + 1) if fam else None,
                    "filters": C,
                    "top3": [f"{i}:{best[i]['name'] if best[i] else '-'}({inf['change_of_delta_auroc'][i][k]:+.3f})" for i in order[:3]],
                })
    print(json.dumps(rows, indent=1))
    print("| run | TF-AB | cell type | target | baseline Δ | rank exact (k, chance) | rank family (k, chance) | top 3 filters (best match, change of Δ) |", file=sys.stderr)
    print("|---|---|---|---|---|---|---|---|", file=sys.stderr)
    def cell(r, kind):
        if r[f"rank_{kind}"] is None: return f"none of {r['filters']}"
        return f"{r[f'rank_{kind}']} ({r[f'k_{kind}']}, {r[f'chance_{kind}']:.1f})"
    for r in rows:
        parts = r['run'].rstrip('/').split('/')
        run = parts[parts.index('motifs2') - 1] if 'motifs2' in parts and parts.index('motifs2') > 0 else r['run']
        print(f"| {run} | {r['tfab']} | {r['cell_type']} | {r['target']} | "
              f"{r['baseline_delta_auroc']:+.3f} | {cell(r, 'exact')} | {cell(r, 'family')} | {'; '.join(r['top3'])} |", file=sys.stderr)
    # Only cell types whose signature the model learned can have filters that carry it.
    learned = [r for r in rows if r["baseline_delta_auroc"] > 0.05]
    for name, sel in [("all cell types", rows), ("cell types with a learned signature (baseline Δ > 0.05)", learned)]:
        for kind in ["exact", "family"]:
            top1 = sum(1 for r in sel if r[f"rank_{kind}"] == 1); top3 = sum(1 for r in sel if r[f"rank_{kind}"] and r[f"rank_{kind}"] <= 3)
            print(f"# {name}: {kind} match at rank 1: {top1}/{len(sel)}; within top 3: {top3}/{len(sel)}", file=sys.stderr)

main()
