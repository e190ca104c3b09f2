#!/usr/bin/env python3
"""Recall of planted motifs among the filters of `sigtfb motifs` runs (ground truth: truth.json).

usage: recall.py TRUTH.json RUNDIR/<TF.AB>/motifs ... (each a directory holding motifs.json)

A planted motif (JASPAR ID) is recalled
  - "best":  when some filter's best database match is that ID;
  - "q05":   when some filter has that ID among its reported matches with q < 0.05;
  - "family": as "best"/"q05" but counting a best match (or q<0.05 match) from the same TF family,
             families curated by hand from JASPAR's TF class annotation (see FAMILIES).
Also: for each cell type with cofactors, the rank (by influence on that cell type) of the first
filter whose best match is the cofactor (or same family).
"""
import json, sys, os

# Hand-curated from JASPAR's TF-class/family labels (names as in JASPAR 2024 CORE vertebrates).
FAMILIES = {
    "CTCF": {"CTCF", "CTCFL"},
    "CEBPB": {"CEBPA", "CEBPB", "CEBPD", "CEBPE", "CEBPG", "DBP", "HLF", "TEF", "NFIL3", "DDIT3::CEBPA"},
    "FOS::JUN": None,   # AP-1: any name starting with FOS/JUN/BATF/ATF3 or containing '::JUN'
    "HNF4A": {"HNF4A", "HNF4G"},
    "GATA1::TAL1": None,  # GATA family: any name starting with GATA
    "MAX": {"MAX", "MYC", "MAX::MYC", "MYCN", "MNT", "MXI1", "MAX::MNT", "MLX", "MLXIP", "MLXIPL", "USF1", "USF2",
            "TFE3", "TFEB", "TFEC", "MITF", "BHLHE40", "BHLHE41", "MLX", "SREBF1", "SREBF2", "ARNT", "ARNT::HIF1A",
            "HEY1", "HEY2", "HES1", "NPAS2", "CLOCK", "BHLHA15", "MAX::MXI1"},
}

def family_of(planted_name, name):
    n = name.upper()
    if planted_name == "FOS::JUN":
        return n.startswith(("FOS", "JUN", "BATF", "ATF3")) or "::JUN" in n
    if planted_name == "GATA1::TAL1":
        return n.startswith("GATA")
    return n in FAMILIES.get(planted_name, {planted_name})

def main():
    truth = json.load(open(sys.argv[1]))
    id2name = {k: v["name"] for k, v in truth["motifs"].items()}
    rows = []
    for d in sys.argv[2:]:
        rep = json.load(open(os.path.join(d, "motifs.json")))
        tfab = os.path.basename(os.path.dirname(os.path.normpath(d))) if os.path.basename(os.path.normpath(d)) == "motifs" else os.path.basename(os.path.normpath(d))
        t = next((v for k, v in truth["tfabs"].items() if k in d), None)
        if t is None:
            print(f"# {d}: no TF-AB of truth.json in the path", file=sys.stderr); continue
        filters = rep["filters"]
        best = {f["filter"]: f["matches"][0] if f["matches"] else None for f in filters}
        out = {"tfab": t["name"], "filters": len(filters),
               "filters_with_sites": sum(1 for f in filters if f["sites"] > 0),
               "filters_best_q05": sum(1 for f in filters if f["matches"] and f["matches"][0]["q"] < 0.05),
               "planted": {}}
        for mid in t["planted_motif_ids"]:
            pn = id2name[mid]
            hit_best = [i for i, m in best.items() if m and m["id"] == mid]
            hit_q = [f["filter"] for f in filters if any(m["id"] == mid and m["q"] < 0.05 for m in f["matches"])]
            fam_best = [i for i, m in best.items() if m and family_of(pn, m["name"])]
            fam_q = [f["filter"] for f in filters if any(family_of(pn, m["name"]) and m["q"] < 0.05 for m in f["matches"])]
            out["planted"][mid] = {"name": pn, "best": hit_best, "q05": hit_q, "family_best": fam_best, "family_q05": fam_q}
        # Cofactors: influence rank per cell type.
        rankings = rep["influence_ranking_per_cell_type"]
        cof = {}
        for ct, p in t["per_cell_type"].items():
            for c in p["specific_site_model"]["cofactors"]:
                mid, pn = c["matrix_id"], c["name"]
                order = rankings[ct]
                exact = [r + 1 for r, i in enumerate(order) if best[i] and best[i]["id"] == mid]
                fam = [r + 1 for r, i in enumerate(order) if best[i] and family_of(pn, best[i]["name"])]
                top = order[:3]
                cof[ct] = {"cofactor": f"{mid} {pn}", "rank_exact": exact[:1], "rank_family": fam[:1],
                           "top3": [{"filter": i, "best": (best[i]["id"] + " " + best[i]["name"] + f" q={best[i]['q']:.2g}") if best[i] else None,
                                     "delta_loss": filters[i]["influence"]["delta_loss"][ct] if filters[i]["influence"].get("delta_loss") else None}
                                    for i in top]}
        out["cofactors"] = cof
        # Top-3 filters overall.
        out["top3_overall"] = [{"filter": i, "best": (best[i]["id"] + " " + best[i]["name"] + f" q={best[i]['q']:.2g}") if best[i] else None,
                                "total_delta_loss": filters[i]["influence"].get("total_delta_loss")} for i in rep["influence_ranking"][:3]]
        rows.append(out)
    print(json.dumps(rows, indent=1))
    # Summary
    n = sum(len(r["planted"]) for r in rows)
    for key in ["best", "q05", "family_best", "family_q05"]:
        k = sum(1 for r in rows for p in r["planted"].values() if p[key])
        print(f"# recall[{key}] = {k}/{n}", file=sys.stderr)

main()
