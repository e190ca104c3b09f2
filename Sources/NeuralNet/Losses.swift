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
        var total: Double = 0
        let n = rows * columns
        switch self {
        case .basset, .oneLoss:
            let scale = 1 / Float(rows)
            for r in 0..<rows {
                for c in 0..<columns {
                    let i = r * columns + c
                    let counted = self == .basset || Int(cellTypes![r]) == c
                    if !counted { grad?[i] = 0; continue }
                    let o = logits[i], t = Float(targets[i])
                    let ls = MultiLabelLoss.logSigmoid(o)
                    total -= Double(t * ls + (1 - t) * (-o + ls))
                    grad?[i] = (MultiLabelLoss.sigmoid(o) - t) * scale
                }
            }
            return total / Double(rows)
        case .bce:
            let scale = 1 / Float(n)
            for i in 0..<n {
                let p = MultiLabelLoss.sigmoid(logits[i]), t = Float(targets[i])
                // PyTorch clamps each log at -100.
                let lp = max(log(p), -100), l1p = max(log(1 - p), -100)
                total -= Double(t * lp + (1 - t) * l1p)
                grad?[i] = (p - t) * scale
            }
            return total / Double(n)
        }
    }
}
