import Foundation
import NeuralNet

#if canImport(Glibc)
import Glibc
#endif

/// What a filter's output is replaced by when it is "left out".
public enum FilterNullValue: String, Codable, Sendable, CaseIterable {
    /// The mean of the filter's pooled (max-pooled, ReLU) output over the data.
    case pooledMean = "pooled-mean"
    /// The mean of the filter's activation map (ReLU of the convolution) over every position of
    /// every sequence: the value the original's `motif_CNN_Multilabel` (and Basset) use, there
    /// computed per batch, here over all the data.
    case activationMean = "activation-mean"
}

/// Leave-one-filter-out influence of stage 1's first-layer filters (the original's
/// `motif_CNN_Multilabel`, after Basset): the pooled output of filter `i` is replaced by a constant
/// (its mean) for every sequence and the dense head is re-run; the influence is the change of each
/// cell type's predictions and loss.
///
/// The convolution runs once (`Stage1Model.pooledFeatures`); each filter then only changes one
/// input of `fc1`, so the hidden pre-activations move by `fc1.weight[:, i] · (m_i − x_i)` and only
/// `ReLU → fc2` is recomputed: `C × n × (H + H·N)` operations in all.
public struct FilterInfluence: Codable, Sendable {
    public var cellTypes: [String]
    public var channels: Int
    public var sequences: Int
    public var nullKind: FilterNullValue
    /// The constant each filter's pooled output is replaced by.
    public var nullValues: [Double]
    /// Mean pooled output of each filter over the data.
    public var pooledMeans: [Double]
    /// Basset loss of each cell type (mean binary cross-entropy with logits over the sequences)
    /// with all filters intact; nil without labels.
    public var baselineLoss: [Double]?
    /// `[filter][cell type]`: mean over sequences of |p_left-out − p|.
    public var meanAbsDeltaProbability: [[Double]]
    /// `[filter][cell type]`: mean over sequences of logit_left-out − logit.
    public var meanDeltaLogit: [[Double]]
    /// `[filter][cell type]`: loss_left-out − loss (positive: the filter helped); nil without labels.
    public var deltaLoss: [[Double]]?

    enum CodingKeys: String, CodingKey {
        case cellTypes = "cell_types", channels, sequences, nullKind = "null_value", nullValues = "null_values"
        case pooledMeans = "pooled_means", baselineLoss = "baseline_loss"
        case meanAbsDeltaProbability = "mean_abs_delta_probability", meanDeltaLogit = "mean_delta_logit"
        case deltaLoss = "delta_loss"
    }

    /// Change of the Basset loss (summed over cell types) when filter `i` is left out; nil without labels.
    public func totalDeltaLoss(_ i: Int) -> Double? { deltaLoss.map { $0[i].reduce(0, +) } }

    /// Mean over cell types of `meanAbsDeltaProbability`.
    public func overallAbsDeltaProbability(_ i: Int) -> Double {
        meanAbsDeltaProbability[i].reduce(0, +) / Double(max(1, cellTypes.count))
    }

    /// Filters by decreasing influence: total Δloss when labels were given, else mean |Δp|
    /// (ties by index).
    public var ranking: [Int] {
        let score: (Int) -> Double = { i in self.totalDeltaLoss(i) ?? self.overallAbsDeltaProbability(i) }
        return (0..<channels).sorted { a, b in
            let sa = score(a), sb = score(b)
            return sa != sb ? sa > sb : a < b
        }
    }

    /// Filters by decreasing influence on one cell type (Δloss with labels, else mean |Δp|).
    public func ranking(cellType k: Int) -> [Int] {
        let score: (Int) -> Double = { i in self.deltaLoss?[i][k] ?? self.meanAbsDeltaProbability[i][k] }
        return (0..<channels).sorted { a, b in
            let sa = score(a), sb = score(b)
            return sa != sb ? sa > sb : a < b
        }
    }

    /// Computes the influence of every filter.
    /// - Parameters:
    ///   - pooled: `[n × C]` pooled features of the model (`pooledFeatures`).
    ///   - labels: `[n × N]` 0/1 targets, or nil (no loss).
    ///   - nullValues: the replacement of each filter; nil: the mean of `pooled` per filter.
    public static func stage1(model: Stage1Model, cellTypes: [String], pooled: [Float], labels: [UInt8]?,
                              nullValues given: [Double]? = nil, nullKind: FilterNullValue = .pooledMean,
                              threads: Int = Parallel.availableCores) -> FilterInfluence {
        let a = model.architecture
        let C = a.channels, H = a.hidden, N = a.cellTypes
        precondition(pooled.count % C == 0, "pooled features must hold whole rows of \(C)")
        let n = pooled.count / C
        precondition(cellTypes.count == N, "\(cellTypes.count) cell-type names for a model with \(N) outputs")
        if let labels { precondition(labels.count == n * N, "labels must be n × N") }
        let p = model.parameters
        let w1 = p["fc1.weight"]!.data, b1 = p["fc1.bias"]!.data
        let w2 = p["fc2.weight"]!.data, b2 = p["fc2.bias"]!.data

        var means = [Double](repeating: 0, count: C)
        for r in 0..<n { for c in 0..<C { means[c] += Double(pooled[r * C + c]) } }
        if n > 0 { for c in 0..<C { means[c] /= Double(n) } }
        let nulls = given ?? means
        precondition(nulls.count == C, "one null value per filter")

        // Baseline hidden pre-activations and logits (Double, the same arithmetic as below).
        var hiddenPre = [Double](repeating: 0, count: n * H)
        var baseLogits = [Double](repeating: 0, count: n * N)
        hiddenPre.withUnsafeMutableBufferPointer { hp in
            baseLogits.withUnsafeMutableBufferPointer { bl in
                let hpp = hp.baseAddress, blp = bl.baseAddress
                Parallel.forEachChunk(count: n, parts: max(1, threads)) { _, range in
                    var h = [Double](repeating: 0, count: H)
                    for r in range {
                        for j in 0..<H {
                            var s = Double(b1[j])
                            for c in 0..<C { s += Double(w1[j * C + c]) * Double(pooled[r * C + c]) }
                            h[j] = s
                        }
                        let lg = head(h, w2: w2, b2: b2, H: H, N: N)
                        for j in 0..<H { hpp![r * H + j] = h[j] }
                        for k in 0..<N { blp![r * N + k] = lg[k] }
                    }
                }
            }
        }

        var baseLoss: [Double]? = nil
        if let labels {
            var l = [Double](repeating: 0, count: N)
            for r in 0..<n { for k in 0..<N { l[k] += bce(baseLogits[r * N + k], labels[r * N + k]) } }
            baseLoss = l.map { n > 0 ? $0 / Double(n) : 0 }
        }

        var absDP = [[Double]](repeating: [Double](repeating: 0, count: N), count: C)
        var dLogit = absDP
        var dLoss: [[Double]]? = labels == nil ? nil : absDP
        // Filters are independent: each part handles a fixed range of filters (deterministic).
        var results = [(Int, [Double], [Double], [Double])](repeating: (0, [], [], []), count: C)
        results.withUnsafeMutableBufferPointer { resBuffer in
            let res = resBuffer.baseAddress!
            Parallel.forEachChunk(count: C, parts: max(1, min(threads, C))) { _, range in
                var h = [Double](repeating: 0, count: H)
                for i in range {
                    var sAbs = [Double](repeating: 0, count: N)
                    var sLog = sAbs, sLoss = sAbs
                    let m = nulls[i]
                    for r in 0..<n {
                        let d = m - Double(pooled[r * C + i])
                        for j in 0..<H { h[j] = hiddenPre[r * H + j] + Double(w1[j * C + i]) * d }
                        let lg = head(h, w2: w2, b2: b2, H: H, N: N)
                        for k in 0..<N {
                            let base = baseLogits[r * N + k]
                            sLog[k] += lg[k] - base
                            sAbs[k] += abs(sigmoid(lg[k]) - sigmoid(base))
                            if let labels { sLoss[k] += bce(lg[k], labels[r * N + k]) }
                        }
                    }
                    res[i] = (i, sAbs, sLog, sLoss)
                }
            }
        }
        let dn = Double(max(1, n))
        for (i, sAbs, sLog, sLoss) in results {
            for k in 0..<N {
                absDP[i][k] = sAbs[k] / dn
                dLogit[i][k] = sLog[k] / dn
                if labels != nil { dLoss![i][k] = sLoss[k] / dn - baseLoss![k] }
            }
        }
        return FilterInfluence(cellTypes: cellTypes, channels: C, sequences: n, nullKind: given == nil ? .pooledMean : nullKind,
                               nullValues: nulls, pooledMeans: means, baselineLoss: baseLoss,
                               meanAbsDeltaProbability: absDP, meanDeltaLogit: dLogit, deltaLoss: dLoss)
    }

    @inline(__always)
    static func head(_ hPre: [Double], w2: [Float], b2: [Float], H: Int, N: Int) -> [Double] {
        var out = [Double](repeating: 0, count: N)
        for k in 0..<N {
            var s = Double(b2[k])
            for j in 0..<H where hPre[j] > 0 { s += Double(w2[k * H + j]) * hPre[j] }
            out[k] = s
        }
        return out
    }

    @inline(__always) static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : { let e = exp(x); return e / (1 + e) }()
    }

    /// Binary cross-entropy with logits, stable.
    @inline(__always) static func bce(_ x: Double, _ t: UInt8) -> Double {
        let ls = x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x))   // log σ(x)
        return t != 0 ? -ls : -(ls - x)                          // −log(1 − σ(x)) = x − log σ(x)
    }

    // MARK: - Output

    /// Long TSV: one row per filter and cell type, then one `ALL` row per filter (Δloss summed
    /// over cell types, |Δp| averaged), with the filter's rank by overall influence.
    public func tsv() -> String {
        var s = "filter\tcell_type\trank\tnull_value\tmean_abs_delta_probability\tmean_delta_logit\tbaseline_loss\tdelta_loss\n"
        let rank = ranking
        var rankOf = [Int](repeating: 0, count: channels)
        for (r, i) in rank.enumerated() { rankOf[i] = r + 1 }
        func f(_ x: Double) -> String { String(format: "%.6g", x) }
        for i in 0..<channels {
            for (k, name) in cellTypes.enumerated() {
                s += [String(i), name, String(rankOf[i]), f(nullValues[i]), f(meanAbsDeltaProbability[i][k]),
                      f(meanDeltaLogit[i][k]), baselineLoss.map { f($0[k]) } ?? "NA",
                      deltaLoss.map { f($0[i][k]) } ?? "NA"].joined(separator: "\t") + "\n"
            }
            let meanLogit = meanDeltaLogit[i].reduce(0, +) / Double(max(1, cellTypes.count))
            s += [String(i), "ALL", String(rankOf[i]), f(nullValues[i]), f(overallAbsDeltaProbability(i)), f(meanLogit),
                  baselineLoss.map { f($0.reduce(0, +)) } ?? "NA", totalDeltaLoss(i).map(f) ?? "NA"].joined(separator: "\t") + "\n"
        }
        return s
    }
}
