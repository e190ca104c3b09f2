import Foundation

/// A DNA position probability matrix: `width` columns of four probabilities in the order
/// A, C, G, T (the order of `BaseCode` and of Basset's one-hot channels).
///
/// The matrix is stored column after column in `probabilities` (`width × 4`). Each column sums to
/// one. `siteCount` is the number of sites the matrix was estimated from (MEME's `nsites`), and
/// `background` the letter frequencies it is compared against (uniform unless told otherwise).
public struct PWM: Sendable, Equatable {
    /// Motif identifier (MEME's `MOTIF id`, e.g. `MA0139.2` or `filter_3`).
    public var id: String
    /// Alternative name (MEME's second word after `MOTIF`, e.g. `CTCF`); may be empty.
    public var altName: String
    /// `width × 4` probabilities, column-major by position: `probabilities[i * 4 + b]`.
    public private(set) var probabilities: [Double]
    /// Number of sites behind the matrix (MEME's `nsites`); 0 when unknown.
    public var siteCount: Double
    /// Background letter frequencies A, C, G, T.
    public var background: [Double]
    /// Optional URL (MEME's `URL` line).
    public var url: String?

    /// Uniform background.
    public static let uniformBackground: [Double] = [0.25, 0.25, 0.25, 0.25]

    /// Creates a matrix from `width × 4` probabilities (column by column, A C G T).
    ///
    /// Every column is normalised to sum to one; a column summing to zero becomes the background.
    public init(id: String, altName: String = "", probabilities: [Double], siteCount: Double = 0,
                background: [Double] = PWM.uniformBackground, url: String? = nil) {
        precondition(probabilities.count % 4 == 0, "probabilities must hold whole columns of 4")
        precondition(background.count == 4, "background must have 4 letters")
        self.id = id
        self.altName = altName
        self.siteCount = siteCount
        self.background = PWM.normalised(background, fallback: PWM.uniformBackground)
        self.url = url
        var p = probabilities
        for i in 0..<(p.count / 4) {
            let col = PWM.normalised(Array(p[(i * 4)..<(i * 4 + 4)]), fallback: self.background)
            for b in 0..<4 { p[i * 4 + b] = col[b] }
        }
        self.probabilities = p
    }

    /// Creates a matrix from rows of four probabilities (one row per position).
    public init(id: String, altName: String = "", rows: [[Double]], siteCount: Double = 0,
                background: [Double] = PWM.uniformBackground, url: String? = nil) {
        for r in rows { precondition(r.count == 4, "each row must have 4 letters") }
        self.init(id: id, altName: altName, probabilities: rows.flatMap { $0 }, siteCount: siteCount,
                  background: background, url: url)
    }

    /// Creates a matrix from base counts (`width × 4`, column by column), adding `pseudocount`
    /// spread over the letters in proportion to the background. `siteCount` is taken as the
    /// largest column total of the counts.
    public init(id: String, altName: String = "", counts: [Double], pseudocount: Double = 0,
                background: [Double] = PWM.uniformBackground, url: String? = nil) {
        precondition(counts.count % 4 == 0, "counts must hold whole columns of 4")
        let bg = PWM.normalised(background, fallback: PWM.uniformBackground)
        var p = [Double](repeating: 0, count: counts.count)
        var sites = 0.0
        for i in 0..<(counts.count / 4) {
            var total = 0.0
            for b in 0..<4 { total += counts[i * 4 + b] }
            sites = max(sites, total)
            for b in 0..<4 { p[i * 4 + b] = counts[i * 4 + b] + pseudocount * bg[b] }
        }
        self.init(id: id, altName: altName, probabilities: p, siteCount: sites, background: bg, url: url)
    }

    /// Creates a matrix from aligned sites of equal length (A, C, G, T; N or any other letter
    /// adds 0.25 to each letter).
    public init(id: String, altName: String = "", sites: [String], pseudocount: Double = 0,
                background: [Double] = PWM.uniformBackground) {
        let width = sites.first?.utf8.count ?? 0
        var counts = [Double](repeating: 0, count: width * 4)
        for s in sites {
            precondition(s.utf8.count == width, "sites must have equal length")
            for (i, ch) in s.utf8.enumerated() {
                switch ch {
                case 65, 97: counts[i * 4] += 1
                case 67, 99: counts[i * 4 + 1] += 1
                case 71, 103: counts[i * 4 + 2] += 1
                case 84, 116, 85, 117: counts[i * 4 + 3] += 1
                default: for b in 0..<4 { counts[i * 4 + b] += 0.25 }
                }
            }
        }
        self.init(id: id, altName: altName, counts: counts, pseudocount: pseudocount, background: background)
    }

    /// Number of positions.
    @inlinable public var width: Int { probabilities.count / 4 }

    /// Probability of letter `base` (0...3 = A, C, G, T) at `position`.
    @inlinable public subscript(position: Int, base: Int) -> Double {
        probabilities[position * 4 + base]
    }

    /// The four probabilities of one position.
    public func column(_ position: Int) -> [Double] {
        Array(probabilities[(position * 4)..<(position * 4 + 4)])
    }

    /// The matrix as rows (one row of four per position).
    public var rows: [[Double]] { (0..<width).map { column($0) } }

    // MARK: Information content

    /// Small-sample correction of a column's information content (Schneider et al. 1986,
    /// approximation `e(n) = (4 − 1) / (2 ln 2 · n)` bits), 0 when `siteCount` is unknown.
    public var smallSampleCorrection: Double {
        siteCount > 0 ? 3.0 / (2.0 * log(2.0) * siteCount) : 0
    }

    /// Information content (bits) of each position: the relative entropy
    /// `Σ_b p_b log2(p_b / q_b)` against the background `q` (with a uniform background this is
    /// `2 − H`). With `correctSmallSample`, the small-sample correction is subtracted and the
    /// result floored at zero.
    public func informationContent(correctSmallSample: Bool = false) -> [Double] {
        let e = correctSmallSample ? smallSampleCorrection : 0
        return (0..<width).map { i in
            var ic = 0.0
            for b in 0..<4 {
                let p = probabilities[i * 4 + b]
                if p > 0 { ic += p * log2(p / background[b]) }
            }
            return max(0, ic - e)
        }
    }

    /// Total information content (bits), the sum over positions.
    public func totalInformationContent(correctSmallSample: Bool = false) -> Double {
        informationContent(correctSmallSample: correctSmallSample).reduce(0, +)
    }

    // MARK: Transformations

    /// The reverse complement: positions reversed, A↔T and C↔G swapped (the background is
    /// complemented too).
    public var reverseComplement: PWM {
        var p = [Double](repeating: 0, count: probabilities.count)
        let w = width
        for i in 0..<w {
            for b in 0..<4 { p[(w - 1 - i) * 4 + (3 - b)] = probabilities[i * 4 + b] }
        }
        var out = self
        out.probabilities = p
        out.background = [background[3], background[2], background[1], background[0]]
        return out
    }

    /// Positions `range` of the matrix.
    public func slice(_ range: Range<Int>) -> PWM {
        precondition(range.lowerBound >= 0 && range.upperBound <= width, "slice out of range")
        var out = self
        out.probabilities = Array(probabilities[(range.lowerBound * 4)..<(range.upperBound * 4)])
        return out
    }

    /// The range of positions left after removing flanking positions whose information content
    /// is below `minimumIC` bits (from both ends; inner low-IC positions are kept). Empty when no
    /// position reaches the threshold.
    public func trimmedRange(minimumIC: Double = 0.25, correctSmallSample: Bool = false) -> Range<Int> {
        let ic = informationContent(correctSmallSample: correctSmallSample)
        guard let first = ic.firstIndex(where: { $0 >= minimumIC }),
              let last = ic.lastIndex(where: { $0 >= minimumIC }) else { return 0..<0 }
        return first..<(last + 1)
    }

    /// The matrix with low-information flanks removed (see `trimmedRange`). When no position
    /// reaches the threshold the matrix is returned unchanged.
    public func trimmed(minimumIC: Double = 0.25, correctSmallSample: Bool = false) -> PWM {
        let r = trimmedRange(minimumIC: minimumIC, correctSmallSample: correctSmallSample)
        return r.isEmpty ? self : slice(r)
    }

    /// Consensus sequence: per position the most probable letter, in upper case when its
    /// probability is at least 0.5, lower case when it is merely the largest, `N` when the
    /// column is (close to) the background (information content below 0.1 bit).
    public var consensus: String {
        let ic = informationContent()
        let letters: [Character] = ["A", "C", "G", "T"]
        var s = ""
        for i in 0..<width {
            if ic[i] < 0.1 { s.append("N"); continue }
            var best = 0
            for b in 1..<4 where probabilities[i * 4 + b] > probabilities[i * 4 + best] { best = b }
            let ch = letters[best]
            s.append(probabilities[i * 4 + best] >= 0.5 ? ch : Character(ch.lowercased()))
        }
        return s
    }

    /// Log-odds scores `log2(p / q)` (`width × 4`), with `pseudoProbability` added to every
    /// probability before the logarithm so zeros stay finite.
    public func logOdds(pseudoProbability: Double = 0.01) -> [Double] {
        var out = [Double](repeating: 0, count: probabilities.count)
        for i in 0..<width {
            for b in 0..<4 {
                let p = (probabilities[i * 4 + b] + pseudoProbability) / (1 + 4 * pseudoProbability)
                out[i * 4 + b] = log2(p / background[b])
            }
        }
        return out
    }

    static func normalised(_ v: [Double], fallback: [Double]) -> [Double] {
        let s = v.reduce(0, +)
        guard s > 0, s.isFinite else { return fallback }
        return abs(s - 1) <= 1e-12 ? v : v.map { $0 / s }
    }
}

/// The same type under the name used in issue 7: a position probability matrix.
public typealias MotifMatrix = PWM
