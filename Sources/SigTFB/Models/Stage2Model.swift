import Genomics
import NeuralNet

/// Shape of SigTFB's stage-2 network (the original's `Net_Stage2`).
public struct Stage2Architecture: Codable, Sendable, Equatable {
    /// Stage-1 conv channels C (the pooled features the head sees).
    public var channels: Int
    /// Cell types N (= the original's `num_units`, the length of the cell-type code).
    public var cellTypes: Int
    /// `neurons_per_layer_pre_concat` P.
    public var preConcat: Int
    /// `neurons_per_layer` H.
    public var hidden: Int
    /// `dropout_prob`.
    public var dropout: Double
    public var sequenceLength: Int
    public var convWidth: Int

    enum CodingKeys: String, CodingKey {
        case channels, cellTypes = "cell_types", preConcat = "neurons_per_layer_pre_concat", hidden = "neurons_per_layer"
        case dropout = "dropout_prob", sequenceLength = "sequence_length", convWidth = "conv_width"
    }

    public init(channels: Int, cellTypes: Int, preConcat: Int, hidden: Int, dropout: Double = 0,
                sequenceLength: Int = 101, convWidth: Int = 24) {
        self.channels = channels; self.cellTypes = cellTypes; self.preConcat = preConcat; self.hidden = hidden
        self.dropout = dropout; self.sequenceLength = sequenceLength; self.convWidth = convWidth
    }

    /// Trainable head parameters in `state_dict` order (buffers omitted).
    public var headParameterShapes: [(String, [Int])] {
        let N = cellTypes, P = preConcat, C = channels, H = hidden
        return [("fc1.weight", [P, N]), ("fc1.bias", [P]), ("bn1.weight", [P]), ("bn1.bias", [P]),
                ("fc2.weight", [1, P]), ("fc2.bias", [1]),
                ("fc3.weight", [H, C + 1]), ("fc3.bias", [H]), ("bn3.weight", [H]), ("bn3.bias", [H]),
                ("fc4.weight", [2, H]), ("fc4.bias", [2])]
    }
}

extension Stage2Architecture {
    /// Why a checkpoint's architecture cannot be a model (a size out of range), nil when it can.
    public var problem: String? {
        ArchitectureCheck.sizes([("channels", channels), ("cell_types", cellTypes), ("neurons_per_layer_pre_concat", preConcat),
                                 ("neurons_per_layer", hidden), ("sequence_length", sequenceLength), ("conv_width", convWidth)])
            ?? (dropout.isFinite && dropout >= 0 && dropout < 1 ? nil : "'dropout_prob' is \(dropout); it must be in [0, 1)")
    }
}

/// Net_Stage2: the stage-1 network's pooled conv features (frozen or fine-tuned) concatenated
/// with a scalar computed from the cell-type code,
///
///     g → fc1 (N→P) → bn1 → ReLU → dropout1 → fc2 (P→1) = s
///     [features, s] → fc3 (C+1→H) → bn3 → ReLU → dropout3 → fc4 (H→2) → LogSoftmax
///
/// Parameter and buffer names are PyTorch's (`fc1.weight`, `bn1.running_mean`, …; the stage-1
/// network's as `model_stage1.conv1.weight`, …), so checkpoints load into the original with
/// `load_state_dict`.
public final class Stage2Model: @unchecked Sendable {
    public let architecture: Stage2Architecture
    /// The 12 trainable head tensors, `headParameterShapes` order.
    public var head: NamedParameters
    public var bn1: BatchNorm1d
    public var bn3: BatchNorm1d
    /// The stage-1 network (its conv gives the features; fine-tuning updates its conv1 only,
    /// as in PyTorch, where fc1/fc2 of stage 1 receive no gradient).
    public let stage1: Stage1Model
    /// `freeze_pretrained_model`.
    public var freezeStage1: Bool

    /// Random initialisation as the original's `_initialize_weights`: linear weights
    /// normal(0, linearStd), linear biases 0, BatchNorm γ = 1, β = 0, running stats (0, 1).
    public init(architecture a: Stage2Architecture, stage1: Stage1Model, linearStd: Double, freezeStage1: Bool, seed: UInt64) {
        precondition(stage1.architecture.channels == a.channels, "stage-1 channels differ from the architecture's")
        architecture = a
        self.stage1 = stage1
        self.freezeStage1 = freezeStage1
        var rng = SeededRandom(seed: seed)
        var p = NamedParameters()
        for (name, shape) in a.headParameterShapes {
            if name.hasPrefix("bn") {
                p.append(name, name.hasSuffix("weight") ? Tensor(shape: shape, data: [Float](repeating: 1, count: shape[0]))
                                                        : Tensor(zeros: shape))
            } else if name.hasSuffix(".bias") {
                p.append(name, Tensor(zeros: shape))
            } else {
                p.append(name, Tensor(normal: shape, std: linearStd, rng: &rng))
            }
        }
        head = p
        bn1 = BatchNorm1d(features: a.preConcat)
        bn3 = BatchNorm1d(features: a.hidden)
    }

    /// A model from given head parameters and BatchNorm buffers (checked against the architecture).
    public init(architecture a: Stage2Architecture, stage1: Stage1Model, head p: NamedParameters,
                bn1: BatchNorm1d, bn3: BatchNorm1d, freezeStage1: Bool) throws {
        var ordered = NamedParameters()
        for (name, shape) in a.headParameterShapes {
            guard let t = p[name] else { throw ModelError("parameter '\(name)' is missing") }
            guard t.shape == shape else { throw ModelError("parameter '\(name)' has shape \(t.shape), expected \(shape)") }
            guard t.data.allSatisfy({ $0.isFinite }) else { throw ModelError("parameter '\(name)' holds NaN or Inf") }
            ordered.append(name, t)
        }
        guard bn1.features == a.preConcat, bn3.features == a.hidden else {
            throw ModelError("BatchNorm buffers do not match the architecture (bn1 \(bn1.features) vs \(a.preConcat), bn3 \(bn3.features) vs \(a.hidden))")
        }
        guard stage1.architecture.channels == a.channels else {
            throw ModelError("the stage-1 model has \(stage1.architecture.channels) channels, the stage-2 head expects \(a.channels)")
        }
        architecture = a
        self.stage1 = stage1
        head = ordered
        self.bn1 = bn1
        self.bn3 = bn3
        self.freezeStage1 = freezeStage1
    }

    /// A deep copy (for keeping the best epoch's weights).
    public func copy() -> Stage2Model {
        let s1 = try! Stage1Model(architecture: stage1.architecture, parameters: stage1.parameters)
        return try! Stage2Model(architecture: architecture, stage1: s1, head: head, bn1: bn1, bn3: bn3, freezeStage1: freezeStage1)
    }

    /// The full `state_dict` in PyTorch order: `model_stage1.*`, then fc1, bn1 (weight, bias,
    /// running_mean, running_var, num_batches_tracked), fc2, fc3, bn3, fc4.
    public var stateDict: [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for (n, t) in zip(stage1.parameters.names, stage1.parameters.tensors) { out.append(("model_stage1." + n, t)) }
        for (n, t) in zip(head.names, head.tensors) {
            out.append((n, t))
            if n == "bn1.bias" || n == "bn3.bias" {
                let bn = n == "bn1.bias" ? bn1 : bn3
                let prefix = String(n.prefix(3))
                out.append(("\(prefix).running_mean", Tensor(shape: [bn.features], data: bn.runningMean)))
                out.append(("\(prefix).running_var", Tensor(shape: [bn.features], data: bn.runningVar)))
                out.append(("\(prefix).num_batches_tracked", Tensor(shape: [], data: [Float(bn.numBatchesTracked)])))
            }
        }
        return out
    }

    /// Loads BatchNorm buffers from `state_dict`-style tensors (`bn1.running_mean`, …).
    public static func batchNorm(_ prefix: String, features: Int, from tensors: [String: Tensor]) throws -> BatchNorm1d {
        guard let m = tensors["\(prefix).running_mean"], let v = tensors["\(prefix).running_var"] else {
            throw ModelError("buffers '\(prefix).running_mean'/'\(prefix).running_var' are missing")
        }
        guard m.count == features, v.count == features else {
            throw ModelError("buffer '\(prefix).running_mean' or '\(prefix).running_var' has \(m.count)/\(v.count) values, expected \(features)")
        }
        guard m.data.allSatisfy({ $0.isFinite }), v.data.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw ModelError("buffer '\(prefix).running_mean' or '\(prefix).running_var' holds NaN, Inf or a negative variance")
        }
        let tracked = tensors["\(prefix).num_batches_tracked"]?.data.first ?? 0
        guard tracked.isFinite, tracked >= 0, tracked < 1e15 else {
            throw ModelError("buffer '\(prefix).num_batches_tracked' is \(tracked); expected a count")
        }
        // Sized only once the buffers are known to match (features comes from the sidecar).
        var bn = BatchNorm1d(features: features)
        bn.runningMean = m.data
        bn.runningVar = v.data
        bn.numBatchesTracked = Int(tracked)
        return bn
    }

    // MARK: - Inference

    /// Eval-mode probability of binding, `exp(logprob[:, 1])`, for given features `[n × C]` and
    /// cell-type codes `[n × N]`.
    public func probabilities(features: [Float], codes: [Float]) -> [Float] {
        let a = architecture
        let n = features.count / a.channels
        precondition(codes.count == n * a.cellTypes)
        var out = [Float](repeating: 0, count: n)
        let ws = Stage2Workspace(architecture: a, rows: min(max(n, 1), 1024))
        var start = 0
        while start < n {
            let end = min(n, start + ws.capacity)
            features.withUnsafeBufferPointer { f in
                codes.withUnsafeBufferPointer { c in
                    var rng = SeededRandom(seed: 0)
                    ws.forward(model: self, features: f.baseAddress! + start * a.channels,
                               codes: c.baseAddress! + start * a.cellTypes, rows: end - start, train: false, rng: &rng)
                }
            }
            for r in 0..<(end - start) { out[start + r] = expf(ws.logProbs[r * 2 + 1]) }
            start = end
        }
        return out
    }

    /// Stage-1 pooled features of the given sequences (the head's input).
    public func features(_ sequences: EncodedSequences, indices: [Int]? = nil, threads: Int) -> [Float] {
        stage1.pooledFeatures(sequences, indices: indices, threads: threads)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Buffers of one forward/backward pass of the stage-2 head over up to `capacity` rows.
public final class Stage2Workspace {
    public let capacity: Int
    let C: Int, N: Int, P: Int, H: Int
    var a1: [Float], z1: [Float], xhat1: [Float], inv1: [Float], d1: [Float], mask1: [Float]
    var s: [Float]
    var x3: [Float]
    var a3: [Float], z3: [Float], xhat3: [Float], inv3: [Float], d3: [Float], mask3: [Float]
    var o: [Float]
    public internal(set) var logProbs: [Float]
    var codes: [Float]
    var lastTrain = false
    var lastRows = 0
    // Gradients.
    var gO: [Float], gD3: [Float], gA3: [Float], gX3: [Float], gS: [Float], gD1: [Float], gA1: [Float]
    /// ∂loss/∂features of the last backward, `[rows × C]`.
    public internal(set) var gradFeatures: [Float]

    public init(architecture a: Stage2Architecture, rows: Int) {
        capacity = rows
        C = a.channels; N = a.cellTypes; P = a.preConcat; H = a.hidden
        func z(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
        a1 = z(rows * P); z1 = a1; xhat1 = a1; d1 = a1; mask1 = a1; inv1 = z(P)
        s = z(rows); x3 = z(rows * (C + 1))
        a3 = z(rows * H); z3 = a3; xhat3 = a3; d3 = a3; mask3 = a3; inv3 = z(H)
        o = z(rows * 2); logProbs = o; codes = z(rows * N)
        gO = o; gD3 = a3; gA3 = a3; gX3 = x3; gS = s; gD1 = a1; gA1 = a1
        gradFeatures = z(rows * C)
    }

    /// The post-ReLU, post-dropout fc3 activations of the last forward (`fc3_g`), `[rows × H]`.
    public var hiddenActivations: [Float] { Array(d3[0..<(lastRows * H)]) }

    /// Forward over `rows` rows. Train mode uses batch statistics, updates the running
    /// statistics and draws dropout masks from `rng`; eval mode uses the running statistics.
    public func forward(model: Stage2Model, features: UnsafePointer<Float>, codes g: UnsafePointer<Float>, rows B: Int,
                        train: Bool, rng: inout SeededRandom, updateRunning: Bool = true) {
        precondition(B <= capacity)
        lastTrain = train
        lastRows = B
        let p = model.head.tensors
        let dropout = Float(model.architecture.dropout)
        for i in 0..<(B * N) { codes[i] = g[i] }
        // Cell-type branch.
        p[0].data.withUnsafeBufferPointer { w in p[1].data.withUnsafeBufferPointer { b in
            a1.withUnsafeMutableBufferPointer { y in
                Dense.forward(g, rows: B, inputs: N, weight: w.baseAddress!, bias: b.baseAddress!, outputs: P, into: y.baseAddress!)
            }
        } }
        p[2].data.withUnsafeBufferPointer { w in p[3].data.withUnsafeBufferPointer { b in
            a1.withUnsafeBufferPointer { x in z1.withUnsafeMutableBufferPointer { y in
                if train {
                    xhat1.withUnsafeMutableBufferPointer { xh in inv1.withUnsafeMutableBufferPointer { iv in
                        model.bn1.forwardTrain(x.baseAddress!, rows: B, weight: w.baseAddress!, bias: b.baseAddress!,
                                               into: y.baseAddress!, normalized: xh.baseAddress!, inverseStd: iv.baseAddress!,
                                               updateRunning: updateRunning)
                    } }
                } else {
                    model.bn1.forwardEval(x.baseAddress!, rows: B, weight: w.baseAddress!, bias: b.baseAddress!, into: y.baseAddress!)
                }
            } }
        } }
        for i in 0..<(B * P) { d1[i] = max(0, z1[i]) }
        if train {
            d1.withUnsafeMutableBufferPointer { x in mask1.withUnsafeMutableBufferPointer { m in
                Dropout.forwardTrain(x.baseAddress!, count: B * P, p: dropout, mask: m.baseAddress!, rng: &rng)
            } }
        }
        p[4].data.withUnsafeBufferPointer { w in p[5].data.withUnsafeBufferPointer { b in
            d1.withUnsafeBufferPointer { x in s.withUnsafeMutableBufferPointer { y in
                Dense.forward(x.baseAddress!, rows: B, inputs: P, weight: w.baseAddress!, bias: b.baseAddress!, outputs: 1, into: y.baseAddress!)
            } }
        } }
        // Concatenation [features, s].
        let W = C + 1
        for r in 0..<B {
            for c in 0..<C { x3[r * W + c] = features[r * C + c] }
            x3[r * W + C] = s[r]
        }
        p[6].data.withUnsafeBufferPointer { w in p[7].data.withUnsafeBufferPointer { b in
            x3.withUnsafeBufferPointer { x in a3.withUnsafeMutableBufferPointer { y in
                Dense.forward(x.baseAddress!, rows: B, inputs: W, weight: w.baseAddress!, bias: b.baseAddress!, outputs: H, into: y.baseAddress!)
            } }
        } }
        p[8].data.withUnsafeBufferPointer { w in p[9].data.withUnsafeBufferPointer { b in
            a3.withUnsafeBufferPointer { x in z3.withUnsafeMutableBufferPointer { y in
                if train {
                    xhat3.withUnsafeMutableBufferPointer { xh in inv3.withUnsafeMutableBufferPointer { iv in
                        model.bn3.forwardTrain(x.baseAddress!, rows: B, weight: w.baseAddress!, bias: b.baseAddress!,
                                               into: y.baseAddress!, normalized: xh.baseAddress!, inverseStd: iv.baseAddress!,
                                               updateRunning: updateRunning)
                    } }
                } else {
                    model.bn3.forwardEval(x.baseAddress!, rows: B, weight: w.baseAddress!, bias: b.baseAddress!, into: y.baseAddress!)
                }
            } }
        } }
        for i in 0..<(B * H) { d3[i] = max(0, z3[i]) }
        if train {
            d3.withUnsafeMutableBufferPointer { x in mask3.withUnsafeMutableBufferPointer { m in
                Dropout.forwardTrain(x.baseAddress!, count: B * H, p: dropout, mask: m.baseAddress!, rng: &rng)
            } }
        }
        p[10].data.withUnsafeBufferPointer { w in p[11].data.withUnsafeBufferPointer { b in
            d3.withUnsafeBufferPointer { x in o.withUnsafeMutableBufferPointer { y in
                Dense.forward(x.baseAddress!, rows: B, inputs: H, weight: w.baseAddress!, bias: b.baseAddress!, outputs: 2, into: y.baseAddress!)
            } }
        } }
        o.withUnsafeBufferPointer { x in logProbs.withUnsafeMutableBufferPointer { y in
            LogSoftmax.forward(x.baseAddress!, rows: B, columns: 2, into: y.baseAddress!)
        } }
    }

    /// NLL loss (mean) of the last forward against `targets` (0/1) and, when `gradients` is
    /// given, accumulates the head's parameter gradients into it (`headParameterShapes` order)
    /// and writes `gradFeatures`. `gradients` holds one buffer per head tensor, zeroed by the caller.
    public func lossAndBackward(model: Stage2Model, targets: [Int32], gradients: [UnsafeMutablePointer<Float>]?) -> Double {
        let B = lastRows
        precondition(targets.count == B)
        let loss = logProbs.withUnsafeBufferPointer { lp in
            targets.withUnsafeBufferPointer { t in
                gO.withUnsafeMutableBufferPointer { g in
                    NLLLoss.forward(logProbs: lp.baseAddress!, rows: B, columns: 2, targets: t.baseAddress!,
                                    gradLogits: gradients == nil ? nil : g.baseAddress!)
                }
            }
        }
        guard let G = gradients else { return loss }
        let p = model.head.tensors
        let W = C + 1
        // fc4
        d3.withUnsafeBufferPointer { x in p[10].data.withUnsafeBufferPointer { w in gO.withUnsafeBufferPointer { gy in
            gD3.withUnsafeMutableBufferPointer { gx in
                Dense.backward(x.baseAddress!, rows: B, inputs: H, weight: w.baseAddress!, outputs: 2, gradOutput: gy.baseAddress!,
                               gradWeight: G[10],
                               gradBias: G[11], gradInput: gx.baseAddress!)
            }
        } } }
        // dropout3, relu3, bn3
        backwardThroughBranch(grad: &gD3, preActivation: z3, mask: mask3, bn: model.bn3, weight: p[8].data,
                              normalized: xhat3, inverseStd: inv3, input: a3, rows: B, features: H,
                              gradWeight: G[8], gradBias: G[9], gradInput: &gA3)
        // fc3
        x3.withUnsafeBufferPointer { x in p[6].data.withUnsafeBufferPointer { w in gA3.withUnsafeBufferPointer { gy in
            gX3.withUnsafeMutableBufferPointer { gx in
                Dense.backward(x.baseAddress!, rows: B, inputs: W, weight: w.baseAddress!, outputs: H, gradOutput: gy.baseAddress!,
                               gradWeight: G[6],
                               gradBias: G[7], gradInput: gx.baseAddress!)
            }
        } } }
        for r in 0..<B {
            for c in 0..<C { gradFeatures[r * C + c] = gX3[r * W + c] }
            gS[r] = gX3[r * W + C]
        }
        // fc2
        d1.withUnsafeBufferPointer { x in p[4].data.withUnsafeBufferPointer { w in gS.withUnsafeBufferPointer { gy in
            gD1.withUnsafeMutableBufferPointer { gx in
                Dense.backward(x.baseAddress!, rows: B, inputs: P, weight: w.baseAddress!, outputs: 1, gradOutput: gy.baseAddress!,
                               gradWeight: G[4],
                               gradBias: G[5], gradInput: gx.baseAddress!)
            }
        } } }
        // dropout1, relu1, bn1
        backwardThroughBranch(grad: &gD1, preActivation: z1, mask: mask1, bn: model.bn1, weight: p[2].data,
                              normalized: xhat1, inverseStd: inv1, input: a1, rows: B, features: P,
                              gradWeight: G[2], gradBias: G[3], gradInput: &gA1)
        // fc1 (no input gradient: the codes are data)
        codes.withUnsafeBufferPointer { x in p[0].data.withUnsafeBufferPointer { w in gA1.withUnsafeBufferPointer { gy in
            Dense.backward(x.baseAddress!, rows: B, inputs: N, weight: w.baseAddress!, outputs: P, gradOutput: gy.baseAddress!,
                           gradWeight: G[0],
                           gradBias: G[1], gradInput: nil)
        } } }
        return loss
    }

    /// Backward through BatchNorm1d → ReLU → Dropout (the shape of both of Net_Stage2's hidden
    /// layers): `grad` holds ∂loss/∂(dropout output) and is masked in place; ∂loss/∂(BatchNorm
    /// input) goes to `gradInput`, the BatchNorm parameter gradients are accumulated.
    private func backwardThroughBranch(grad: inout [Float], preActivation z: [Float], mask: [Float], bn: BatchNorm1d,
                                       weight: [Float], normalized: [Float], inverseStd: [Float], input: [Float],
                                       rows B: Int, features F: Int,
                                       gradWeight gw: UnsafeMutablePointer<Float>, gradBias gb: UnsafeMutablePointer<Float>,
                                       gradInput: inout [Float]) {
        for i in 0..<(B * F) {
            var g = grad[i]
            if lastTrain { g *= mask[i] }
            grad[i] = z[i] > 0 ? g : 0
        }
        weight.withUnsafeBufferPointer { w in grad.withUnsafeBufferPointer { gy in gradInput.withUnsafeMutableBufferPointer { gx in
            if lastTrain {
                normalized.withUnsafeBufferPointer { xh in inverseStd.withUnsafeBufferPointer { iv in
                    BatchNorm1d.backwardTrain(rows: B, features: F, weight: w.baseAddress!, normalized: xh.baseAddress!,
                                              inverseStd: iv.baseAddress!, gradOutput: gy.baseAddress!,
                                              gradWeight: gw, gradBias: gb, gradInput: gx.baseAddress!)
                } }
            } else {
                input.withUnsafeBufferPointer { x in
                    bn.backwardEval(x.baseAddress!, rows: B, weight: w.baseAddress!, gradOutput: gy.baseAddress!,
                                    gradWeight: gw, gradBias: gb, gradInput: gx.baseAddress!)
                }
            }
        } } }
    }
}
