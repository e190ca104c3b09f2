import Foundation

/// Self-contained SVG sequence logos (no external fonts, images or links).
///
/// Letters are outlines (`LogoGlyphs`) scaled to their heights, so logos look the same in every
/// browser. Each drawn letter is one `<path class="glyph" …>` element with `data-pos`,
/// `data-letter` and `data-height` attributes. Colours are the classic ones: A green, C blue,
/// G orange, T red.
public enum SequenceLogo {

    /// Layout of a logo.
    public struct Style: Sendable {
        /// Width of one position in pixels.
        public var columnWidth: Double
        /// Height of the plotting area in pixels.
        public var plotHeight: Double
        /// Font family of axis labels and title (a generic family, nothing to download).
        public var fontFamily: String
        /// Draw position numbers under the columns (1-based).
        public var showPositions: Bool

        public init(columnWidth: Double = 26, plotHeight: Double = 120,
                    fontFamily: String = "Helvetica, Arial, sans-serif", showPositions: Bool = true) {
            self.columnWidth = columnWidth
            self.plotHeight = plotHeight
            self.fontFamily = fontFamily
            self.showPositions = showPositions
        }
    }

    /// An information-content logo of `pwm`: each position's letters stacked by height
    /// (probability × the position's information content in bits), the largest on top. The y axis
    /// runs from 0 to 2 bits (further when the background makes a column exceed 2 bits).
    public static func informationContent(_ pwm: PWM, title: String? = nil, correctSmallSample: Bool = false,
                                          style: Style = Style()) -> String {
        let ic = pwm.informationContent(correctSmallSample: correctSmallSample)
        var heights = [Double](repeating: 0, count: pwm.width * 4)
        for i in 0..<pwm.width { for b in 0..<4 { heights[i * 4 + b] = pwm[i, b] * ic[i] } }
        let top = max(2.0, (ic.max() ?? 0).rounded(.up))
        return render(heights: heights, width: pwm.width, maxValue: top, minValue: 0, yLabel: "bits",
                      title: title ?? (pwm.altName.isEmpty ? pwm.id : "\(pwm.id) \(pwm.altName)"), style: style)
    }

    /// A two-sided logo of a `width × 4` matrix of signed letter heights (position-major, A C G T),
    /// e.g. an in-silico mutagenesis map or a filter's weights: positive values stack above the zero
    /// line (largest on top), negative ones below it (largest magnitude at the bottom).
    public static func twoSided(values: [Double], title: String? = nil, yLabel: String = "",
                                style: Style = Style()) -> String {
        precondition(values.count % 4 == 0, "values must hold whole columns of 4")
        let w = values.count / 4
        var posMax = 0.0, negMax = 0.0
        for i in 0..<w {
            var p = 0.0, n = 0.0
            for b in 0..<4 { let v = values[i * 4 + b]; if v > 0 { p += v } else { n -= v } }
            posMax = max(posMax, p); negMax = max(negMax, n)
        }
        if posMax == 0 && negMax == 0 { posMax = 1 }
        return render(heights: values, width: w, maxValue: posMax, minValue: -negMax, yLabel: yLabel,
                      title: title, style: style)
    }

    // MARK: Rendering

    static func render(heights: [Double], width w: Int, maxValue: Double, minValue: Double, yLabel: String,
                       title: String?, style: Style) -> String {
        let left = 52.0, right = 10.0
        let top = title == nil ? 10.0 : 30.0
        let bottom = style.showPositions ? 26.0 : 10.0
        let cw = style.columnWidth, ph = style.plotHeight
        let totalW = left + Double(max(w, 1)) * cw + right
        let totalH = top + ph + bottom
        let range = maxValue - minValue
        let pxPerUnit = range > 0 ? ph / range : 0
        let zeroY = top + maxValue * pxPerUnit
        func f(_ x: Double) -> String { String(format: "%.2f", x) }

        var s = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(totalW))" height="\(f(totalH))" \
        viewBox="0 0 \(f(totalW)) \(f(totalH))" font-family="\(escape(style.fontFamily))">
        <rect x="0" y="0" width="\(f(totalW))" height="\(f(totalH))" fill="white"/>

        """
        if let t = title {
            s += "<text x=\"\(f(left))\" y=\"20\" font-size=\"14\" font-weight=\"bold\">\(escape(t))</text>\n"
        }
        // Letters.
        s += "<g class=\"letters\">\n"
        let gap = cw * 0.04
        for i in 0..<w {
            let x = left + Double(i) * cw + gap
            let gw = cw - 2 * gap
            let col = (0..<4).map { (b: $0, v: heights[i * 4 + $0]) }
            // Above zero: smallest at the bottom, largest on top.
            var y = zeroY
            for e in col.filter({ $0.v > 0 }).sorted(by: { $0.v != $1.v ? $0.v < $1.v : $0.b > $1.b }) {
                let h = e.v * pxPerUnit
                y -= h
                if h > 1e-3 { s += glyph(e.b, pos: i, value: e.v, x: x, y: y, w: gw, h: h) }
            }
            // Below zero: smallest magnitude next to the line, largest at the bottom.
            y = zeroY
            for e in col.filter({ $0.v < 0 }).sorted(by: { $0.v != $1.v ? $0.v > $1.v : $0.b < $1.b }) {
                let h = -e.v * pxPerUnit
                if h > 1e-3 { s += glyph(e.b, pos: i, value: e.v, x: x, y: y, w: gw, h: h) }
                y += h
            }
        }
        s += "</g>\n"
        // Axes.
        s += "<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\" fill=\"none\">\n"
        s += "<line x1=\"\(f(left - 4))\" y1=\"\(f(top))\" x2=\"\(f(left - 4))\" y2=\"\(f(top + ph))\"/>\n"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(zeroY))\" x2=\"\(f(left + Double(w) * cw))\" y2=\"\(f(zeroY))\"/>\n"
        let ticks = tickValues(minValue, maxValue)
        for v in ticks {
            let ty = zeroY - v * pxPerUnit
            s += "<line x1=\"\(f(left - 8))\" y1=\"\(f(ty))\" x2=\"\(f(left - 4))\" y2=\"\(f(ty))\"/>\n"
        }
        s += "</g>\n<g class=\"labels\" font-size=\"11\" fill=\"#333\">\n"
        for v in ticks {
            let ty = zeroY - v * pxPerUnit
            s += "<text x=\"\(f(left - 10))\" y=\"\(f(ty + 4))\" text-anchor=\"end\">\(tickLabel(v))</text>\n"
        }
        if !yLabel.isEmpty {
            let cy = top + ph / 2
            s += "<text x=\"14\" y=\"\(f(cy))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(cy)))\">\(escape(yLabel))</text>\n"
        }
        if style.showPositions {
            for i in 0..<w {
                let cx = left + (Double(i) + 0.5) * cw
                s += "<text x=\"\(f(cx))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(i + 1)</text>\n"
            }
        }
        s += "</g>\n</svg>\n"
        return s
    }

    static func glyph(_ b: Int, pos: Int, value: Double, x: Double, y: Double, w: Double, h: Double) -> String {
        let sx = w / 100, sy = h / 100
        return "<path class=\"glyph\" data-pos=\"\(pos)\" data-letter=\"\(LogoGlyphs.letters[b])\" "
            + "data-height=\(String(format: "\"%.4f\"", value)) fill=\"\(LogoGlyphs.colors[b])\" fill-rule=\"evenodd\" "
            + "transform=\"translate(\(String(format: "%.2f", x)),\(String(format: "%.3f", y))) scale(\(String(format: "%.4f", sx)),\(String(format: "%.5f", sy)))\" "
            + "d=\"\(LogoGlyphs.path(b))\"/>\n"
    }

    /// Round tick values spanning `lo...hi` (about four), always including 0.
    static func tickValues(_ lo: Double, _ hi: Double) -> [Double] {
        let span = hi - lo
        guard span > 0 else { return [0] }
        let raw = span / 4
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 2.5, 5.0, 10.0].map { $0 * mag }.first { $0 >= raw } ?? raw
        var out: [Double] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 { out.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        return out
    }

    static func tickLabel(_ v: Double) -> String {
        if v == v.rounded() { return String(Int(v)) }
        var s = String(format: "%.3f", v)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    static func escape(_ s: String) -> String { XMLText.escape(s) }
}
