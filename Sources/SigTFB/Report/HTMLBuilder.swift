import Foundation
import Motifs

/// Escaping and number formatting shared by the report's HTML and SVG.
public enum ReportFormat {
    /// Escapes `& < > " '` for HTML/SVG text and attribute values.
    public static func escape(_ s: String) -> String { XMLText.escape(s) }

    /// A metric in [0, 1] (AUROC, AUPRC): three decimals; "—" when missing or not finite.
    public static func metric(_ x: Double?, digits: Int = 3) -> String {
        guard let x, x.isFinite else { return "—" }
        return String(format: "%.\(digits)f", x)
    }

    /// A signed difference (ΔAUROC): "+0.123" / "−0.045" (true minus sign).
    public static func signed(_ x: Double?, digits: Int = 3) -> String {
        guard let x, x.isFinite else { return "—" }
        let s = String(format: "%.\(digits)f", abs(x))
        if s == String(format: "%.\(digits)f", 0.0) { return s }
        return (x < 0 ? "\u{2212}" : "+") + s
    }

    /// A count with thin-space thousands separators: 12 345.
    public static func count(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "\u{2009}" }
            out.append(ch)
        }
        return (n < 0 ? "\u{2212}" : "") + out
    }

    /// A p-value: 0.0123 → "0.012", 3.2e-7 → "3.2 × 10⁻⁷", 0 → "< 10⁻³⁰⁰". HTML (uses <sup>).
    public static func pValue(_ p: Double?) -> String {
        guard let p, p.isFinite else { return "—" }
        if p >= 0.001 { return p >= 0.1 ? String(format: "%.2f", p) : String(format: "%.3f", p) }
        if p <= 0 { return "&lt; 10<sup>\u{2212}300</sup>" }
        let e = Int(floor(log10(p)))
        let m = p / pow(10, Double(e))
        return String(format: "%.1f", m) + " × 10<sup>\u{2212}\(-e)</sup>"
    }

    /// The same as `pValue` in plain text (for SVG labels): "3.2e-7".
    public static func pValueText(_ p: Double?) -> String {
        guard let p, p.isFinite else { return "—" }
        if p >= 0.001 { return p >= 0.1 ? String(format: "%.2f", p) : String(format: "%.3f", p) }
        return String(format: "%.1e", p)
    }

    /// A general number with about `significant` significant digits, no exponent for moderate values.
    public static func number(_ x: Double?, significant: Int = 3) -> String {
        guard let x, x.isFinite else { return "—" }
        if x == 0 { return "0" }
        let a = abs(x)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.\(max(0, significant - 1))e", x) }
        let decimals = max(0, significant - 1 - Int(floor(log10(a))))
        return String(format: "%.\(decimals)f", x)
    }

    /// Seconds as "0.8 s", "42 s", "3 min 05 s", "1 h 02 min".
    public static func duration(_ s: Double?) -> String {
        guard let s, s.isFinite else { return "—" }
        if s < 10 { return String(format: "%.1f s", s) }
        if s < 60 { return String(format: "%.0f s", s) }
        let t = Int(s.rounded())
        if t < 3600 { return String(format: "%d min %02d s", t / 60, t % 60) }
        return String(format: "%d h %02d min", t / 3600, (t % 3600) / 60)
    }
}

/// A small builder of one self-contained HTML page: inline CSS, inline SVG, no scripts, no links
/// to anything outside the file.
public struct HTMLPage {
    public var title: String
    private var body: [String] = []
    private var toc: [(id: String, title: String)] = []

    public init(title: String) { self.title = title }

    public mutating func raw(_ html: String) { body.append(html) }

    /// Opens a numbered section with an anchor in the table of contents.
    public mutating func section(id: String, title: String, lead: String? = nil) {
        toc.append((id, title))
        body.append("<section id=\"\(ReportFormat.escape(id))\"><h2>\(ReportFormat.escape(title))</h2>")
        if let lead { body.append("<p class=\"lead\">\(lead)</p>") }
    }

    public mutating func endSection() { body.append("</section>") }

    public mutating func heading(_ text: String) { body.append("<h3>\(ReportFormat.escape(text))</h3>") }

    public mutating func paragraph(_ html: String, cssClass: String? = nil) {
        body.append("<p\(cssClass.map { " class=\"\($0)\"" } ?? "")>\(html)</p>")
    }

    /// A grey box saying which step has not run yet.
    public mutating func notRun(_ html: String) {
        body.append("<div class=\"notrun\"><strong>Not available yet.</strong> \(html)</div>")
    }

    /// A table; `header` and `rows` are HTML cell contents; columns in `numeric` are right-aligned.
    public mutating func table(header: [String], rows: [[String]], numeric: Set<Int> = [], cssClass: String = "data",
                               footer: [[String]] = []) {
        body.append(Self.tableHTML(header: header, rows: rows, numeric: numeric, cssClass: cssClass, footer: footer))
    }

    public static func tableHTML(header: [String], rows: [[String]], numeric: Set<Int> = [], cssClass: String = "data",
                                 footer: [[String]] = []) -> String {
        var s = "<table class=\"\(cssClass)\"><thead><tr>"
        for (i, h) in header.enumerated() { s += "<th\(numeric.contains(i) ? " class=\"num\"" : "")>\(h)</th>" }
        s += "</tr></thead><tbody>"
        for r in rows {
            s += "<tr>"
            for (i, c) in r.enumerated() { s += "<td\(numeric.contains(i) ? " class=\"num\"" : "")>\(c)</td>" }
            s += "</tr>"
        }
        s += "</tbody>"
        if !footer.isEmpty {
            s += "<tfoot>"
            for r in footer {
                s += "<tr>"
                for (i, c) in r.enumerated() { s += "<td\(numeric.contains(i) ? " class=\"num\"" : "")>\(c)</td>" }
                s += "</tr>"
            }
            s += "</tfoot>"
        }
        return s + "</table>"
    }

    /// Figures side by side (wrapping), each an SVG with an optional caption.
    public mutating func figures(_ items: [(svg: String, caption: String?)]) {
        var s = "<div class=\"figs\">"
        for it in items {
            s += "<figure>\(it.svg)"
            if let c = it.caption { s += "<figcaption>\(c)</figcaption>" }
            s += "</figure>"
        }
        body.append(s + "</div>")
    }

    public func render(header: String, footer: String) -> String {
        var s = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(ReportFormat.escape(title))</title>
        <style>\(Self.css)</style>
        </head>
        <body>
        <main>
        \(header)
        """
        if !toc.isEmpty {
            s += "<nav class=\"toc\"><span>Contents</span>"
            for (i, t) in toc.enumerated() {
                s += "<a href=\"#\(ReportFormat.escape(t.id))\">\(i + 1). \(ReportFormat.escape(t.title))</a>"
            }
            s += "</nav>\n"
        }
        s += body.joined(separator: "\n")
        s += "\n<footer>\(footer)</footer>\n</main>\n</body>\n</html>\n"
        return s
    }

    static let css = """
    :root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --soft: #f5f7fa; --accent: #2f5d8a; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #eef1f5; color: var(--ink);
           font-family: "Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif; font-size: 15px; line-height: 1.5; }
    main { max-width: 1120px; margin: 0 auto; padding: 28px 36px 40px; background: #fff; min-height: 100vh; }
    header.top h1 { font-size: 28px; margin: 0 0 2px; letter-spacing: -0.01em; }
    header.top .sub { color: var(--muted); margin: 0 0 18px; }
    h2 { font-size: 21px; margin: 36px 0 8px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
    h3 { font-size: 16px; margin: 22px 0 6px; color: var(--accent); }
    p.lead { color: var(--muted); margin: 4px 0 12px; }
    .summary { display: grid; grid-template-columns: repeat(4, 1fr); gap: 0; border: 1px solid var(--line);
               border-radius: 8px; overflow: hidden; margin: 8px 0 18px; }
    .summary div { padding: 12px 16px; border-right: 1px solid var(--line); border-bottom: 1px solid var(--line); background: var(--soft); }
    .summary div:nth-child(4n) { border-right: none; }
    .summary .k { display: block; font-size: 12px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
    .summary .v { display: block; font-size: 20px; font-weight: 600; margin-top: 2px; }
    .summary .v small { font-size: 13px; font-weight: 400; color: var(--muted); }
    .summary .wide { grid-column: span 2; }
    .verdict { border-left: 4px solid var(--accent); background: #f0f4f8; padding: 10px 14px; margin: 0 0 14px; }
    nav.toc { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 14px; margin: 6px 0 4px; }
    nav.toc span { font-weight: 600; color: var(--muted); }
    nav.toc a { color: var(--accent); text-decoration: none; }
    table.data { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
    table.data th, table.data td { padding: 5px 12px; border-bottom: 1px solid var(--line); text-align: left; }
    table.data th { background: var(--soft); font-weight: 600; font-size: 13px; }
    table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; }
    table.data tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
    table.steps td:first-child { font-weight: 600; }
    .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
    .b-done { background: #e3f4e8; color: #1e6b3a; } .b-skipped { background: #e6eef7; color: #2f5d8a; }
    .b-na { background: #f1f1f1; color: #6b6b6b; } .b-failed { background: #fbe4e4; color: #9b1c1c; }
    .b-pending { background: #fff4d6; color: #8a6100; }
    .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
    .figs { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; margin: 6px 0 12px; }
    figure { margin: 0; }
    figcaption { font-size: 13px; color: var(--muted); max-width: 520px; margin-top: 2px; }
    .notrun { background: var(--soft); border: 1px dashed #b8c4d1; border-radius: 6px; padding: 10px 14px; color: var(--muted); margin: 8px 0 14px; }
    .notrun strong { color: var(--ink); }
    .cards { display: grid; grid-template-columns: repeat(2, 1fr); gap: 14px; }
    .card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
    .card h4 { margin: 0 0 4px; font-size: 15px; }
    .card .meta { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
    .card svg { max-width: 100%; height: auto; }
    .card .logos { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-end; }
    code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; background: var(--soft); padding: 0 3px; border-radius: 3px; }
    footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
    @media print { body { background: #fff; } main { padding: 0; } }
    """
}
