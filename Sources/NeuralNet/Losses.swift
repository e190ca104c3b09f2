#if canImport(Glibc)
import Glibc
#endif

/// Multi-label losses of SigTFB's stage 1, each returning the loss and writing its gradient with
/// respect to the logits.
public enum MultiLabelLoss: String, Sendable, CaseIterable, Codable {
    /// Basset's: binary cross-entropy with logits summed over cell types, divided by the batch size.
    case basset
    /// `nn.BCELoss` on sigmoid outputs: the mean over all batch × cell-type terms.
    case bce
    /// The original's `customSampler_OneLoss`: only the term of each sequence's sampled cell type
    /// counts, summed and divided by the batch size.
    case oneLoss = "one-loss"

    /// log σ(x), stable for large |x|.
    @inlinable
    static func logSigmoid(_ x: Float) -> Float {
        x >= 0 ? -log1pf(expf(-x)) : x - log1pf(expf(x))
    }

    @inlinable
    static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + expf(-x)) : { let e = expf(x); return e / (1 + e) }()
    }

    /// - Parameters:
    ///   - logits: `[rows, columns]`
    ///   - targets: `[rows, columns]` of 0/1
    ///   - cellTypes: the sampled cell type of each row (only for `.oneLoss`)
    ///   - grad: receives ∂loss/∂logits, `[rows, columns]`
    public func evaluate(logits: UnsafePointer<Float>, targets: UnsafePointer<UInt8>, rows: Int, columns: Int,
                         cellTypes: UnsafePointer<Int32>?, grad: UnsafeMutablePointer<Float>?) -> Double {
        var terms = [Float](repeating: 0, count: rows * columns)
        return terms.withUnsafeMutableBufferPointer { tp in
            evaluateRows(logits: logits, targets: targets, rows: rows, columns: columns, batchRows: rows,
                         cellTypes: cellTypes, grad: grad, terms: tp.baseAddress!)
            return total(terms: tp.baseAddress!, rows: rows, columns: columns, cellTypes: cellTypes)
        }
    }

    /// `evaluate`'s per-element work for `rows` rows of a batch of `batchRows` (the gradient's
    /// scale): each element's loss term into `terms` and its gradient into `grad`. Rows are
    /// independent, so a trainer computes them on the thread that ran their forward pass.
    public func evaluateRows(logits: UnsafePointer<Float>, targets: UnsafePointer<UInt8>, rows: Int, columns: Int,
                             batchRows: Int, cellTypes: UnsafePointer<Int32>?, grad: UnsafeMutablePointer<Float>?,
                             terms: UnsafeMutablePointer<Float>) {
        switch self {
        case .basset, .oneLoss:
            let scale = 1 / Float(batchRows)
            for r in 0..<rows {
                for c in 0..<columns {
                    let i = r * columns + c
                    let counted = self == .basset || Int(cellTypes![r]) == c
                    if !counted { grad?[i] = 0; terms[i] = 0; continue }
                    let o = logits[i], t = Float(targets[i])
                    let ls = MultiLabelLoss.logSigmoid(o)
                    terms[i] = t * ls + (1 - t) * (-o + ls)
                    grad?[i] = (MultiLabelLoss.sigmoid(o) - t) * scale
                }
            }
        case .bce:
            let scale = 1 / Float(batchRows * columns)
            for i in 0..<(rows * columns) {
                let p = MultiLabelLoss.sigmoid(logits[i]), t = Float(targets[i])
                // PyTorch clamps each log at -100.
                let lp = max(log(p), -100), l1p = max(log(1 - p), -100)
                terms[i] = t * lp + (1 - t) * l1p
                grad?[i] = (p - t) * scale
            }
        }
    }

    /// The loss of a whole batch from `evaluateRows`' terms, summed in element order in double
    /// precision (so it does not depend on how the rows were split).
    public func total(terms: UnsafePointer<Float>, rows: Int, columns: Int, cellTypes: UnsafePointer<Int32>?) -> Double {
        var total: Double = 0
        switch self {
        case .basset, .oneLoss:
            for r in 0..<rows {
                for c in 0..<columns where self == .basset || Int(cellTypes![r]) == c {
                    total -= Double(terms[r * columns + c])
                }
            }
            return total / Double(rows)
        case .bce:
            for i in 0..<(rows * columns) { total -= Double(terms[i]) }
            return total / Double(rows * columns)
        }
    }
}
