import Foundation

/// How two motif columns (four probabilities each) are compared; larger is more similar.
public enum ColumnSimilarity: String, Sendable, CaseIterable {
    /// Pearson correlation coefficient of the four probabilities (Tomtom's default `pearson`);
    /// a column with no variance (uniform) scores 0.
    case pearson
    /// Negative Euclidean distance between the columns (Tomtom's `ed`).
    case euclidean
}

/// Strand of a target motif in an alignment.
public enum MotifStrand: String, Sendable {
    /// The target as given.
    case forward = "+"
    /// The target's reverse complement.
    case reverse = "-"
}

/// Options of `MotifComparator`.
public struct MotifComparatorOptions: Sendable {
    /// Column similarity.
    public var similarity: ColumnSimilarity
    /// Alignments must overlap by at least `min(minOverlap, query width, target width)` columns.
    public var minOverlap: Int
    /// Also align the reverse complement of each target.
    public var bothStrands: Bool
    /// Column scores are quantised to this many steps between the smallest and the largest score
    /// of the query against the database (Tomtom's score binning).
    public var binsPerColumn: Int

    public init(similarity: ColumnSimilarity = .pearson, minOverlap: Int = 5, bothStrands: Bool = true,
                binsPerColumn: Int = 100) {
        precondition(minOverlap >= 1, "minimum overlap must be at least 1")
        precondition(binsPerColumn >= 2, "need at least 2 bins")
        self.similarity = similarity
        self.minOverlap = minOverlap
        self.bothStrands = bothStrands
        self.binsPerColumn = binsPerColumn
    }
}

/// The best alignment of a query motif with one database motif.
public struct MotifMatch: Sendable, Equatable {
    /// Index of the target in the database.
    public let targetIndex: Int
    /// Target identifier (e.g. `MA0139.2`).
    public let targetID: String
    /// Target alternative name (e.g. `CTCF`).
    public let targetName: String
    /// Offset of the alignment: query column `i` is aligned with column `i − offset` of the
    /// target (of its reverse complement on the − strand). 0 when both start together; positive
    /// when the target starts `offset` columns into the query.
    public let offset: Int
    /// Strand of the target.
    public let strand: MotifStrand
    /// Number of aligned columns.
    public let overlap: Int
    /// Sum of the column similarities over the aligned columns.
    public let score: Double
    /// P-value of the best alignment, corrected for the number of alignments tried.
    public let pValue: Double
    /// E-value: `pValue × database size`.
    public let eValue: Double
    /// Benjamini–Hochberg q-value over all targets of this query.
    public let qValue: Double
}

/// Compares motifs with a database, the way Tomtom does (Gupta et al., Genome Biology 2007).
///
/// For a query of width `w` every column is scored against every column of the database (both
/// strands): Pearson correlation or negative Euclidean distance. The scores are quantised to
/// integers (`binsPerColumn` steps between the query's smallest and largest score), and the
/// empirical distribution of query column `i`'s scores over all database columns is its null
/// distribution. The null distribution of an alignment score (the sum over the aligned query
/// columns `a..<b`) is the convolution of those columns' distributions (columns taken as
/// independent), computed for every range of query columns. Each target is aligned at every
/// offset with at least the minimum overlap, on both strands; the p-value of each alignment is
/// the upper tail of its range's null distribution at its quantised score (only the aligned
/// columns count: Tomtom's "incomplete" scoring). A target's p-value is the smallest p over its
/// `m` alignments, corrected as `1 − (1 − p)^m`; E = p × database size; q-values by
/// Benjamini–Hochberg over the database. The analytic null is deterministic (no sampling).
public struct MotifComparator: Sendable {
    /// The database motifs.
    public let targets: [PWM]
    /// Options.
    public let options: MotifComparatorOptions

    /// All database columns (forward), 4 values each.
    let columns: [Double]
    /// Start column of each target in `columns`.
    let starts: [Int]

    public init(database: [PWM], options: MotifComparatorOptions = MotifComparatorOptions()) {
        self.targets = database
        self.options = options
        var cols: [Double] = []
        var starts: [Int] = []
        for t in database {
            starts.append(cols.count / 4)
            cols.append(contentsOf: t.probabilities)
        }
        self.columns = cols
        self.starts = starts
    }

    public init(database: MotifDatabase, options: MotifComparatorOptions = MotifComparatorOptions()) {
        self.init(database: database.motifs, options: options)
    }

    /// Similarity of two columns (4 probabilities each) under `similarity`.
    public static func columnSimilarity(_ q: ArraySlice<Double>, _ t: ArraySlice<Double>,
                                        similarity: ColumnSimilarity) -> Double {
        let qi = q.startIndex, ti = t.startIndex
        switch similarity {
        case .pearson:
            let qm = (q[qi] + q[qi + 1] + q[qi + 2] + q[qi + 3]) / 4
            let tm = (t[ti] + t[ti + 1] + t[ti + 2] + t[ti + 3]) / 4
            var sqt = 0.0, sqq = 0.0, stt = 0.0
            for b in 0..<4 {
                let x = q[qi + b] - qm, y = t[ti + b] - tm
                sqt += x * y; sqq += x * x; stt += y * y
            }
            let d = (sqq * stt).squareRoot()
            return d > 1e-12 ? sqt / d : 0
        case .euclidean:
            var s = 0.0
            for b in 0..<4 { let d = q[qi + b] - t[ti + b]; s += d * d }
            return -s.squareRoot()
        }
    }

    /// Matches of `query` with every database motif, best first (by p-value, then score).
    /// `top` keeps only the first `top` matches (q-values are still computed over the whole
    /// database).
    public func compare(_ query: PWM, top: Int? = nil) -> [MotifMatch] {
        let wq = query.width
        let nT = targets.count
        guard wq > 0, nT > 0 else { return [] }
        let nCols = columns.count / 4
        let strands = options.bothStrands ? 2 : 1

        // Column scores: forward [i][j] and against the complement of column j (for − strand).
        var score = [Double](repeating: 0, count: strands * wq * nCols)
        let qp = query.probabilities
        var comp = [Double](repeating: 0, count: 4)
        for i in 0..<wq {
            let qc = qp[(i * 4)..<(i * 4 + 4)]
            for j in 0..<nCols {
                score[i * nCols + j] = MotifComparator.columnSimilarity(qc, columns[(j * 4)..<(j * 4 + 4)],
                                                                        similarity: options.similarity)
                if strands == 2 {
                    for b in 0..<4 { comp[b] = columns[j * 4 + 3 - b] }
                    score[(wq + i) * nCols + j] = MotifComparator.columnSimilarity(qc, comp[0..<4],
                                                                                   similarity: options.similarity)
                }
            }
        }
        // Quantisation.
        var lo = Double.infinity, hi = -Double.infinity
        for s in score { lo = min(lo, s); hi = max(hi, s) }
        let B = options.binsPerColumn
        let scale = hi > lo ? Double(B) / (hi - lo) : 0
        let bins = score.map { Int32((($0 - lo) * scale).rounded()) }

        // Null distribution of each query column over all database columns (both strands).
        var hist = [[Double]](repeating: [Double](repeating: 0, count: B + 1), count: wq)
        let per = 1.0 / Double(strands * nCols)
        for s in 0..<strands {
            for i in 0..<wq {
                let base = (s * wq + i) * nCols
                for j in 0..<nCols { hist[i][Int(bins[base + j])] += per }
            }
        }
        // Survival functions of sums over every range a..<b of query columns:
        // tails[a][b - a - 1][x] = P(sum ≥ x).
        var tails = [[[Double]]](repeating: [], count: wq)
        for a in 0..<wq {
            var dist: [Double] = [1]
            var row: [[Double]] = []
            row.reserveCapacity(wq - a)
            for b in a..<wq {
                dist = MotifComparator.convolve(dist, hist[b])
                var sf = [Double](repeating: 0, count: dist.count + 1)
                var acc = 0.0
                for x in stride(from: dist.count - 1, through: 0, by: -1) { acc += dist[x]; sf[x] = min(1, acc) }
                row.append(sf)
            }
            tails[a] = row
        }

        // Align every target at every offset, both strands.
        var best = [(p: Double, score: Double, offset: Int, strand: MotifStrand, overlap: Int)]()
        best.reserveCapacity(nT)
        for (t, target) in targets.enumerated() {
            let wt = target.width
            let start = starts[t]
            let minOv = min(options.minOverlap, wq, wt)
            var bp = 2.0, bs = -Double.infinity, bo = 0, bst = MotifStrand.forward, bov = 0
            var tried = 0
            for s in 0..<strands {
                // Offset o: query column i ↔ target column i − o, overlap = [max(0,o), min(wq, o+wt)).
                for o in (minOv - wt)...(wq - minOv) {
                    let a = max(0, o), b = min(wq, o + wt)
                    guard b - a >= minOv else { continue }
                    tried += 1
                    var isum = 0, rsum = 0.0
                    for i in a..<b {
                        let jt = i - o                      // column of the (possibly reversed) target
                        let j = s == 0 ? start + jt : start + (wt - 1 - jt)
                        let k = (s * wq + i) * nCols + j
                        isum += Int(bins[k]); rsum += score[k]
                    }
                    let sf = tails[a][b - a - 1]
                    let p = isum < sf.count ? sf[max(0, isum)] : 0
                    if p < bp || (p == bp && rsum > bs) {
                        bp = p; bs = rsum; bo = o; bst = s == 0 ? .forward : .reverse; bov = b - a
                    }
                }
            }
            // Correct the best of `tried` alignments: 1 − (1 − p)^m.
            let pc: Double
            if bp >= 1 { pc = 1 } else { pc = min(1, -expm1(Double(tried) * log1p(-bp))) }
            best.append((max(pc, Double.leastNonzeroMagnitude), bs, bo, bst, bov))
        }

        let q = MotifComparator.benjaminiHochberg(best.map(\.p))
        var order = Array(0..<nT)
        order.sort { x, y in
            best[x].p != best[y].p ? best[x].p < best[y].p
                : (best[x].score != best[y].score ? best[x].score > best[y].score : x < y)
        }
        if let k = top { order = Array(order.prefix(k)) }
        return order.map { t in
            MotifMatch(targetIndex: t, targetID: targets[t].id, targetName: targets[t].altName,
                       offset: best[t].offset, strand: best[t].strand, overlap: best[t].overlap,
                       score: best[t].score, pValue: best[t].p, eValue: min(Double(nT), best[t].p * Double(nT)),
                       qValue: q[t])
        }
    }

    /// `compare` for every query, on all cores; results in query order.
    public func compareAll(_ queries: [PWM], top: Int? = nil) -> [[MotifMatch]] {
        parallelMap(queries) { compare($0, top: top) }
    }

    /// Benjamini–Hochberg q-values of `p` (same order as `p`).
    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let n = p.count
        guard n > 0 else { return [] }
        let order = (0..<n).sorted { p[$0] != p[$1] ? p[$0] < p[$1] : $0 < $1 }
        var q = [Double](repeating: 0, count: n)
        var running = 1.0
        for r in stride(from: n - 1, through: 0, by: -1) {
            let i = order[r]
            running = min(running, p[i] * Double(n) / Double(r + 1))
            q[i] = min(1, running)
        }
        return q
    }

    static func convolve(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: a.count + b.count - 1)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { op in
                    for j in 0..<bp.count {
                        let w = bp[j]
                        if w == 0 { continue }
                        for i in 0..<ap.count { op[i + j] += ap[i] * w }
                    }
                }
            }
        }
        return out
    }
}
