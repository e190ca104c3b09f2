#if canImport(Glibc)
import Glibc
#endif

/// `nn.NLLLoss()` (mean reduction) on log-probabilities, fused with the backward of the
/// preceding `LogSoftmax`: the gradient returned is with respect to the *logits*,
/// (softmax − onehot(target)) / rows.
public enum NLLLoss {
    /// - Returns: −mean_r logProbs[r, target[r]].
    public static func forward(logProbs: UnsafePointer<Float>, rows: Int, columns: Int,
                               targets: UnsafePointer<Int32>,
                               gradLogits: UnsafeMutablePointer<Float>?) -> Double {
        var total = 0.0
        let scale = 1 / Float(rows)
        for r in 0..<rows {
            let t = Int(targets[r])
            precondition(t >= 0 && t < columns, "NLLLoss: target \(t) out of range 0..<\(columns)")
            total -= Double(logProbs[r * columns + t])
            if let g = gradLogits {
                for c in 0..<columns {
                    g[r * columns + c] = (expf(logProbs[r * columns + c]) - (c == t ? 1 : 0)) * scale
                }
            }
        }
        return total / Double(rows)
    }
}
