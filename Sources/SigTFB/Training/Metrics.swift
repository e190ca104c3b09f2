import Foundation

/// Classification metrics with scikit-learn's definitions.
public enum Metrics {
    /// Area under the ROC curve, ties handled as `sklearn.metrics.roc_auc_score` (a tied
    /// positive/negative pair counts one half; equals the trapezoid over distinct thresholds).
    /// `nil` when the labels hold only one class — the caller reports NaN and warns.
    public static func auroc(labels: [UInt8], scores: [Float]) -> Double? {
        precondition(labels.count == scores.count)
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        let positives = labels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let negatives = labels.count - positives
        if positives == 0 || negatives == 0 { return nil }
        // Mann–Whitney U with mid-ranks for ties.
        var rankSumPositives = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let midRank = Double(i + j + 2) / 2  // ranks are 1-based
            for k in i...j where labels[order[k]] != 0 { rankSumPositives += midRank }
            i = j + 1
        }
        let u = rankSumPositives - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }

    /// Average precision as `sklearn.metrics.average_precision_score`: Σₙ (Rₙ − Rₙ₋₁) Pₙ over
    /// distinct thresholds in decreasing order (a step sum, not the trapezoid). `nil` without positives.
    public static func averagePrecision(labels: [UInt8], scores: [Float]) -> Double? {
        precondition(labels.count == scores.count)
        let positives = labels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        if positives == 0 { return nil }
        var ap = 0.0
        var lastRecall = 0.0
        for (tp, fp) in thresholdCounts(labels: labels, scores: scores) {
            let recall = Double(tp) / Double(positives)
            let precision = Double(tp) / Double(tp + fp)
            ap += (recall - lastRecall) * precision
            lastRecall = recall
        }
        return ap
    }

    /// Cumulative (true positives, false positives) at each distinct score, highest score first —
    /// the thresholds of scikit-learn's `roc_curve` / `precision_recall_curve` (tied scores form one
    /// threshold). Shared by average precision and the report's curves.
    public static func thresholdCounts(labels: [UInt8], scores: [Float]) -> [(tp: Int, fp: Int)] {
        precondition(labels.count == scores.count)
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var out: [(tp: Int, fp: Int)] = []
        var tp = 0, fp = 0, i = 0
        while i < order.count {
            let s = scores[order[i]]
            while i < order.count && scores[order[i]] == s {
                if labels[order[i]] != 0 { tp += 1 } else { fp += 1 }
                i += 1
            }
            out.append((tp, fp))
        }
        return out
    }
}

/// Per-cell-type and summary metrics of a multi-label prediction.
public struct MultiLabelReport: Codable, Sendable {
    public struct CellType: Codable, Sendable {
        public var auroc: Double?
        public var auprc: Double?
        public var positives: Int
        public var negatives: Int
        public var accuracy: Double
        public var precision: Double
        public var recall: Double
        public var f1: Double

        // Undefined values are written as null, never dropped.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(auroc, forKey: .auroc); try c.encode(auprc, forKey: .auprc)
            try c.encode(positives, forKey: .positives); try c.encode(negatives, forKey: .negatives)
            try c.encode(accuracy, forKey: .accuracy); try c.encode(precision, forKey: .precision)
            try c.encode(recall, forKey: .recall); try c.encode(f1, forKey: .f1)
        }
    }
    public struct Macro: Codable, Sendable {
        public var auroc: Double?
        public var auprc: Double?
        public var accuracy: Double
        public var precision: Double
        public var recall: Double
        public var f1: Double

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(auroc, forKey: .auroc); try c.encode(auprc, forKey: .auprc)
            try c.encode(accuracy, forKey: .accuracy); try c.encode(precision, forKey: .precision)
            try c.encode(recall, forKey: .recall); try c.encode(f1, forKey: .f1)
        }
    }
    public var macro: Macro
    public var perCellType: [String: CellType]
    /// Cell-type names in label order (JSON objects do not keep order).
    public var cellTypes: [String]
    /// Mean over sequences of |true ∩ predicted| / |true ∪ predicted|, predicted = p > 0.5 as the original (1 when both are empty).
    public var hammingScore: Double
    /// Fraction of sequences whose whole label vector is predicted exactly at 0.5.
    public var exactMatch: Double
    public var count: Int
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case macro, perCellType = "per_cell_type", cellTypes = "cell_types", hammingScore = "hamming_score"
        case exactMatch = "exact_match", count, warnings
    }

    /// - Parameters:
    ///   - labels: `[n × N]` 0/1, row-major
    ///   - probabilities: `[n × N]` in [0,1], row-major
    public init(labels: [UInt8], probabilities: [Float], cellTypes names: [String]) {
        let N = names.count
        let n = N == 0 ? 0 : labels.count / N
        precondition(labels.count == probabilities.count)
        cellTypes = names
        count = n
        warnings = []
        perCellType = [:]
        var aurocs: [Double] = [], auprcs: [Double] = []
        var accs = 0.0, precs = 0.0, recs = 0.0, f1s = 0.0
        for c in 0..<N {
            var y = [UInt8](repeating: 0, count: n)
            var s = [Float](repeating: 0, count: n)
            for r in 0..<n { y[r] = labels[r * N + c]; s[r] = probabilities[r * N + c] }
            let pos = y.reduce(0) { $0 + Int($1) }
            let auroc = Metrics.auroc(labels: y, scores: s)
            let auprc = Metrics.averagePrecision(labels: y, scores: s)
            if auroc == nil {
                warnings.append("cell type \(names[c]): labels hold only one class (\(pos) positives of \(n)); AUROC is undefined (NaN)")
            }
            if auprc == nil {
                warnings.append("cell type \(names[c]): no positives; AUPRC is undefined (NaN)")
            }
            var tp = 0, fp = 0, fn = 0, tn = 0
            for r in 0..<n {
                let pred = s[r] > 0.5
                if pred && y[r] != 0 { tp += 1 } else if pred { fp += 1 } else if y[r] != 0 { fn += 1 } else { tn += 1 }
            }
            // scikit-learn's zero_division default: 0 when undefined.
            let precision = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
            let recall = tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            let accuracy = n == 0 ? 0 : Double(tp + tn) / Double(n)
            perCellType[names[c]] = CellType(auroc: auroc, auprc: auprc, positives: pos, negatives: n - pos,
                                             accuracy: accuracy, precision: precision, recall: recall, f1: f1)
            if let auroc { aurocs.append(auroc) }
            if let auprc { auprcs.append(auprc) }
            accs += accuracy; precs += precision; recs += recall; f1s += f1
        }
        let d = Double(max(N, 1))
        macro = Macro(auroc: aurocs.count == N && N > 0 ? aurocs.reduce(0, +) / d : nil,
                      auprc: auprcs.count == N && N > 0 ? auprcs.reduce(0, +) / d : nil,
                      accuracy: accs / d, precision: precs / d, recall: recs / d, f1: f1s / d)
        var hamming = 0.0, exact = 0
        for r in 0..<n {
            var inter = 0, union = 0, same = true
            for c in 0..<N {
                let t = labels[r * N + c] != 0, p = probabilities[r * N + c] > 0.5
                if t && p { inter += 1 }
                if t || p { union += 1 }
                if t != p { same = false }
            }
            hamming += union == 0 ? 1 : Double(inter) / Double(union)
            if same { exact += 1 }
        }
        hammingScore = n == 0 ? 0 : hamming / Double(n)
        exactMatch = n == 0 ? 0 : Double(exact) / Double(n)
    }
}
