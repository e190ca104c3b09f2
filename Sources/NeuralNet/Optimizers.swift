#if canImport(Glibc)
import Glibc
#endif

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
        if m.isEmpty {
            m = params.tensors.map { [Float](repeating: 0, count: $0.count) }
            v = m
        }
        step += 1
        let bc1 = 1 - powf(beta1, Float(step))
        let bc2 = 1 - powf(beta2, Float(step))
        let stepSize = learningRate / bc1
        let bc2Sqrt = sqrtf(bc2)
        for j in params.tensors.indices {
            let g = gradients.tensors[j].data
            params.tensors[j].data.withUnsafeMutableBufferPointer { p in
                m[j].withUnsafeMutableBufferPointer { mj in
                    v[j].withUnsafeMutableBufferPointer { vj in
                        for i in 0..<p.count {
                            var gi = g[i]
                            if weightDecay != 0 { gi += weightDecay * p[i] }
                            mj[i] = beta1 * mj[i] + (1 - beta1) * gi
                            vj[i] = beta2 * vj[i] + (1 - beta2) * gi * gi
                            let denom = sqrtf(vj[i]) / bc2Sqrt + eps
                            p[i] -= stepSize * mj[i] / denom
                        }
                    }
                }
            }
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
