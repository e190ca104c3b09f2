import Foundation

/// Colours of the report: one per cell type, the same in every chart.
public enum ReportPalette {
    /// Tableau 10 (colour-blind friendly enough, prints well).
    public static let categorical = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                     "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
    public static func color(_ i: Int) -> String { categorical[((i % categorical.count) + categorical.count) % categorical.count] }
    public static let neutral = "#7b8794"
    public static let accent = "#2f5d8a"

    /// Sequential white → blue, t in [0, 1].
    public static func sequential(_ t: Double) -> String {
        let t = min(1, max(0, t.isFinite ? t : 0))
        return mix((247, 251, 255), (8, 69, 148), t)
    }

    /// Diverging blue ← white → red, t in [-1, 1].
    public static func diverging(_ t: Double) -> String {
        let t = min(1, max(-1, t.isFinite ? t : 0))
        return t >= 0 ? mix((255, 255, 255), (178, 24, 43), t) : mix((255, 255, 255), (33, 102, 172), -t)
    }

    static func mix(_ a: (Double, Double, Double), _ b: (Double, Double, Double), _ t: Double) -> String {
        func c(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * t).rounded()) }
        return String(format: "#%02x%02x%02x", c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
    }

    /// Black or white text on a background colour "#rrggbb".
    static func textOn(_ hex: String) -> String {
        let v = Int(hex.dropFirst(), radix: 16) ?? 0
        let r = Double((v >> 16) & 255), g = Double((v >> 8) & 255), b = Double(v & 255)
        return (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? "#1f2933" : "#ffffff"
    }
}

/// Axis ticks at 1, 2, 5 × 10^k.
enum Ticks {
    static func nice(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(max(1, count))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.min { abs(log($0 / raw)) < abs(log($1 / raw)) }!
        var t = ceil(lo / step - 1e-9) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    static func label(_ v: Double, step: Double) -> String {
        if step >= 1, abs(v) < 1e6 { return String(Int(v.rounded())) }
        let d = max(0, min(6, Int(ceil(-log10(step) - 1e-9))))
        let s = String(format: "%.\(d)f", v)
        return s.hasPrefix("-") ? "\u{2212}" + s.dropFirst() : s
    }

    /// Padded range of values.
    static func range(_ values: [Double], pad: Double = 0.05) -> (Double, Double) {
        let v = values.filter(\.isFinite)
        guard var lo = v.min(), var hi = v.max() else { return (0, 1) }
        if hi == lo { lo -= abs(lo) * 0.1 + 0.5; hi += abs(hi) * 0.1 + 0.5 }
        let p = (hi - lo) * pad
        return (lo - p, hi + p)
    }
}

/// 64-bit FNV-1a of a string, in hex (stable ids across runs).
func fnv1a(_ s: String) -> String {
    var h: UInt64 = 0xcbf29ce484222325
    for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100000001b3 }
    return String(h, radix: 16)
}

func svgNum(_ x: Double) -> String {
    let s = String(format: "%.1f", x)
    return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
}

/// One line (or scatter) of a `LineChart`.
public struct ChartSeries {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var color: String
    public var dashed = false
    public var lineWidth = 2.0
    /// Draw a dot at each point.
    public var markers = false
    /// Draw no line (points only).
    public var scatterOnly = false
    /// Horizontal-then-vertical steps between points (a best-so-far trace).
    public var step = false
    /// Left out of the legend.
    public var hideInLegend = false
    public var opacity = 1.0

    public init(name: String, points: [(x: Double, y: Double)], color: String, dashed: Bool = false, lineWidth: Double = 2,
                markers: Bool = false, scatterOnly: Bool = false, step: Bool = false, hideInLegend: Bool = false, opacity: Double = 1) {
        self.name = name; self.points = points; self.color = color; self.dashed = dashed; self.lineWidth = lineWidth
        self.markers = markers; self.scatterOnly = scatterOnly; self.step = step; self.hideInLegend = hideInLegend
        self.opacity = opacity
    }
}

/// A line chart with axes, ticks, grid, axis titles and a legend, as inline SVG.
public struct LineChart {
    public enum LegendPosition { case auto, topRight, bottomRight, topLeft, bottomLeft, none }
    public var title: String?
    public var xLabel: String
    public var yLabel: String
    public var series: [ChartSeries]
    public var xRange: (Double, Double)?
    public var yRange: (Double, Double)?
    public var width = 440.0
    public var height = 320.0
    public var legend = LegendPosition.auto
    /// A dashed reference line y = x (ROC chance level) or y = `hLine`.
    public var diagonal = false
    public var hLine: (y: Double, label: String?)? = nil
    /// Integer x ticks only (trials, epochs).
    public var integerX = false
    /// Square plotting area (ROC/PR).
    public var square = false
    /// Id of the clip path (unique within a page); default: a hash of the chart's texts.
    public var id: String? = nil

    public init(title: String? = nil, xLabel: String, yLabel: String, series: [ChartSeries]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
    }

    public func svg() -> String {
        let ml = 58.0, mr = 14.0, mt = title == nil ? 14.0 : 34.0, mb = 46.0
        var pw = width - ml - mr, ph = height - mt - mb
        if square { let s = min(pw, ph); pw = s; ph = s }
        let allX = series.flatMap { $0.points.map(\.x) }, allY = series.flatMap { $0.points.map(\.y) }
        var (x0, x1) = xRange ?? Ticks.range(allX, pad: 0.02)
        var (y0, y1) = yRange ?? Ticks.range(allY + (hLine.map { [$0.y] } ?? []))
        if integerX && xRange == nil { x0 = floor(x0); x1 = ceil(x1); if x1 - x0 < 1 { x1 = x0 + 1 } }
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y1 = y0 + 1 }
        func px(_ x: Double) -> Double { ml + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double { mt + ph - (y - y0) / (y1 - y0) * ph }
        // Legend geometry and placement: the corner hiding the fewest data points, or below the
        // plot when every corner would hide some.
        let entries = series.filter { !$0.hideInLegend }
        var place = legend
        var legendBelow = false
        let lh = 16.0
        let textW = Double(entries.map { $0.name.count }.max() ?? 4) * 6.4
        let bw = 34 + textW, bh = Double(entries.count) * lh + 8
        func corner(_ p: LegendPosition) -> (Double, Double) {
            if legendBelow { return (ml, mt + ph + mb - 2) }
            switch p {
            case .topRight: return (ml + pw - bw - 6, mt + 6)
            case .bottomRight, .auto: return (ml + pw - bw - 6, mt + ph - bh - 6)
            case .topLeft: return (ml + 6, mt + 6)
            case .bottomLeft, .none: return (ml + 6, mt + ph - bh - 6)
            }
        }
        if legend != .none && !entries.isEmpty {
            if legend == .auto {
                // The corner that hides the fewest data points (lines sampled along their segments).
                var samples: [(Double, Double)] = []
                for se in series {
                    let pts = se.points.filter { $0.x.isFinite && $0.y.isFinite }.map { (px($0.x), py($0.y)) }
                    for (i, p) in pts.enumerated() {
                        samples.append(p)
                        if !se.scatterOnly && i + 1 < pts.count {
                            for k in 1..<8 { let t = Double(k) / 8; samples.append((p.0 + (pts[i + 1].0 - p.0) * t, p.1 + (pts[i + 1].1 - p.1) * t)) }
                        }
                    }
                }
                func hidden(_ c: LegendPosition) -> Int {
                    let (x, y) = corner(c)
                    return samples.filter { $0.0 >= x - 4 && $0.0 <= x + bw + 4 && $0.1 >= y - 4 && $0.1 <= y + bh + 4 }.count
                }
                place = [LegendPosition.bottomRight, .topRight, .topLeft, .bottomLeft].min { hidden($0) < hidden($1) } ?? .bottomRight
                if hidden(place) > 0 { legendBelow = true }
            }
        }
        let W = ml + pw + mr, H = mt + ph + mb + (legendBelow ? bh + 6 : 0)
        var s = "<svg class=\"chart\" width=\"\(svgNum(W))\" height=\"\(svgNum(H))\" viewBox=\"0 0 \(svgNum(W)) \(svgNum(H))\" role=\"img\" font-family=\"Helvetica, Arial, sans-serif\">"
        if let title { s += "<text x=\"\(svgNum(ml))\" y=\"20\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2933\">\(ReportFormat.escape(title))</text>" }
        s += "<rect x=\"\(svgNum(ml))\" y=\"\(svgNum(mt))\" width=\"\(svgNum(pw))\" height=\"\(svgNum(ph))\" fill=\"#fbfcfd\" stroke=\"#cbd2d9\"/>"
        // Ticks and grid.
        var xt = Ticks.nice(x0, x1, count: 6)
        if integerX { xt = xt.filter { $0 == $0.rounded() } ; if xt.isEmpty { xt = [x0.rounded(.up)] } }
        let xStep = xt.count > 1 ? xt[1] - xt[0] : 1
        for t in xt where t >= x0 - 1e-12 && t <= x1 + 1e-12 {
            let X = px(t)
            s += "<line x1=\"\(svgNum(X))\" y1=\"\(svgNum(mt))\" x2=\"\(svgNum(X))\" y2=\"\(svgNum(mt + ph))\" stroke=\"#e4e7eb\"/>"
            s += "<line x1=\"\(svgNum(X))\" y1=\"\(svgNum(mt + ph))\" x2=\"\(svgNum(X))\" y2=\"\(svgNum(mt + ph + 4))\" stroke=\"#616e7c\"/>"
            s += "<text x=\"\(svgNum(X))\" y=\"\(svgNum(mt + ph + 17))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#52606d\">\(Ticks.label(t, step: integerX ? max(1, xStep) : xStep))</text>"
        }
        let yt = Ticks.nice(y0, y1, count: 5)
        let yStep = yt.count > 1 ? yt[1] - yt[0] : 1
        for t in yt where t >= y0 - 1e-12 && t <= y1 + 1e-12 {
            let Y = py(t)
            s += "<line x1=\"\(svgNum(ml))\" y1=\"\(svgNum(Y))\" x2=\"\(svgNum(ml + pw))\" y2=\"\(svgNum(Y))\" stroke=\"#e4e7eb\"/>"
            s += "<line x1=\"\(svgNum(ml - 4))\" y1=\"\(svgNum(Y))\" x2=\"\(svgNum(ml))\" y2=\"\(svgNum(Y))\" stroke=\"#616e7c\"/>"
            s += "<text x=\"\(svgNum(ml - 7))\" y=\"\(svgNum(Y + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#52606d\">\(Ticks.label(t, step: yStep))</text>"
        }
        s += "<text x=\"\(svgNum(ml + pw / 2))\" y=\"\(svgNum(H - 8))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#323f4b\">\(ReportFormat.escape(xLabel))</text>"
        s += "<text transform=\"translate(14 \(svgNum(mt + ph / 2))) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\" fill=\"#323f4b\">\(ReportFormat.escape(yLabel))</text>"
        // Clip the data to the plotting area.
        let clip = id ?? "clip\(fnv1a((title ?? "") + xLabel + yLabel + series.map(\.name).joined() + "\(W)x\(H)"))"
        s += "<clipPath id=\"\(clip)\"><rect x=\"\(svgNum(ml))\" y=\"\(svgNum(mt))\" width=\"\(svgNum(pw))\" height=\"\(svgNum(ph))\"/></clipPath>"
        s += "<g clip-path=\"url(#\(clip))\">"
        if diagonal {
            let a = max(x0, y0), b = min(x1, y1)
            s += "<line x1=\"\(svgNum(px(a)))\" y1=\"\(svgNum(py(a)))\" x2=\"\(svgNum(px(b)))\" y2=\"\(svgNum(py(b)))\" stroke=\"#9aa5b1\" stroke-dasharray=\"4 4\"/>"
        }
        if let h = hLine {
            s += "<line x1=\"\(svgNum(ml))\" y1=\"\(svgNum(py(h.y)))\" x2=\"\(svgNum(ml + pw))\" y2=\"\(svgNum(py(h.y)))\" stroke=\"#9aa5b1\" stroke-dasharray=\"4 4\"/>"
            if let l = h.label {
                s += "<text x=\"\(svgNum(ml + 4))\" y=\"\(svgNum(py(h.y) - 4))\" font-size=\"10\" fill=\"#7b8794\">\(ReportFormat.escape(l))</text>"
            }
        }
        for se in series where !se.points.isEmpty {
            let pts = se.points.filter { $0.x.isFinite && $0.y.isFinite }
            if !se.scatterOnly && pts.count > 1 {
                var d = "M\(svgNum(px(pts[0].x))) \(svgNum(py(pts[0].y)))"
                for i in 1..<pts.count {
                    if se.step { d += " H\(svgNum(px(pts[i].x)))" }
                    d += " L\(svgNum(px(pts[i].x))) \(svgNum(py(pts[i].y)))"
                }
                s += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(se.color)\" stroke-width=\"\(svgNum(se.lineWidth))\" stroke-linejoin=\"round\""
                    + (se.dashed ? " stroke-dasharray=\"6 4\"" : "") + (se.opacity < 1 ? " stroke-opacity=\"\(se.opacity)\"" : "") + "/>"
            }
            if se.markers || se.scatterOnly || pts.count == 1 {
                for p in pts {
                    s += "<circle cx=\"\(svgNum(px(p.x)))\" cy=\"\(svgNum(py(p.y)))\" r=\"3.5\" fill=\"\(se.color)\" stroke=\"#fff\" stroke-width=\"1\"/>"
                }
            }
        }
        s += "</g>"
        // Legend (placed before the header: below the plot it makes the SVG taller).
        if legend != .none && !entries.isEmpty {
            let (bx, by) = corner(place)
            s += "<g class=\"legend\"><rect x=\"\(svgNum(bx))\" y=\"\(svgNum(by))\" width=\"\(svgNum(bw))\" height=\"\(svgNum(bh))\" fill=\"#ffffff\" fill-opacity=\"0.92\" stroke=\"#d9e2ec\" rx=\"3\"/>"
            for (i, e) in entries.enumerated() {
                let y = by + 4 + Double(i) * lh + lh / 2
                if e.scatterOnly {
                    s += "<circle cx=\"\(svgNum(bx + 16))\" cy=\"\(svgNum(y))\" r=\"3.5\" fill=\"\(e.color)\"/>"
                } else {
                    s += "<line x1=\"\(svgNum(bx + 6))\" y1=\"\(svgNum(y))\" x2=\"\(svgNum(bx + 26))\" y2=\"\(svgNum(y))\" stroke=\"\(e.color)\" stroke-width=\"\(svgNum(min(3, e.lineWidth)))\"" + (e.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>"
                }
                s += "<text x=\"\(svgNum(bx + 31))\" y=\"\(svgNum(y + 4))\" font-size=\"11\" fill=\"#323f4b\">\(ReportFormat.escape(e.name))</text>"
            }
            s += "</g>"
        }
        return s + "</svg>"
    }
}

/// Horizontal bars with value labels.
public struct BarChart {
    public var title: String?
    public var labels: [String]
    public var values: [Double]
    public var colors: [String]
    public var valueLabels: [String]?
    public var xLabel: String
    public var width = 440.0
    public var barHeight = 22.0

    public init(title: String? = nil, labels: [String], values: [Double], colors: [String], xLabel: String, valueLabels: [String]? = nil) {
        self.title = title; self.labels = labels; self.values = values; self.colors = colors; self.xLabel = xLabel
        self.valueLabels = valueLabels
    }

    public func svg() -> String {
        let ml = min(160, 14 + Double(labels.map(\.count).max() ?? 4) * 7), mr = 60.0
        let mt = title == nil ? 10.0 : 32.0, mb = 40.0
        let pw = width - ml - mr, ph = Double(labels.count) * (barHeight + 8)
        let H = mt + ph + mb
        let hi = Ticks.nice(0, max(values.filter(\.isFinite).max() ?? 1, 1e-12), count: 4).last ?? 1
        let top = max(hi, values.filter(\.isFinite).max() ?? 1)
        func px(_ v: Double) -> Double { ml + v / top * pw }
        var s = "<svg class=\"chart\" width=\"\(svgNum(width))\" height=\"\(svgNum(H))\" viewBox=\"0 0 \(svgNum(width)) \(svgNum(H))\" role=\"img\" font-family=\"Helvetica, Arial, sans-serif\">"
        if let title { s += "<text x=\"\(svgNum(ml))\" y=\"20\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2933\">\(ReportFormat.escape(title))</text>" }
        let ticks = Ticks.nice(0, top, count: 4)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        for t in ticks {
            s += "<line x1=\"\(svgNum(px(t)))\" y1=\"\(svgNum(mt))\" x2=\"\(svgNum(px(t)))\" y2=\"\(svgNum(mt + ph))\" stroke=\"#e4e7eb\"/>"
            s += "<text x=\"\(svgNum(px(t)))\" y=\"\(svgNum(mt + ph + 15))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#52606d\">\(Ticks.label(t, step: step))</text>"
        }
        for (i, l) in labels.enumerated() {
            let y = mt + Double(i) * (barHeight + 8) + 4
            let v = values[i].isFinite ? values[i] : 0
            s += "<text x=\"\(svgNum(ml - 8))\" y=\"\(svgNum(y + barHeight / 2 + 4))\" font-size=\"12\" text-anchor=\"end\" fill=\"#323f4b\">\(ReportFormat.escape(l))</text>"
            s += "<rect x=\"\(svgNum(ml))\" y=\"\(svgNum(y))\" width=\"\(svgNum(max(0.5, px(v) - ml)))\" height=\"\(svgNum(barHeight))\" fill=\"\(colors[i % max(1, colors.count)])\" rx=\"2\"/>"
            let vl = valueLabels?[i] ?? ReportFormat.number(values[i])
            s += "<text x=\"\(svgNum(px(v) + 5))\" y=\"\(svgNum(y + barHeight / 2 + 4))\" font-size=\"11\" fill=\"#323f4b\">\(ReportFormat.escape(vl))</text>"
        }
        s += "<line x1=\"\(svgNum(ml))\" y1=\"\(svgNum(mt))\" x2=\"\(svgNum(ml))\" y2=\"\(svgNum(mt + ph))\" stroke=\"#616e7c\"/>"
        s += "<text x=\"\(svgNum(ml + pw / 2))\" y=\"\(svgNum(H - 8))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#323f4b\">\(ReportFormat.escape(xLabel))</text>"
        return s + "</svg>"
    }
}

/// A matrix of coloured cells with row/column labels, optional values in the cells and a colour bar.
public struct Heatmap {
    public enum Scale { case sequential, diverging }
    public var title: String?
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// `values[row][column]`; NaN cells are grey.
    public var values: [[Double]]
    public var scale = Scale.sequential
    public var showValues = true
    public var valueFormat: (Double) -> String = { ReportFormat.number($0) }
    public var colorBarLabel: String = ""
    public var cellWidth = 64.0
    public var cellHeight = 24.0
    /// Colour of each column label's swatch (cell types).
    public var columnColors: [String]? = nil

    public init(title: String? = nil, rowLabels: [String], columnLabels: [String], values: [[Double]]) {
        self.title = title; self.rowLabels = rowLabels; self.columnLabels = columnLabels; self.values = values
    }

    public func svg() -> String {
        let ml = 16 + Double(rowLabels.map(\.count).max() ?? 4) * 6.8
        let longest = Double(columnLabels.map(\.count).max() ?? 4)
        let rotate = longest * 6.8 > cellWidth - 4
        let mt = (title == nil ? 8.0 : 30.0) + (rotate ? min(120, longest * 5.2 + 10) : 22)
        let nr = rowLabels.count, nc = columnLabels.count
        let pw = Double(nc) * cellWidth, ph = Double(nr) * cellHeight
        let cbw = 14.0, cbGap = 18.0, cbLabelW = 64.0
        let W = ml + pw + cbGap + cbw + cbLabelW, H = mt + max(ph, 90) + 14
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        let absMax = max(abs(lo), abs(hi), 1e-300)
        func color(_ v: Double) -> String {
            guard v.isFinite else { return "#e4e7eb" }
            switch scale {
            case .sequential: return ReportPalette.sequential(hi > lo ? (v - min(0, lo)) / (hi - min(0, lo)) : 0.5)
            case .diverging: return ReportPalette.diverging(v / absMax)
            }
        }
        var s = "<svg class=\"chart heatmap\" width=\"\(svgNum(W))\" height=\"\(svgNum(H))\" viewBox=\"0 0 \(svgNum(W)) \(svgNum(H))\" role=\"img\" font-family=\"Helvetica, Arial, sans-serif\">"
        if let title { s += "<text x=\"4\" y=\"20\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2933\">\(ReportFormat.escape(title))</text>" }
        for (j, c) in columnLabels.enumerated() {
            let x = ml + (Double(j) + 0.5) * cellWidth
            let fill = columnColors?[j] ?? "#323f4b"
            if rotate {
                s += "<text transform=\"translate(\(svgNum(x + 4)) \(svgNum(mt - 6))) rotate(-45)\" font-size=\"11\" fill=\"\(fill)\" font-weight=\"600\">\(ReportFormat.escape(c))</text>"
            } else {
                s += "<text x=\"\(svgNum(x))\" y=\"\(svgNum(mt - 7))\" font-size=\"11\" text-anchor=\"middle\" fill=\"\(fill)\" font-weight=\"600\">\(ReportFormat.escape(c))</text>"
            }
        }
        for (i, r) in rowLabels.enumerated() {
            let y = mt + Double(i) * cellHeight
            s += "<text x=\"\(svgNum(ml - 6))\" y=\"\(svgNum(y + cellHeight / 2 + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#323f4b\">\(ReportFormat.escape(r))</text>"
            for j in 0..<nc {
                let v = j < values[i].count ? values[i][j] : .nan
                let c = color(v)
                s += "<rect x=\"\(svgNum(ml + Double(j) * cellWidth))\" y=\"\(svgNum(y))\" width=\"\(svgNum(cellWidth - 1))\" height=\"\(svgNum(cellHeight - 1))\" fill=\"\(c)\"><title>\(ReportFormat.escape(r)) × \(ReportFormat.escape(columnLabels[j])): \(v.isFinite ? valueFormat(v) : "NA")</title></rect>"
                if showValues && cellWidth >= 36 {
                    s += "<text x=\"\(svgNum(ml + (Double(j) + 0.5) * cellWidth))\" y=\"\(svgNum(y + cellHeight / 2 + 4))\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"\(ReportPalette.textOn(c))\">\(v.isFinite ? ReportFormat.escape(valueFormat(v)) : "NA")</text>"
                }
            }
        }
        // Colour bar.
        let cx = ml + pw + cbGap, cy = mt, ch = max(ph, 90)
        let steps = 24
        let (bLo, bHi) = scale == .diverging ? (-absMax, absMax) : (min(0, lo), hi > lo ? hi : lo + 1)
        for k in 0..<steps {
            let t1 = Double(k) / Double(steps)
            let v = bHi - t1 * (bHi - bLo)
            s += "<rect x=\"\(svgNum(cx))\" y=\"\(svgNum(cy + t1 * ch))\" width=\"\(svgNum(cbw))\" height=\"\(svgNum(ch / Double(steps) + 0.6))\" fill=\"\(color(v))\"/>"
        }
        s += "<rect x=\"\(svgNum(cx))\" y=\"\(svgNum(cy))\" width=\"\(svgNum(cbw))\" height=\"\(svgNum(ch))\" fill=\"none\" stroke=\"#cbd2d9\"/>"
        s += "<text x=\"\(svgNum(cx + cbw + 4))\" y=\"\(svgNum(cy + 9))\" font-size=\"10\" fill=\"#52606d\">\(ReportFormat.escape(valueFormat(bHi)))</text>"
        s += "<text x=\"\(svgNum(cx + cbw + 4))\" y=\"\(svgNum(cy + ch))\" font-size=\"10\" fill=\"#52606d\">\(ReportFormat.escape(valueFormat(bLo)))</text>"
        if !colorBarLabel.isEmpty {
            s += "<text transform=\"translate(\(svgNum(cx + cbw + 30)) \(svgNum(cy + ch / 2))) rotate(90)\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"#52606d\">\(ReportFormat.escape(colorBarLabel))</text>"
        }
        return s + "</svg>"
    }
}

/// Point estimates with intervals on a horizontal axis (the signature per cell type).
public struct ForestPlot {
    public struct Row {
        public var label: String
        public var estimate: Double
        public var low: Double
        public var high: Double
        public var color: String
        public var bold: Bool
        public init(label: String, estimate: Double, low: Double, high: Double, color: String, bold: Bool = false) {
            self.label = label; self.estimate = estimate; self.low = low; self.high = high; self.color = color; self.bold = bold
        }
    }
    public var rows: [Row]
    public var xLabel: String
    public var title: String?
    public var width = 520.0

    public init(title: String? = nil, rows: [Row], xLabel: String) { self.title = title; self.rows = rows; self.xLabel = xLabel }

    public func svg() -> String {
        let ml = min(170, 16 + Double(rows.map(\.label.count).max() ?? 4) * 7), mr = 20.0
        let mt = title == nil ? 10.0 : 32.0, mb = 42.0, rh = 26.0
        let pw = width - ml - mr, ph = Double(rows.count) * rh
        let H = mt + ph + mb
        let vals: [Double] = rows.flatMap { r -> [Double] in [r.low, r.high, r.estimate] } + [0]
        let (x0, x1) = Ticks.range(vals, pad: 0.08)
        func px(_ x: Double) -> Double { ml + (x - x0) / (x1 - x0) * pw }
        var s = "<svg class=\"chart\" width=\"\(svgNum(width))\" height=\"\(svgNum(H))\" viewBox=\"0 0 \(svgNum(width)) \(svgNum(H))\" role=\"img\" font-family=\"Helvetica, Arial, sans-serif\">"
        if let title { s += "<text x=\"\(svgNum(ml))\" y=\"20\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2933\">\(ReportFormat.escape(title))</text>" }
        let ticks = Ticks.nice(x0, x1, count: 6)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        s += "<rect x=\"\(svgNum(ml))\" y=\"\(svgNum(mt))\" width=\"\(svgNum(pw))\" height=\"\(svgNum(ph))\" fill=\"#fbfcfd\" stroke=\"#cbd2d9\"/>"
        for t in ticks where t >= x0 && t <= x1 {
            s += "<line x1=\"\(svgNum(px(t)))\" y1=\"\(svgNum(mt))\" x2=\"\(svgNum(px(t)))\" y2=\"\(svgNum(mt + ph))\" stroke=\"#e4e7eb\"/>"
            s += "<text x=\"\(svgNum(px(t)))\" y=\"\(svgNum(mt + ph + 15))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#52606d\">\(Ticks.label(t, step: step))</text>"
        }
        s += "<line x1=\"\(svgNum(px(0)))\" y1=\"\(svgNum(mt))\" x2=\"\(svgNum(px(0)))\" y2=\"\(svgNum(mt + ph))\" stroke=\"#616e7c\" stroke-dasharray=\"4 3\"/>"
        for (i, r) in rows.enumerated() {
            let y = mt + (Double(i) + 0.5) * rh
            s += "<text x=\"\(svgNum(ml - 8))\" y=\"\(svgNum(y + 4))\" font-size=\"12\" text-anchor=\"end\" fill=\"#323f4b\"\(r.bold ? " font-weight=\"700\"" : "")>\(ReportFormat.escape(r.label))</text>"
            s += "<line x1=\"\(svgNum(px(r.low)))\" y1=\"\(svgNum(y))\" x2=\"\(svgNum(px(r.high)))\" y2=\"\(svgNum(y))\" stroke=\"\(r.color)\" stroke-width=\"2.5\"/>"
            for e in [r.low, r.high] {
                s += "<line x1=\"\(svgNum(px(e)))\" y1=\"\(svgNum(y - 5))\" x2=\"\(svgNum(px(e)))\" y2=\"\(svgNum(y + 5))\" stroke=\"\(r.color)\" stroke-width=\"2\"/>"
            }
            if r.bold {
                let X = px(r.estimate)
                s += "<path d=\"M\(svgNum(X - 7)) \(svgNum(y)) L\(svgNum(X)) \(svgNum(y - 7)) L\(svgNum(X + 7)) \(svgNum(y)) L\(svgNum(X)) \(svgNum(y + 7)) Z\" fill=\"\(r.color)\"/>"
            } else {
                s += "<circle cx=\"\(svgNum(px(r.estimate)))\" cy=\"\(svgNum(y))\" r=\"5\" fill=\"\(r.color)\" stroke=\"#fff\"/>"
            }
        }
        s += "<text x=\"\(svgNum(ml + pw / 2))\" y=\"\(svgNum(H - 8))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#323f4b\">\(ReportFormat.escape(xLabel))</text>"
        return s + "</svg>"
    }
}
