import Genomics

/// First-layer convolution filters of a DNA model: `count` filters of `width` positions over
/// the four one-hot channels A, C, G, T, with a bias each.
///
/// Weights are kept in PyTorch's `conv1.weight` layout `[C, 4, 1, W]`, flattened:
/// the weight of filter `c`, letter `b`, position `k` is `weights[(c * 4 + b) * W + k]`.
public struct ConvFilters: Sendable, Equatable {
    /// Number of filters C.
    public let count: Int
    /// Filter width W (24 in SigTFB).
    public let width: Int
    /// `C × 4 × 1 × W` weights, PyTorch layout.
    public let weights: [Float]
    /// `C` biases.
    public let bias: [Float]

    /// Wraps PyTorch-layout weights `[C, 4, 1, W]` and biases `[C]` (no bias: zeros).
    public init(weights: [Float], bias: [Float]? = nil, count: Int, width: Int) {
        precondition(count > 0 && width > 0, "filters need a positive count and width")
        precondition(weights.count == count * 4 * width,
                     "weights hold \(weights.count) values, expected C×4×W = \(count * 4 * width)")
        if let b = bias { precondition(b.count == count, "bias holds \(b.count) values, expected \(count)") }
        self.count = count
        self.width = width
        self.weights = weights
        self.bias = bias ?? [Float](repeating: 0, count: count)
    }

    /// Weight of filter `filter`, letter `base` (0...3), position `position`.
    @inlinable public func weight(filter: Int, base: Int, position: Int) -> Float {
        weights[(filter * 4 + base) * width + position]
    }

    /// Filter `filter` as a `W × 4` matrix (position-major, A C G T), e.g. for a two-sided logo.
    public func matrix(filter c: Int) -> [Double] {
        var out = [Double](repeating: 0, count: width * 4)
        for k in 0..<width { for b in 0..<4 { out[k * 4 + b] = Double(weight(filter: c, base: b, position: k)) } }
        return out
    }

    /// Lookup table `[code][position][filter]` (codes 0...5 of `BaseCode`): the contribution of a
    /// base code at a filter position to each filter's pre-activation. N (code 4) contributes
    /// `0.25 · Σ_b w`, the all-zero code 5 nothing.
    func codeTable() -> [Float] {
        let C = count, W = width
        var t = [Float](repeating: 0, count: BaseCode.count * W * C)
        for k in 0..<W {
            for c in 0..<C {
                var sum: Float = 0
                for b in 0..<4 {
                    let w = weight(filter: c, base: b, position: k)
                    t[(b * W + k) * C + c] = w
                    sum += w
                }
                t[(Int(BaseCode.n) * W + k) * C + c] = 0.25 * sum
                // code 5 (all-zero column) stays 0
            }
        }
        return t
    }
}
