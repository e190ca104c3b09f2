import Foundation
import NeuralNet

#if canImport(Glibc)
import Glibc
#endif

/// DeLong's test for AUROCs on the same instances (DeLong, DeLong & Clarke-Pearson 1988),
/// computed with the O(n log n) midrank algorithm of Sun & Xu (2014).
public enum DeLong {
    /// Midranks (1-based, ties get the mean rank) of `x`.
    static func midranks(_ x: [Double]) -> [Double] {
        let n = x.count
        let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
        var r = [Double](repeating: 0, count: n)
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && x[order[j + 1]] == x[order[i]] { j += 1 }
            let mid = Double(i + j + 2) / 2
            for k in i...j { r[order[k]] = mid }
            i = j + 1
        }
        return r
    }

    /// AUROC and its structural components: `v10[i]` for each positive (the fraction of
    /// negatives it beats, ties ½) and `v01[j]` for each negative. nil with one class only.
    public static func components(labels: [UInt8], scores: [Double]) -> (auc: Double, v10: [Double], v01: [Double])? {
        precondition(labels.count == scores.count)
        var pos: [Double] = [], neg: [Double] = []
        for (y, s) in zip(labels, scores) { if y != 0 { pos.append(s) } else { neg.append(s) } }
        let m = pos.count, n = neg.count
        if m == 0 || n == 0 { return nil }
        let tx = midranks(pos), ty = midranks(neg), tz = midranks(pos + neg)
        var v10 = [Double](repeating: 0, count: m), v01 = [Double](repeating: 0, count: n)
        var sum = 0.0
        for i in 0..<m { v10[i] = (tz[i] - tx[i]) / Double(n); sum += v10[i] }
        for j in 0..<n { v01[j] = 1 - (tz[m + j] - ty[j]) / Double(m) }
        return (sum / Double(m), v10, v01)
    }

    public struct Paired: Sendable, Equatable {
        public var aucA: Double
        public var aucB: Double
        public var delta: Double { aucA - aucB }
        public var varA: Double
        public var varB: Double
        public var covariance: Double
        public var varianceDelta: Double { max(0, varA + varB - 2 * covariance) }
        /// (aucA − aucB) / sd; 0 when the variance is 0.
        public var z: Double { varianceDelta > 0 ? delta / varianceDelta.squareRoot() : 0 }
        /// Two-sided p-value; 1 when the two score vectors rank identically (variance 0, Δ = 0).
        public var p: Double { varianceDelta > 0 ? Signature.twoSidedP(z) : (delta == 0 ? 1 : 0) }
    }

    static func sampleCov(_ a: [Double], _ b: [Double]) -> Double {
        let n = a.count
        if n < 2 { return 0 }
        let ma = a.reduce(0, +) / Double(n), mb = b.reduce(0, +) / Double(n)
        var s = 0.0
        for i in 0..<n { s += (a[i] - ma) * (b[i] - mb) }
        return s / Double(n - 1)
    }

    /// The paired test of two score vectors on the same labelled instances. nil with one class.
    public static func paired(labels: [UInt8], scoresA: [Double], scoresB: [Double]) -> Paired? {
        guard let a = components(labels: labels, scores: scoresA), let b = components(labels: labels, scores: scoresB) else { return nil }
        let m = Double(a.v10.count), n = Double(a.v01.count)
        let va = sampleCov(a.v10, a.v10) / m + sampleCov(a.v01, a.v01) / n
        let vb = sampleCov(b.v10, b.v10) / m + sampleCov(b.v01, b.v01) / n
        let cab = sampleCov(a.v10, b.v10) / m + sampleCov(a.v01, b.v01) / n
        return Paired(aucA: a.auc, aucB: b.auc, varA: va, varB: vb, covariance: cab)
    }
}

/// The SigTFB signature of one TF-AB: on the test set, how much telling the model the cell type
/// improves its AUROC, per cell type and overall.
public struct SignatureResult: Codable, Sendable {
    public struct Macro: Codable, Sendable {
        /// Mean over cell types of AUROC(told) − AUROC(not told).
        public var deltaAUROC: Double
        /// Bootstrap 95 % percentile interval of `deltaAUROC` (test sequences resampled).
        public var ci: [Double]
        /// Two-sided p-value of the combined DeLong test of `deltaAUROC` = 0.
        public var pValue: Double
        public var z: Double
        public var standardError: Double
        public var aurocTold: Double
        public var aurocNotTold: Double
        public var auprcTold: Double
        public var auprcNotTold: Double
        public var bootstrapReplicates: Int
        public var method: String
        enum CodingKeys: String, CodingKey {
            case deltaAUROC = "delta_auroc", ci, pValue = "p_value", z, standardError = "standard_error"
            case aurocTold = "auroc_told", aurocNotTold = "auroc_not_told", auprcTold = "auprc_told", auprcNotTold = "auprc_not_told"
            case bootstrapReplicates = "bootstrap_replicates", method
        }
    }
    public struct CellType: Codable, Sendable {
        public var aurocTold: Double
        public var aurocNotTold: Double
        public var deltaAUROC: Double
        public var pValue: Double
        public var ci: [Double]
        public var auprcTold: Double
        public var auprcNotTold: Double
        public var positives: Int
        public var negatives: Int
        /// Stage 1's AUROC for this cell type on the same test set (reported beside the signature).
        public var stage1AUROC: Double?
        enum CodingKeys: String, CodingKey {
            case aurocTold = "auroc_told", aurocNotTold = "auroc_not_told", deltaAUROC = "delta_auroc", pValue = "p_value", ci
            case auprcTold = "auprc_told", auprcNotTold = "auprc_not_told", positives, negatives, stage1AUROC = "stage1_auroc"
        }
    }
    public var tf: String
    public var ab: String
    public var macro: Macro
    public var perCellType: [String: CellType]
    /// Cell types in label order; those with one class in the test set are left out (and listed in `warnings`).
    public var cellTypes: [String]
    public var testSequences: Int
    public var warnings: [String]
    enum CodingKeys: String, CodingKey {
        case tf, ab, macro, perCellType = "per_cell_type", cellTypes = "cell_types", testSequences = "test_sequences", warnings
    }

    /// Tab-separated: one row per cell type, then a `MACRO` row.
    public var tsv: String {
        func f(_ x: Double) -> String { String(format: "%.6g", x) }
        var s = "tf\tab\tcell_type\tauroc_told\tauroc_not_told\tdelta_auroc\tci_low\tci_high\tp_value\tauprc_told\tauprc_not_told\tstage1_auroc\tpositives\tnegatives\n"
        for name in cellTypes {
            let c = perCellType[name]!
            s += "\(tf)\t\(ab)\t\(name)\t\(f(c.aurocTold))\t\(f(c.aurocNotTold))\t\(f(c.deltaAUROC))\t\(f(c.ci[0]))\t\(f(c.ci[1]))\t\(f(c.pValue))\t\(f(c.auprcTold))\t\(f(c.auprcNotTold))\t\(c.stage1AUROC.map(f) ?? "")\t\(c.positives)\t\(c.negatives)\n"
        }
        let m = macro
        s += "\(tf)\t\(ab)\tMACRO\t\(f(m.aurocTold))\t\(f(m.aurocNotTold))\t\(f(m.deltaAUROC))\t\(f(m.ci[0]))\t\(f(m.ci[1]))\t\(f(m.pValue))\t\(f(m.auprcTold))\t\(f(m.auprcNotTold))\t\t\t\n"
        return s
    }
}

public struct SignatureError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ m: String) { description = m }
}

/// Computes the signature from told / not-told predictions on the test set.
///
/// Per cell type c: the paired DeLong test of AUROC(told) vs AUROC(not told) on the test
/// sequences' labels for c. Macro: Δ = mean_c Δ_c with
/// Var(Δ) = (1/N²) [Σ_c Var_DeLong(Δ_c) + Σ_{c≠c'} Cov(Δ_c, Δ_c')], where the cross-covariances
/// come from the per-sequence influence terms of each Δ_c (a sequence is positive for some cell
/// types and negative for others; the Δ_c share the sequences, so they are correlated): with
/// a_c(i) = (D10_c(i) − Δ_c)/m_c for a positive and (D01_c(i) − Δ_c)/n_c for a negative, where
/// D = V_told − V_not-told are the differences of the DeLong structural components,
/// Cov(Δ_c, Δ_c') ≈ Σ_i a_c(i) a_c'(i). With one cell type this is exactly the DeLong test.
/// z = Δ / SE, two-sided normal p-value. The bootstrap interval resamples test sequences
/// (seeded; replicates where a cell type has one class are redrawn).
public enum Signature {
    public static func twoSidedP(_ z: Double) -> Double { erfc(abs(z) / 2.0.squareRoot()) }

    public static func compute(tf: String, ab: String, predictions p: Stage2Predictions, stage1AUROC: [String: Double?] = [:],
                               bootstrapReplicates B: Int = 2000, seed: UInt64 = 1) throws -> SignatureResult {
        var warnings: [String] = []
        var used: [Int] = []
        for c in p.cellTypes.indices {
            let pos = p.labels[c].reduce(0) { $0 + Int($1) }
            if pos == 0 || pos == p.labels[c].count {
                warnings.append("cell type \(p.cellTypes[c]): the test set holds only one class (\(pos) positives of \(p.labels[c].count)); left out of the signature")
            } else { used.append(c) }
        }
        guard !used.isEmpty else { throw SignatureError("no cell type has both bound and unbound test sequences; the signature is undefined") }
        let n = p.labels[used[0]].count
        var per: [String: SignatureResult.CellType] = [:]
        var influence: [[Double]] = []
        var varSum = 0.0
        var deltas: [Double] = [], aurocT: [Double] = [], aurocN: [Double] = [], auprcT: [Double] = [], auprcN: [Double] = []
        for c in used {
            let y = p.labels[c]
            let t = p.told[c].map(Double.init), u = p.notTold[c].map(Double.init)
            let d = DeLong.paired(labels: y, scoresA: t, scoresB: u)!
            let ct = DeLong.components(labels: y, scores: t)!, cu = DeLong.components(labels: y, scores: u)!
            var a = [Double](repeating: 0, count: n)
            var ip = 0, ineg = 0
            let m = Double(ct.v10.count), nn = Double(ct.v01.count)
            for i in 0..<n {
                if y[i] != 0 { a[i] = (ct.v10[ip] - cu.v10[ip] - d.delta) / m; ip += 1 }
                else { a[i] = (ct.v01[ineg] - cu.v01[ineg] - d.delta) / nn; ineg += 1 }
            }
            influence.append(a)
            varSum += d.varianceDelta
            let apT = Metrics.averagePrecision(labels: y, scores: p.told[c]) ?? 0
            let apN = Metrics.averagePrecision(labels: y, scores: p.notTold[c]) ?? 0
            per[p.cellTypes[c]] = .init(aurocTold: d.aucA, aurocNotTold: d.aucB, deltaAUROC: d.delta, pValue: d.p, ci: [0, 0],
                                        auprcTold: apT, auprcNotTold: apN, positives: Int(m), negatives: Int(nn),
                                        stage1AUROC: stage1AUROC[p.cellTypes[c]] ?? nil)
            deltas.append(d.delta); aurocT.append(d.aucA); aurocN.append(d.aucB); auprcT.append(apT); auprcN.append(apN)
        }
        let K = Double(used.count)
        var variance = varSum
        for i in 0..<used.count { for j in 0..<used.count where i != j {
            var s = 0.0
            for r in 0..<n { s += influence[i][r] * influence[j][r] }
            variance += s
        } }
        variance = max(0, variance) / (K * K)
        let macroDelta = deltas.reduce(0, +) / K
        let se = variance.squareRoot()
        let z = se > 0 ? macroDelta / se : 0
        let pMacro = se > 0 ? twoSidedP(z) : (macroDelta == 0 ? 1 : 0)
        // Bootstrap over test sequences.
        var rng = SeededRandom.derived(seed: seed, stream: 0xB007)
        var macroBoot: [Double] = [], cellBoot: [[Double]] = Array(repeating: [], count: used.count)
        var attempts = 0
        while macroBoot.count < B && attempts < B * 10 {
            attempts += 1
            let idx = (0..<n).map { _ in rng.below(n) }
            var ds: [Double] = []
            var ok = true
            for c in used {
                let y = idx.map { p.labels[c][$0] }
                guard let at = Metrics.auroc(labels: y, scores: idx.map { p.told[c][$0] }),
                      let an = Metrics.auroc(labels: y, scores: idx.map { p.notTold[c][$0] }) else { ok = false; break }
                ds.append(at - an)
            }
            if !ok { continue }
            for k in ds.indices { cellBoot[k].append(ds[k]) }
            macroBoot.append(ds.reduce(0, +) / K)
        }
        func interval(_ v: [Double]) -> [Double] {
            if v.isEmpty { return [macroDelta, macroDelta] }
            let s = v.sorted()
            func q(_ f: Double) -> Double {
                let h = f * Double(s.count - 1), lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
                return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
            }
            return [q(0.025), q(0.975)]
        }
        for (k, c) in used.enumerated() { per[p.cellTypes[c]]!.ci = interval(cellBoot[k]) }
        // Telling a well-trained model the cell type cannot hurt it (told ranks by P(bound | sequence,
        // cell type), not told by its average over cell types), so a significantly negative Δ is a
        // training failure (e.g. told / not told mixed up), not a signature: flag it.
        for c in used {
            let r = per[p.cellTypes[c]]!
            if r.deltaAUROC < 0 && r.pValue < 0.01 {
                warnings.append(String(format: "cell type %@: AUROC told is significantly below not told (Δ %.3f, p = %.2g); telling the cell type should not hurt a well-trained model, so this points to a stage-2 training failure", p.cellTypes[c], r.deltaAUROC, r.pValue))
            }
        }
        if macroBoot.count < B { warnings.append("bootstrap: \(macroBoot.count) of \(B) replicates had both classes for every cell type") }
        let macro = SignatureResult.Macro(
            deltaAUROC: macroDelta, ci: interval(macroBoot), pValue: pMacro, z: z, standardError: se,
            aurocTold: aurocT.reduce(0, +) / K, aurocNotTold: aurocN.reduce(0, +) / K,
            auprcTold: auprcT.reduce(0, +) / K, auprcNotTold: auprcN.reduce(0, +) / K,
            bootstrapReplicates: macroBoot.count,
            method: "paired DeLong per cell type (Sun & Xu midranks); macro: DeLong on the mean difference with cross-cell-type covariances from per-sequence influence terms, two-sided normal p; CI: percentile bootstrap over test sequences")
        return SignatureResult(tf: tf, ab: ab, macro: macro, perCellType: per, cellTypes: used.map { p.cellTypes[$0] },
                               testSequences: n, warnings: warnings)
    }
}
