#!/usr/bin/env python3
"""Summary of sigtfb signatures across TF-ABs, with Benjamini–Hochberg q-values.

    summarize.py --tsv signatures.tsv --cell-tsv per_cell_type.tsv --html signatures.html \
        RUN/TF/AB/stage2/TF/AB/signature.json ...

signatures.tsv: one row per TF-AB (macro ΔAUROC, 95 % CI, p, BH q over the TF-ABs).
per_cell_type.tsv: one row per TF-AB and cell type (BH q over every cell-type test).
signatures.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched),
with a relative link to each TF-AB's report.html.
Standard library only.
"""
import argparse
import html
import json
import math
import os
import sys
import tempfile


def bh(pvalues):
    """Benjamini–Hochberg adjusted p-values (q-values), in input order; NaN stays NaN."""
    idx = [i for i, p in enumerate(pvalues) if p is not None and not math.isnan(p)]
    m = len(idx)
    q = [float("nan")] * len(pvalues)
    order = sorted(idx, key=lambda i: pvalues[i])
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        q[i] = min(1.0, running)
    return q


def atomic_write(path, text):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def fmt(x):
    """A TSV number: 6 significant digits; empty when missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.6g}"


def fmt_p(p):
    if p is None or math.isnan(p):
        return "—"
    if p >= 0.001:
        return f"{p:.3f}"
    if p <= 0:
        return "&lt; 10<sup>−300</sup>"
    e = math.floor(math.log10(p))
    return f"{p / 10 ** e:.1f} × 10<sup>−{-e}</sup>"


def signed(x):
    if x is None or math.isnan(x):
        return "—"
    s = f"{abs(x):.3f}"
    return s if s == "0.000" else ("−" if x < 0 else "+") + s


def load(paths):
    runs = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            s = json.load(f)
        # RUN/TF/AB/stage2/TF/AB/signature.json → RUN/TF/AB/report.html
        run_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(p))))
        runs.append((s, run_dir))
    return runs


def forest_svg(rows):
    """ΔAUROC with intervals, one row per TF-AB (inline SVG)."""
    if not rows:
        return ""
    w, ml, mr, mt, rh = 560, 190, 20, 10, 24
    ph = rh * len(rows)
    vals = [0.0] + [v for r in rows for v in (r["lo"], r["hi"], r["delta"]) if not math.isnan(v)]
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.08 or 0.01
    lo, hi = lo - pad, hi + pad
    pw = w - ml - mr

    def px(x):
        return ml + (x - lo) / (hi - lo) * pw

    out = [f'<svg width="{w}" height="{mt + ph + 40}" viewBox="0 0 {w} {mt + ph + 40}" font-family="Helvetica, Arial, sans-serif">',
           f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fbfcfd" stroke="#cbd2d9"/>',
           f'<line x1="{px(0):.1f}" y1="{mt}" x2="{px(0):.1f}" y2="{mt + ph}" stroke="#616e7c" stroke-dasharray="4 3"/>']
    for k in range(5):
        t = lo + (hi - lo) * k / 4
        out.append(f'<text x="{px(t):.1f}" y="{mt + ph + 15}" font-size="11" text-anchor="middle" fill="#52606d">{t:.3f}</text>')
    for i, r in enumerate(rows):
        y = mt + (i + 0.5) * rh
        col = "#c0392b" if r["q"] < 0.05 else "#7b8794"
        out.append(f'<text x="{ml - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="#323f4b">{html.escape(r["label"])}</text>')
        if not math.isnan(r["lo"]):
            out.append(f'<line x1="{px(r["lo"]):.1f}" y1="{y:.1f}" x2="{px(r["hi"]):.1f}" y2="{y:.1f}" stroke="{col}" stroke-width="2.5"/>')
        out.append(f'<circle cx="{px(r["delta"]):.1f}" cy="{y:.1f}" r="5" fill="{col}" stroke="#fff"/>')
    out.append(f'<text x="{ml + pw / 2:.1f}" y="{mt + ph + 34}" font-size="12" text-anchor="middle" fill="#323f4b">macro ΔAUROC (told − not told), 95 % CI; red: q &lt; 0.05</text>')
    out.append("</svg>")
    return "".join(out)


CSS = """
body { margin: 0; background: #eef1f5; color: #1f2933; font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; font-size: 15px; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 36px 40px; background: #fff; min-height: 100vh; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 30px 0 8px; border-bottom: 2px solid #d9e2ec; padding-bottom: 6px; }
p.sub { color: #616e7c; margin: 0 0 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { padding: 5px 12px; border-bottom: 1px solid #d9e2ec; text-align: left; }
th { background: #f5f7fa; font-size: 13px; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.sig td { background: #fdf3f2; } a { color: #2f5d8a; }
footer { margin-top: 30px; color: #616e7c; font-size: 12px; border-top: 1px solid #d9e2ec; padding-top: 8px; }
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tsv", required=True)
    ap.add_argument("--cell-tsv", required=True)
    ap.add_argument("--html", required=True)
    ap.add_argument("signatures", nargs="+")
    a = ap.parse_args(argv)
    try:
        runs = load(a.signatures)
    except (OSError, ValueError, KeyError) as e:
        print(f"summarize.py: error: {e}", file=sys.stderr)
        return 1

    macro_p = [s["macro"]["p_value"] for s, _ in runs]
    macro_q = bh(macro_p)
    cell_rows = []
    for s, run_dir in runs:
        for ct in s.get("cell_types", sorted(s["per_cell_type"])):
            c = s["per_cell_type"][ct]
            cell_rows.append((s, ct, c))
    cell_q = bh([c["p_value"] for _, _, c in cell_rows])

    # TSV across TF-ABs.
    head = ["tf", "ab", "cell_types", "test_sequences", "auroc_told", "auroc_not_told", "delta_auroc",
            "ci_low", "ci_high", "p_value", "q_value", "report"]
    lines = ["\t".join(head)]
    rows = []
    for (s, run_dir), q in zip(runs, macro_q):
        m = s["macro"]
        rel = os.path.relpath(os.path.join(run_dir, "report.html"), os.path.dirname(os.path.abspath(a.tsv)))
        lines.append("\t".join([s["tf"], s["ab"], str(len(s.get("cell_types", []))), str(s.get("test_sequences", "")),
                                fmt(m["auroc_told"]), fmt(m["auroc_not_told"]), fmt(m["delta_auroc"]),
                                fmt(m["ci"][0]), fmt(m["ci"][1]), f"{m['p_value']:.6g}", f"{q:.6g}", rel]))
        rows.append(dict(s=s, q=q, rel=rel))
    atomic_write(a.tsv, "\n".join(lines) + "\n")

    ch = ["tf", "ab", "cell_type", "auroc_told", "auroc_not_told", "delta_auroc", "ci_low", "ci_high", "p_value", "q_value"]
    cl = ["\t".join(ch)]
    for (s, ct, c), q in zip(cell_rows, cell_q):
        ci = c.get("ci", [float("nan"), float("nan")])
        cl.append("\t".join([s["tf"], s["ab"], ct, fmt(c["auroc_told"]), fmt(c["auroc_not_told"]), fmt(c["delta_auroc"]),
                             fmt(ci[0]), fmt(ci[1]), f"{c['p_value']:.6g}", f"{q:.6g}"]))
    atomic_write(a.cell_tsv, "\n".join(cl) + "\n")

    # HTML.
    rows.sort(key=lambda r: (r["q"], -r["s"]["macro"]["delta_auroc"]))
    n_sig = sum(1 for r in rows if r["q"] < 0.05)
    h = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>sigtfb: signatures across {len(rows)} TF-ABs</title>",
         f"<style>{CSS}</style></head><body><main>",
         f"<h1>Cell-type specific signatures across {len(rows)} TF-AB{'s' if len(rows) != 1 else ''}</h1>",
         f"<p class=\"sub\">{n_sig} of {len(rows)} with a signature at Benjamini–Hochberg q &lt; 0.05 "
         f"(macro ΔAUROC = AUROC told − not told on each TF-AB's test set).</p>",
         forest_svg([dict(label=f"{r['s']['tf']} · {r['s']['ab']}", delta=r["s"]["macro"]["delta_auroc"],
                          lo=r["s"]["macro"]["ci"][0], hi=r["s"]["macro"]["ci"][1], q=r["q"]) for r in rows]),
         "<h2>Signature per TF-AB</h2><table><thead><tr><th>TF</th><th>Antibody</th><th class=\"num\">Cell types</th>"
         "<th class=\"num\">AUROC not told</th><th class=\"num\">AUROC told</th><th class=\"num\">ΔAUROC</th>"
         "<th class=\"num\">95 % CI</th><th class=\"num\">p</th><th class=\"num\">q (BH)</th><th>Report</th></tr></thead><tbody>"]
    for r in rows:
        s, m = r["s"], r["s"]["macro"]
        cls = ' class="sig"' if r["q"] < 0.05 else ""
        h.append(f"<tr{cls}><td><strong>{html.escape(s['tf'])}</strong></td><td>{html.escape(s['ab'])}</td>"
                 f"<td class=\"num\">{len(s.get('cell_types', []))}</td><td class=\"num\">{m['auroc_not_told']:.3f}</td>"
                 f"<td class=\"num\">{m['auroc_told']:.3f}</td><td class=\"num\"><strong>{signed(m['delta_auroc'])}</strong></td>"
                 f"<td class=\"num\">{signed(m['ci'][0])} to {signed(m['ci'][1])}</td><td class=\"num\">{fmt_p(m['p_value'])}</td>"
                 f"<td class=\"num\">{fmt_p(r['q'])}</td><td><a href=\"{html.escape(r['rel'])}\">report</a></td></tr>")
    h.append("</tbody></table>")
    h.append("<h2>Per cell type</h2><table><thead><tr><th>TF · AB</th><th>Cell type</th><th class=\"num\">AUROC not told</th>"
             "<th class=\"num\">AUROC told</th><th class=\"num\">ΔAUROC</th><th class=\"num\">p</th><th class=\"num\">q (BH)</th></tr></thead><tbody>")
    for (s, ct, c), q in sorted(zip(cell_rows, cell_q), key=lambda x: x[1]):
        cls = ' class="sig"' if q < 0.05 else ""
        h.append(f"<tr{cls}><td>{html.escape(s['tf'])} · {html.escape(s['ab'])}</td><td>{html.escape(ct)}</td>"
                 f"<td class=\"num\">{c['auroc_not_told']:.3f}</td><td class=\"num\">{c['auroc_told']:.3f}</td>"
                 f"<td class=\"num\">{signed(c['delta_auroc'])}</td><td class=\"num\">{fmt_p(c['p_value'])}</td><td class=\"num\">{fmt_p(q)}</td></tr>")
    h.append("</tbody></table><footer>q-values: Benjamini–Hochberg over the TF-ABs (first table) and over every "
             "(TF-AB, cell type) test (second table). Generated by sigtfb's workflow/scripts/summarize.py.</footer></main></body></html>\n")
    atomic_write(a.html, "".join(h))
    print(f"{len(rows)} TF-ABs, {n_sig} with q < 0.05: {a.tsv}, {a.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
