/// Fully connected layers on raw row-major buffers, PyTorch's `nn.Linear` convention:
/// `y = x · Wᵀ + b` with `W` shaped `[out, in]`.
///
/// The matrices in SigTFB's heads are tiny (≤ 100 × 32), so straight loops over contiguous rows
/// beat a BLAS call's overhead; the inner loops are unit-stride and vectorise.
public enum Dense {
    /// y[r, o] = b[o] + Σ_i x[r, i] · W[o, i]
    @inlinable
    public static func forward(_ x: UnsafePointer<Float>, rows: Int, inputs: Int,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int,
                               into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * inputs
            for o in 0..<outputs {
                let wo = weight + o * inputs
                var s: Float = 0
                for i in 0..<inputs { s += xr[i] * wo[i] }
                y[r * outputs + o] = s + bias[o]
            }
        }
    }

    /// Accumulates parameter gradients and, optionally, writes the input gradient:
    /// gW[o, i] += Σ_r gy[r, o] x[r, i];  gb[o] += Σ_r gy[r, o];  gx[r, i] = Σ_o gy[r, o] W[o, i].
    @inlinable
    public static func backward(_ x: UnsafePointer<Float>, rows: Int, inputs: Int,
                                weight: UnsafePointer<Float>, outputs: Int,
                                gradOutput gy: UnsafePointer<Float>,
                                gradWeight gW: UnsafeMutablePointer<Float>, gradBias gb: UnsafeMutablePointer<Float>,
                                gradInput gx: UnsafeMutablePointer<Float>?) {
        for r in 0..<rows {
            let xr = x + r * inputs
            for o in 0..<outputs {
                let g = gy[r * outputs + o]
                if g == 0 { continue }
                gb[o] += g
                let gwo = gW + o * inputs
                for i in 0..<inputs { gwo[i] += g * xr[i] }
            }
        }
        if let gx {
            for r in 0..<rows {
                let gxr = gx + r * inputs
                for i in 0..<inputs { gxr[i] = 0 }
                for o in 0..<outputs {
                    let g = gy[r * outputs + o]
                    if g == 0 { continue }
                    let wo = weight + o * inputs
                    for i in 0..<inputs { gxr[i] += g * wo[i] }
                }
            }
        }
    }
}
