#if canImport(Glibc)
import Glibc
#endif
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Lane-wise square root as vector instructions. `SIMD8<Float>.squareRoot()` is lowered lane by
/// lane through the C library's `sqrtf` (with its errno check), eight calls per vector; the SSE
/// form is in every x86-64. Square roots are correctly rounded either way, so the values are the
/// same.
@inline(__always)
func vectorSquareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
    #if arch(x86_64)
    return SIMD8(lowHalf: _mm_sqrt_ps(x.lowHalf), highHalf: _mm_sqrt_ps(x.highHalf))
    #else
    return x.squareRoot()
    #endif
}

/// Adam with `torch.optim.Adam` semantics: weight decay is L2 added to the gradient, bias
/// correction, `eps` added after the square root of the corrected second moment.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    public private(set) var step = 0
    var m: [[Float]] = []
    var v: [[Float]] = []

    public init(learningRate: Float, weightDecay: Float = 0, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
    }

    public mutating func update(_ params: inout NamedParameters, gradients: NamedParameters) {
        let s = beginStep(counts: params.tensors.map(\.count))
        for j in params.tensors.indices {
            gradients.tensors[j].data.withUnsafeBufferPointer { g in
                params.tensors[j].data.withUnsafeMutableBufferPointer { p in
                    m[j].withUnsafeMutableBufferPointer { mj in
                        v[j].withUnsafeMutableBufferPointer { vj in
                            s.update(count: p.count, params: p.baseAddress!, gradients: g.baseAddress!,
                                     m: mj.baseAddress!, v: vj.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    /// One step's constants: `update` applies them to any slice of any tensor (the result does
    /// not depend on how tensors are sliced), so threads can update disjoint slices.
    public struct Step: Sendable {
        public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float, stepSize: Float, bc2Sqrt: Float

        /// Adam's update of `count` consecutive elements.
        public func update(count: Int, params: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                           m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) {
            Adam.update(count: count, params: params, gradients: gradients, m: m, v: v, beta1: beta1, beta2: beta2,
                        eps: eps, weightDecay: weightDecay, stepSize: stepSize, bc2Sqrt: bc2Sqrt)
        }
    }

    /// Counts a step (creating zero moments for tensors of `counts` elements on the first) and
    /// returns its constants.
    public mutating func beginStep(counts: [Int]) -> Step {
        if m.isEmpty {
            m = counts.map { [Float](repeating: 0, count: $0) }
            v = m
        }
        step += 1
        let bc1 = 1 - powf(beta1, Float(step))
        let bc2 = 1 - powf(beta2, Float(step))
        return Step(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, stepSize: learningRate / bc1,
                    bc2Sqrt: sqrtf(bc2))
    }

    /// Calls `body` with the first and second moments of every tensor (as `beginStep` made them),
    /// valid only inside `body`.
    public mutating func withMoments<R>(_ body: ([UnsafeMutableBufferPointer<Float>], [UnsafeMutableBufferPointer<Float>]) throws -> R) rethrows -> R {
        try withMutableStorage(&m) { mp in try withMutableStorage(&v) { vp in try body(mp, vp) } }
    }

    /// The element-wise update, eight lanes at a time. Every lane does the scalar tail's operations
    /// in the same order (no fused multiply-adds), so the result does not depend on the split.
    static func update(count n: Int, params p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                       beta1: Float, beta2: Float, eps: Float, weightDecay: Float, stepSize: Float, bc2Sqrt: Float) {
        typealias V = SIMD8<Float>
        let b1 = V(repeating: beta1), b2 = V(repeating: beta2), c1 = V(repeating: 1 - beta1), c2 = V(repeating: 1 - beta2)
        let wd = V(repeating: weightDecay), e = V(repeating: eps), s = V(repeating: stepSize), bc = V(repeating: bc2Sqrt)
        let pr = UnsafeMutableRawPointer(p), mr = UnsafeMutableRawPointer(m), vr = UnsafeMutableRawPointer(v)
        let gr = UnsafeRawPointer(g)
        var i = 0
        while i + 8 <= n {
            let o = i &* 4
            var gi = gr.loadUnaligned(fromByteOffset: o, as: V.self)
            var pi = pr.loadUnaligned(fromByteOffset: o, as: V.self)
            if weightDecay != 0 { gi = gi + wd * pi }
            let mi = b1 * mr.loadUnaligned(fromByteOffset: o, as: V.self) + c1 * gi
            let vi = b2 * vr.loadUnaligned(fromByteOffset: o, as: V.self) + c2 * gi * gi
            let denom = vectorSquareRoot(vi) / bc + e
            pi = pi - s * mi / denom
            mr.storeBytes(of: mi, toByteOffset: o, as: V.self)
            vr.storeBytes(of: vi, toByteOffset: o, as: V.self)
            pr.storeBytes(of: pi, toByteOffset: o, as: V.self)
            i += 8
        }
        while i < n {
            var gi = g[i]
            if weightDecay != 0 { gi += weightDecay * p[i] }
            m[i] = beta1 * m[i] + (1 - beta1) * gi
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
            let denom = sqrtf(v[i]) / bc2Sqrt + eps
            p[i] -= stepSize * m[i] / denom
            i += 1
        }
    }
}

/// SGD with momentum (optionally Nesterov) and L2 weight decay, `torch.optim.SGD` semantics:
/// the first step's buffer is the gradient itself.
public struct SGD: Sendable {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    var buffers: [[Float]] = []

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public mutating func update(_ params: inout NamedParameters, gradients: NamedParameters) {
        let first = buffers.isEmpty
        if first { buffers = params.tensors.map { [Float](repeating: 0, count: $0.count) } }
        for j in params.tensors.indices {
            let g = gradients.tensors[j].data
            params.tensors[j].data.withUnsafeMutableBufferPointer { p in
                buffers[j].withUnsafeMutableBufferPointer { b in
                    for i in 0..<p.count {
                        var d = g[i]
                        if weightDecay != 0 { d += weightDecay * p[i] }
                        if momentum != 0 {
                            b[i] = first ? d : momentum * b[i] + d
                            d = nesterov ? d + momentum * b[i] : b[i]
                        }
                        p[i] -= learningRate * d
                    }
                }
            }
        }
    }
}
