#if canImport(Glibc)
import Glibc
#endif

/// `nn.BatchNorm1d` on a `[rows, features]` row-major buffer, PyTorch semantics.
///
/// Train mode normalises with the batch mean and the biased batch variance, then updates the
/// running statistics with `running = (1 − momentum)·running + momentum·batch` using the
/// *unbiased* batch variance and counts `num_batches_tracked`. Eval mode uses the running
/// statistics. The affine parameters (`weight` = γ, `bias` = β) live with the caller's
/// `NamedParameters`; the running statistics live here, under PyTorch's buffer names.
public struct BatchNorm1d: Sendable, Equatable {
    public let features: Int
    public var eps: Float
    public var momentum: Float
    /// `running_mean [features]`.
    public var runningMean: [Float]
    /// `running_var [features]`.
    public var runningVar: [Float]
    /// `num_batches_tracked` (a 0-d int64 in PyTorch).
    public var numBatchesTracked: Int

    public init(features: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        self.features = features
        self.eps = eps
        self.momentum = momentum
        runningMean = [Float](repeating: 0, count: features)
        runningVar = [Float](repeating: 1, count: features)
        numBatchesTracked = 0
    }

    /// Train-mode forward: y = γ·x̂ + β with x̂ = (x − μ_B)/√(σ²_B + eps). Writes x̂ and 1/√(σ²_B + eps)
    /// (both needed by `backward`) and, when `updateRunning`, updates the running statistics.
    /// Batch statistics are accumulated in Double, so the result does not depend on row order
    /// beyond rounding of the final Float.
    public mutating func forwardTrain(_ x: UnsafePointer<Float>, rows: Int,
                                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                      into y: UnsafeMutablePointer<Float>,
                                      normalized xhat: UnsafeMutablePointer<Float>,
                                      inverseStd: UnsafeMutablePointer<Float>,
                                      updateRunning: Bool = true) {
        precondition(rows > 1 || !updateRunning, "BatchNorm1d in train mode needs more than one row per batch (PyTorch raises)")
        let F = features
        for f in 0..<F {
            var s = 0.0
            for r in 0..<rows { s += Double(x[r * F + f]) }
            let mean = s / Double(rows)
            var ss = 0.0
            for r in 0..<rows { let d = Double(x[r * F + f]) - mean; ss += d * d }
            let varBiased = ss / Double(rows)
            let inv = Float(1 / (varBiased + Double(eps)).squareRoot())
            inverseStd[f] = inv
            let m = Float(mean)
            for r in 0..<rows {
                let h = (x[r * F + f] - m) * inv
                xhat[r * F + f] = h
                y[r * F + f] = weight[f] * h + bias[f]
            }
            if updateRunning {
                let varUnbiased = rows > 1 ? ss / Double(rows - 1) : varBiased
                runningMean[f] = (1 - momentum) * runningMean[f] + momentum * m
                runningVar[f] = (1 - momentum) * runningVar[f] + momentum * Float(varUnbiased)
            }
        }
        if updateRunning { numBatchesTracked += 1 }
    }

    /// Eval-mode forward with the running statistics.
    public func forwardEval(_ x: UnsafePointer<Float>, rows: Int,
                            weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                            into y: UnsafeMutablePointer<Float>) {
        let F = features
        for f in 0..<F {
            let inv = 1 / (runningVar[f] + eps).squareRoot()
            let scale = weight[f] * inv
            let shift = bias[f] - runningMean[f] * scale
            for r in 0..<rows { y[r * F + f] = x[r * F + f] * scale + shift }
        }
    }

    /// Backward of the train-mode forward: accumulates ∂γ, ∂β and writes ∂x =
    /// γ·inv/B · (B·gy − Σgy − x̂·Σ(gy·x̂)).
    public static func backwardTrain(rows: Int, features F: Int, weight: UnsafePointer<Float>,
                                     normalized xhat: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                                     gradOutput gy: UnsafePointer<Float>,
                                     gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>,
                                     gradInput gx: UnsafeMutablePointer<Float>) {
        let B = Float(rows)
        for f in 0..<F {
            var sg: Float = 0, sgx: Float = 0
            for r in 0..<rows { let g = gy[r * F + f]; sg += g; sgx += g * xhat[r * F + f] }
            gradBias[f] += sg
            gradWeight[f] += sgx
            let k = weight[f] * inverseStd[f] / B
            for r in 0..<rows {
                gx[r * F + f] = k * (B * gy[r * F + f] - sg - xhat[r * F + f] * sgx)
            }
        }
    }

    /// Backward of the eval-mode forward (a fixed affine map): ∂γ += Σ gy·x̂, ∂β += Σ gy, ∂x = gy·γ·inv.
    public func backwardEval(_ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>,
                             gradOutput gy: UnsafePointer<Float>,
                             gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>,
                             gradInput gx: UnsafeMutablePointer<Float>) {
        let F = features
        for f in 0..<F {
            let inv = 1 / (runningVar[f] + eps).squareRoot()
            for r in 0..<rows {
                let g = gy[r * F + f]
                gradBias[f] += g
                gradWeight[f] += g * (x[r * F + f] - runningMean[f]) * inv
                gx[r * F + f] = g * weight[f] * inv
            }
        }
    }
}
