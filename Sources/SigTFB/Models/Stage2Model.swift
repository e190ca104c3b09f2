import Genomics
import NeuralNet

/// Shape of SigTFB's stage-2 network (the original's `Net_Stage2`, and its head variants).
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
    /// `num_hidden_layers` L: hidden blocks Linear → BatchNorm1d → ReLU → Dropout between the
    /// concatenation [features, s] and `fc4`. 1 is the original's Net_Stage2 (fc3/bn3); 0 is
    /// "Net_NoLayers" (no layers in the fully connected network: `fc4` maps C+1 → 2); L ≥ 2 adds
    /// blocks `fc3_2`/`bn3_2`, …, `fc3_L`/`bn3_L` (H → H) after fc3/bn3. Absent from sidecars
    /// written before the variants existed, and then 1.
    public var hiddenLayers: Int

    /// The largest `hiddenLayers` accepted (checkpoints and the CLI).
    public static let maxHiddenLayers = 8

    enum CodingKeys: String, CodingKey {
        case channels, cellTypes = "cell_types", preConcat = "neurons_per_layer_pre_concat", hidden = "neurons_per_layer"
        case dropout = "dropout_prob", sequenceLength = "sequence_length", convWidth = "conv_width"
        case hiddenLayers = "num_hidden_layers"
    }

    public init(channels: Int, cellTypes: Int, preConcat: Int, hidden: Int, dropout: Double = 0,
                sequenceLength: Int = 101, convWidth: Int = 24, hiddenLayers: Int = 1) {
        self.channels = channels; self.cellTypes = cellTypes; self.preConcat = preConcat; self.hidden = hidden
        self.dropout = dropout; self.sequenceLength = sequenceLength; self.convWidth = convWidth
        self.hiddenLayers = hiddenLayers
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channels = try c.decode(Int.self, forKey: .channels)
        cellTypes = try c.decode(Int.self, forKey: .cellTypes)
        preConcat = try c.decode(Int.self, forKey: .preConcat)
        hidden = try c.decode(Int.self, forKey: .hidden)
        dropout = try c.decode(Double.self, forKey: .dropout)
        sequenceLength = try c.decode(Int.self, forKey: .sequenceLength)
        convWidth = try c.decode(Int.self, forKey: .convWidth)
        hiddenLayers = try c.decodeIfPresent(Int.self, forKey: .hiddenLayers) ?? 1
    }

    /// The PyTorch module names (Linear, BatchNorm1d) of hidden block `k` (1-based): `fc3`/`bn3`
    /// for the first (the original's), `fc3_k`/`bn3_k` for the further ones.
    public static func hiddenBlockNames(_ k: Int) -> (linear: String, norm: String) {
        k == 1 ? ("fc3", "bn3") : ("fc3_\(k)", "bn3_\(k)")
    }

    /// The names of the hidden blocks' BatchNorm modules, in order (`bn3`, `bn3_2`, …; none for L = 0).
    public var hiddenNormNames: [String] { hiddenLayers < 1 ? [] : (1...hiddenLayers).map { Self.hiddenBlockNames($0).norm } }

    /// The width of fc4's input: H after a hidden block, C+1 (the concatenation) without one.
    public var outputInputs: Int { hiddenLayers == 0 ? channels + 1 : hidden }

    /// One line naming the head (for logs and the report).
    public var headDescription: String {
        switch hiddenLayers {
        case 0: return "Net_Stage2 head with no hidden layer after the concatenation (Net_NoLayers: fc4 maps the \(channels + 1) concatenated values to 2)"
        case 1: return "Net_Stage2 head with one hidden layer of \(hidden) after the concatenation (the original's)"
        default: return "Net_Stage2 head with \(hiddenLayers) hidden layers of \(hidden) after the concatenation"
        }
    }

    /// Trainable head parameters in `state_dict` order (buffers omitted): the cell-type branch
    /// (fc1, bn1, fc2), the hidden blocks (fc3, bn3, fc3_2, bn3_2, …), fc4.
    public var headParameterShapes: [(String, [Int])] {
        let N = cellTypes, P = preConcat, C = channels, H = hidden
        var out: [(String, [Int])] = [("fc1.weight", [P, N]), ("fc1.bias", [P]), ("bn1.weight", [P]), ("bn1.bias", [P]),
                                      ("fc2.weight", [1, P]), ("fc2.bias", [1])]
        if hiddenLayers >= 1 {
            for k in 1...hiddenLayers {
                let (fc, bn) = Self.hiddenBlockNames(k)
                out += [("\(fc).weight", [H, k == 1 ? C + 1 : H]), ("\(fc).bias", [H]), ("\(bn).weight", [H]), ("\(bn).bias", [H])]
            }
        }
        out += [("fc4.weight", [2, outputInputs]), ("fc4.bias", [2])]
        return out
    }
}

extension Stage2Architecture {
    /// Why a checkpoint's architecture cannot be a model (a size out of range), nil when it can.
    public var problem: String? {
        ArchitectureCheck.sizes([("channels", channels), ("cell_types", cellTypes), ("neurons_per_layer_pre_concat", preConcat),
                                 ("neurons_per_layer", hidden), ("sequence_length", sequenceLength), ("conv_width", convWidth)])
            ?? (dropout.isFinite && dropout >= 0 && dropout < 1 ? nil : "'dropout_prob' is \(dropout); it must be in [0, 1)")
            ?? ((0...Self.maxHiddenLayers).contains(hiddenLayers) ? nil
                : "'num_hidden_layers' is \(hiddenLayers); it must be between 0 and \(Self.maxHiddenLayers)")
    }
}

/// Net_Stage2: the stage-1 network's pooled conv features (frozen or fine-tuned) concatenated
/// with a scalar computed from the cell-type code,
///
///     g → fc1 (N→P) → bn1 → ReLU → dropout1 → fc2 (P→1) = s
///     [features, s] → fc3 (C+1→H) → bn3 → ReLU → dropout3 → fc4 (H→2) → LogSoftmax
///
/// With `num_hidden_layers` L ≠ 1 (`Stage2Architecture.hiddenLayers`) the part after the
/// concatenation has L such blocks: none for L = 0 (fc4 (C+1→2) right after the concatenation),
/// fc3 → bn3 → ReLU → dropout → fc3_2 (H→H) → bn3_2 → ReLU → dropout → … → fc4 for L ≥ 2.
///
/// Parameter and buffer names are PyTorch's (`fc1.weight`, `bn1.running_mean`, …; the stage-1
/// network's as `model_stage1.conv1.weight`, …), so checkpoints load into the original with
/// `load_state_dict` (L = 1), or into bench/reference's generalised Net_Stage2 (any L).
public final class Stage2Model: @unchecked Sendable {
    public let architecture: Stage2Architecture
    /// The trainable head tensors, `headParameterShapes` order (12 for the original's L = 1).
    public var head: NamedParameters
    public var bn1: BatchNorm1d
    /// The hidden blocks' BatchNorms (`bn3`, `bn3_2`, …), one per hidden layer.
    public var hiddenNorms: [BatchNorm1d]
    /// The stage-1 network (its conv gives the features; fine-tuning updates its conv1 only,
    /// as in PyTorch, where fc1/fc2 of stage 1 receive no gradient).
    public let stage1: Stage1Model
    /// `freeze_pretrained_model`.
    public var freezeStage1: Bool

    /// The first hidden block's BatchNorm (`bn3`); the architecture must have a hidden layer.
    public var bn3: BatchNorm1d {
        get { precondition(!hiddenNorms.isEmpty, "a head without hidden layers has no bn3"); return hiddenNorms[0] }
        set { precondition(!hiddenNorms.isEmpty, "a head without hidden layers has no bn3"); hiddenNorms[0] = newValue }
    }

    /// Random initialisation as the original's `_initialize_weights`: linear weights
    /// normal(0, linearStd), linear biases 0, BatchNorm γ = 1, β = 0, running stats (0, 1).
    public init(architecture a: Stage2Architecture, stage1: Stage1Model, linearStd: Double, freezeStage1: Bool, seed: UInt64) {
        precondition(stage1.architecture.channels == a.channels, "stage-1 channels differ from the architecture's")
        precondition(a.problem == nil, a.problem ?? "")
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
        hiddenNorms = (0..<a.hiddenLayers).map { _ in BatchNorm1d(features: a.hidden) }
    }

    /// A model from given head parameters and BatchNorm buffers (checked against the architecture).
    public init(architecture a: Stage2Architecture, stage1: Stage1Model, head p: NamedParameters,
                bn1: BatchNorm1d, hiddenNorms: [BatchNorm1d], freezeStage1: Bool) throws {
        if let problem = a.problem { throw ModelError("architecture: \(problem)") }
        var ordered = NamedParameters()
        for (name, shape) in a.headParameterShapes {
            guard let t = p[name] else { throw ModelError("parameter '\(name)' is missing") }
            guard t.shape == shape else { throw ModelError("parameter '\(name)' has shape \(t.shape), expected \(shape)") }
            guard t.data.allSatisfy({ $0.isFinite }) else { throw ModelError("parameter '\(name)' holds NaN or Inf") }
            ordered.append(name, t)
        }
        guard bn1.features == a.preConcat else {
            throw ModelError("BatchNorm buffers do not match the architecture (bn1 \(bn1.features) vs \(a.preConcat))")
        }
        guard hiddenNorms.count == a.hiddenLayers else {
            throw ModelError("\(hiddenNorms.count) hidden BatchNorms given for \(a.hiddenLayers) hidden layers")
        }
        for (name, bn) in zip(a.hiddenNormNames, hiddenNorms) where bn.features != a.hidden {
            throw ModelError("BatchNorm buffers do not match the architecture (\(name) \(bn.features) vs \(a.hidden))")
        }
        guard stage1.architecture.channels == a.channels else {
            throw ModelError("the stage-1 model has \(stage1.architecture.channels) channels, the stage-2 head expects \(a.channels)")
        }
        architecture = a
        self.stage1 = stage1
        head = ordered
        self.bn1 = bn1
        self.hiddenNorms = hiddenNorms
        self.freezeStage1 = freezeStage1
    }

    /// A model with one hidden layer (the original's Net_Stage2) from given head parameters and buffers.
    public convenience init(architecture a: Stage2Architecture, stage1: Stage1Model, head p: NamedParameters,
                            bn1: BatchNorm1d, bn3: BatchNorm1d, freezeStage1: Bool) throws {
        try self.init(architecture: a, stage1: stage1, head: p, bn1: bn1, hiddenNorms: [bn3], freezeStage1: freezeStage1)
    }

    /// A deep copy (for keeping the best epoch's weights).
    public func copy() -> Stage2Model {
        let s1 = try! Stage1Model(architecture: stage1.architecture, parameters: stage1.parameters)
        return try! Stage2Model(architecture: architecture, stage1: s1, head: head, bn1: bn1, hiddenNorms: hiddenNorms,
                                freezeStage1: freezeStage1)
    }

    /// The BatchNorm named `prefix` (`bn1`, `bn3`, `bn3_2`, …), nil when the head has none of that name.
    public func batchNorm(named prefix: String) -> BatchNorm1d? {
        if prefix == "bn1" { return bn1 }
        return architecture.hiddenNormNames.firstIndex(of: prefix).map { hiddenNorms[$0] }
    }

    /// The full `state_dict` in PyTorch order: `model_stage1.*`, then fc1, bn1 (weight, bias,
    /// running_mean, running_var, num_batches_tracked), fc2, fc3, bn3, [fc3_2, bn3_2, …], fc4.
    public var stateDict: [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for (n, t) in zip(stage1.parameters.names, stage1.parameters.tensors) { out.append(("model_stage1." + n, t)) }
        for (n, t) in zip(head.names, head.tensors) {
            out.append((n, t))
            if n.hasPrefix("bn") && n.hasSuffix(".bias") {
                let prefix = String(n.dropLast(".bias".count))
                let bn = batchNorm(named: prefix)!
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

/// Buffers of one hidden block (Linear → BatchNorm1d → ReLU → Dropout) after the concatenation.
final class Stage2HiddenBuffers {
    /// Linear output, BatchNorm output, normalised values, ReLU + dropout output, dropout mask.
    var a: [Float], z: [Float], xhat: [Float], d: [Float], mask: [Float]
    var inv: [Float]
    /// ∂loss/∂d and ∂loss/∂a.
    var gD: [Float], gA: [Float]
    init(rows: Int, features H: Int) {
        a = [Float](repeating: 0, count: rows * H); z = a; xhat = a; d = a; mask = a; gD = a; gA = a
        inv = [Float](repeating: 0, count: H)
    }
}

/// Buffers of one forward/backward pass of the stage-2 head over up to `capacity` rows.
public final class Stage2Workspace {
    public let capacity: Int
    let C: Int, N: Int, P: Int, H: Int
    var a1: [Float], z1: [Float], xhat1: [Float], inv1: [Float], d1: [Float], mask1: [Float]
    var s: [Float]
    var x3: [Float]
    /// One per hidden layer (`fc3`/`bn3`, `fc3_2`/`bn3_2`, …); empty for a head without hidden layers.
    let layers: [Stage2HiddenBuffers]
    var o: [Float]
    public internal(set) var logProbs: [Float]
    var codes: [Float]
    var lastTrain = false
    var lastRows = 0
    // Gradients.
    var gO: [Float], gX3: [Float], gS: [Float], gD1: [Float], gA1: [Float]
    /// ∂loss/∂features of the last backward, `[rows × C]`.
    public internal(set) var gradFeatures: [Float]

    public init(architecture a: Stage2Architecture, rows: Int) {
        capacity = rows
        C = a.channels; N = a.cellTypes; P = a.preConcat; H = a.hidden
        func z(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
        a1 = z(rows * P); z1 = a1; xhat1 = a1; d1 = a1; mask1 = a1; inv1 = z(P)
        s = z(rows); x3 = z(rows * (C + 1))
        let h = a.hidden
        layers = (0..<max(0, a.hiddenLayers)).map { _ in Stage2HiddenBuffers(rows: rows, features: h) }
        o = z(rows * 2); logProbs = o; codes = z(rows * N)
        gO = o; gX3 = x3; gS = s; gD1 = a1; gA1 = a1
        gradFeatures = z(rows * C)
    }

    /// The input of fc4 in the last forward, `[rows × width]`: the post-ReLU, post-dropout
    /// activations of the last hidden block (`fc3_g` of the original, width H), or the
    /// concatenation [features, s] (width C+1) for a head without hidden layers.
    public var hiddenActivations: [Float] {
        if let last = layers.last { return Array(last.d[0..<(lastRows * H)]) }
        return Array(x3[0..<(lastRows * (C + 1))])
    }

    /// Forward over `rows` rows. Train mode uses batch statistics, updates the running
    /// statistics and draws dropout masks from `rng` (dropout1, then each hidden block's in
    /// order); eval mode uses the running statistics.
    public func forward(model: Stage2Model, features: UnsafePointer<Float>, codes g: UnsafePointer<Float>, rows B: Int,
                        train: Bool, rng: inout SeededRandom, updateRunning: Bool = true) {
        precondition(B <= capacity)
        precondition(layers.count == model.architecture.hiddenLayers, "workspace made for another architecture")
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
        // Hidden blocks: Linear → BatchNorm1d → ReLU → Dropout.
        for (k, L) in layers.enumerated() {
            let base = 6 + 4 * k
            let forwardLinear = { (x: UnsafePointer<Float>, inputs: Int) in
                p[base].data.withUnsafeBufferPointer { w in p[base + 1].data.withUnsafeBufferPointer { b in
                    L.a.withUnsafeMutableBufferPointer { y in
                        Dense.forward(x, rows: B, inputs: inputs, weight: w.baseAddress!, bias: b.baseAddress!, outputs: self.H, into: y.baseAddress!)
                    }
                } }
            }
            if k == 0 {
                x3.withUnsafeBufferPointer { x in forwardLinear(x.baseAddress!, W) }
            } else {
                layers[k - 1].d.withUnsafeBufferPointer { x in forwardLinear(x.baseAddress!, H) }
            }
            p[base + 2].data.withUnsafeBufferPointer { w in p[base + 3].data.withUnsafeBufferPointer { b in
                L.a.withUnsafeBufferPointer { x in L.z.withUnsafeMutableBufferPointer { y in
                    if train {
                        L.xhat.withUnsafeMutableBufferPointer { xh in L.inv.withUnsafeMutableBufferPointer { iv in
                            model.hiddenNorms[k].forwardTrain(x.baseAddress!, rows: B, weight: w.baseAddress!, bias: b.baseAddress!,
                                                              into: y.baseAddress!, normalized: xh.baseAddress!, inverseStd: iv.baseAddress!,
                                                              updateRunning: updateRunning)
                        } }
                    } else {
                        model.hiddenNorms[k].forwardEval(x.baseAddress!, rows: B, weight: w.baseAddress!, bias: b.baseAddress!, into: y.baseAddress!)
                    }
                } }
            } }
            for i in 0..<(B * H) { L.d[i] = max(0, L.z[i]) }
            if train {
                L.d.withUnsafeMutableBufferPointer { x in L.mask.withUnsafeMutableBufferPointer { m in
                    Dropout.forwardTrain(x.baseAddress!, count: B * H, p: dropout, mask: m.baseAddress!, rng: &rng)
                } }
            }
        }
        // fc4 on the last hidden block's output (or on the concatenation).
        let out = 6 + 4 * layers.count
        let forwardOutput = { (x: UnsafePointer<Float>, inputs: Int) in
            p[out].data.withUnsafeBufferPointer { w in p[out + 1].data.withUnsafeBufferPointer { b in
                self.o.withUnsafeMutableBufferPointer { y in
                    Dense.forward(x, rows: B, inputs: inputs, weight: w.baseAddress!, bias: b.baseAddress!, outputs: 2, into: y.baseAddress!)
                }
            } }
        }
        if let last = layers.last {
            last.d.withUnsafeBufferPointer { x in forwardOutput(x.baseAddress!, H) }
        } else {
            x3.withUnsafeBufferPointer { x in forwardOutput(x.baseAddress!, W) }
        }
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
        precondition(G.count == 8 + 4 * layers.count)
        let p = model.head.tensors
        let W = C + 1
        // fc4: ∂loss/∂(its input) goes to the last hidden block's gD, or straight to the concatenation's.
        let out = 6 + 4 * layers.count
        if let last = layers.last {
            last.d.withUnsafeBufferPointer { x in p[out].data.withUnsafeBufferPointer { w in gO.withUnsafeBufferPointer { gy in
                last.gD.withUnsafeMutableBufferPointer { gx in
                    Dense.backward(x.baseAddress!, rows: B, inputs: H, weight: w.baseAddress!, outputs: 2, gradOutput: gy.baseAddress!,
                                   gradWeight: G[out], gradBias: G[out + 1], gradInput: gx.baseAddress!)
                }
            } } }
        } else {
            x3.withUnsafeBufferPointer { x in p[out].data.withUnsafeBufferPointer { w in gO.withUnsafeBufferPointer { gy in
                gX3.withUnsafeMutableBufferPointer { gx in
                    Dense.backward(x.baseAddress!, rows: B, inputs: W, weight: w.baseAddress!, outputs: 2, gradOutput: gy.baseAddress!,
                                   gradWeight: G[out], gradBias: G[out + 1], gradInput: gx.baseAddress!)
                }
            } } }
        }
        // Hidden blocks, last to first: dropout, ReLU, BatchNorm, then the Linear.
        for k in stride(from: layers.count - 1, through: 0, by: -1) {
            let L = layers[k], base = 6 + 4 * k
            backwardThroughBranch(grad: &L.gD, preActivation: L.z, mask: L.mask, bn: model.hiddenNorms[k], weight: p[base + 2].data,
                                  normalized: L.xhat, inverseStd: L.inv, input: L.a, rows: B, features: H,
                                  gradWeight: G[base + 2], gradBias: G[base + 3], gradInput: &L.gA)
            if k == 0 {
                x3.withUnsafeBufferPointer { x in p[base].data.withUnsafeBufferPointer { w in L.gA.withUnsafeBufferPointer { gy in
                    gX3.withUnsafeMutableBufferPointer { gx in
                        Dense.backward(x.baseAddress!, rows: B, inputs: W, weight: w.baseAddress!, outputs: H, gradOutput: gy.baseAddress!,
                                       gradWeight: G[base], gradBias: G[base + 1], gradInput: gx.baseAddress!)
                    }
                } } }
            } else {
                let prev = layers[k - 1]
                prev.d.withUnsafeBufferPointer { x in p[base].data.withUnsafeBufferPointer { w in L.gA.withUnsafeBufferPointer { gy in
                    prev.gD.withUnsafeMutableBufferPointer { gx in
                        Dense.backward(x.baseAddress!, rows: B, inputs: H, weight: w.baseAddress!, outputs: H, gradOutput: gy.baseAddress!,
                                       gradWeight: G[base], gradBias: G[base + 1], gradInput: gx.baseAddress!)
                    }
                } } }
            }
        }
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

    /// Backward through BatchNorm1d → ReLU → Dropout (the shape of the cell-type branch's and
    /// of every hidden block): `grad` holds ∂loss/∂(dropout output) and is masked in place; ∂loss/∂(BatchNorm
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
