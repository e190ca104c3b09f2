import Genomics
import NeuralNet

/// One optimisation step at a time for a `Stage2Model`, with `torch.optim.SGD` (Nesterov
/// momentum, L2 weight decay) over the trainable tensors: the head, plus the stage-1 conv
/// (`model_stage1.conv1.weight`, `.bias`) when the stage-1 network is not frozen.
///
/// Frozen: the caller passes the cached pooled features. Fine-tuned: the conv runs on all
/// threads (rows split into fixed chunks, per-thread gradient tables reduced in chunk order),
/// so the result depends only on the seed and the thread count. The head is tiny and runs on
/// one thread (BatchNorm couples the rows of a batch anyway).
public final class Stage2Trainer {
    public let model: Stage2Model
    public var optimizer: SGD
    public let threads: Int
    var workspace: Stage2Workspace
    var headGrad: [UnsafeMutablePointer<Float>]
    var headCounts: [Int]
    var rng: SeededRandom
    // Fine-tuning buffers.
    var conv: OneHotConvolution
    var maxima: [Float] = []
    var argmax: [Int32] = []
    var pooled: [Float] = []
    var gPooled: [Float] = []
    var rowOffsets: [[Int]]
    var gTables: [[Float]]
    var gConvBias: [[Float]]
    var convGrad: [Float]

    public init(model: Stage2Model, optimizer: SGD, threads: Int, seed: UInt64) {
        self.model = model
        self.optimizer = optimizer
        self.threads = max(1, threads)
        workspace = Stage2Workspace(architecture: model.architecture, rows: 256)
        headCounts = model.head.tensors.map(\.count)
        headGrad = headCounts.map { n in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1)); p.initialize(repeating: 0, count: max(n, 1)); return p
        }
        rng = SeededRandom.derived(seed: seed, stream: 0xD50)
        let a1 = model.stage1.architecture
        let cv = OneHotConvolution(channels: a1.channels, width: a1.convWidth)
        conv = cv
        let t = max(1, threads)
        rowOffsets = (0..<t).map { _ in [Int](repeating: 0, count: a1.sequenceLength) }
        gTables = (0..<t).map { _ in [Float](repeating: 0, count: cv.tableCount) }
        gConvBias = (0..<t).map { _ in [Float](repeating: 0, count: cv.paddedChannels) }
        convGrad = [Float](repeating: 0, count: model.stage1.parameters.tensors[0].count)
    }

    deinit { for p in headGrad { p.deallocate() } }

    func ensureCapacity(_ B: Int) {
        if workspace.capacity < B { workspace = Stage2Workspace(architecture: model.architecture, rows: B) }
    }

    func zeroHeadGradients() {
        for (p, n) in zip(headGrad, headCounts) { p.update(repeating: 0, count: n) }
    }

    /// One step on cached features (frozen stage 1): `features [B × C]`, `codes [B × N]`,
    /// `targets [B]` (0/1). Returns the batch loss before the update.
    @discardableResult
    public func step(features: [Float], codes: [Float], targets: [Int32]) -> Double {
        let B = targets.count
        precondition(features.count == B * model.architecture.channels && codes.count == B * model.architecture.cellTypes)
        ensureCapacity(B)
        zeroHeadGradients()
        let loss = features.withUnsafeBufferPointer { f in
            codes.withUnsafeBufferPointer { c in
                workspace.forward(model: model, features: f.baseAddress!, codes: c.baseAddress!, rows: B, train: true, rng: &rng)
                return workspace.lossAndBackward(model: model, targets: targets, gradients: headGrad)
            }
        }
        applyUpdate(withConv: false)
        return loss
    }

    /// One step computing the features from the sequences at `rows` (fine-tuning the stage-1
    /// conv unless the model is frozen, in which case the conv gets no update).
    @discardableResult
    public func step(sequences: EncodedSequences, rows: [Int], codes: [Float], targets: [Int32]) -> Double {
        let B = rows.count
        let C = model.architecture.channels
        precondition(targets.count == B && codes.count == B * model.architecture.cellTypes)
        ensureCapacity(B)
        zeroHeadGradients()
        let p1 = model.stage1.parameters
        conv.load(weight: p1.tensors[0].data, bias: p1.tensors[1].data)
        let Cp = conv.paddedChannels, L = sequences.length
        if maxima.count < B * Cp {
            maxima = [Float](repeating: 0, count: B * Cp); argmax = [Int32](repeating: 0, count: B * Cp)
        }
        if pooled.count < B * C { pooled = [Float](repeating: 0, count: B * C); gPooled = pooled }
        let conv = self.conv
        let parts = Parallel.chunks(count: B, parts: threads)
        sequences.codes.withUnsafeBufferPointer { sc in
            maxima.withUnsafeMutableBufferPointer { mx in argmax.withUnsafeMutableBufferPointer { am in
                let mxp = mx.baseAddress!, amp = am.baseAddress!, scp = sc.baseAddress!
                var ro = rowOffsets
                ro.withUnsafeMutableBufferPointer { rob in
                    let robp = rob.baseAddress!
                    Parallel.forEachChunk(count: B, parts: threads) { part, range in
                        robp[part].withUnsafeMutableBufferPointer { off in
                            for r in range {
                                conv.forward(codes: scp + rows[r] * L, length: L, maxima: mxp + r * Cp, argmax: amp + r * Cp,
                                             rowOffsets: off.baseAddress!)
                            }
                        }
                    }
                }
                rowOffsets = ro
            } }
        }
        for r in 0..<B { for c in 0..<C { pooled[r * C + c] = max(0, maxima[r * Cp + c]) } }
        let loss = pooled.withUnsafeBufferPointer { f in
            codes.withUnsafeBufferPointer { c in
                workspace.forward(model: model, features: f.baseAddress!, codes: c.baseAddress!, rows: B, train: true, rng: &rng)
                return workspace.lossAndBackward(model: model, targets: targets, gradients: headGrad)
            }
        }
        if model.freezeStage1 {
            applyUpdate(withConv: false)
            return loss
        }
        for i in 0..<(B * C) { gPooled[i] = pooled[i] > 0 ? workspace.gradFeatures[i] : 0 }
        var tables = gTables, biases = gConvBias
        sequences.codes.withUnsafeBufferPointer { sc in
            argmax.withUnsafeBufferPointer { am in gPooled.withUnsafeBufferPointer { gp in
                tables.withUnsafeMutableBufferPointer { tb in biases.withUnsafeMutableBufferPointer { bb in
                    let tbp = tb.baseAddress!, bbp = bb.baseAddress!, scp = sc.baseAddress!, amp = am.baseAddress!, gpp = gp.baseAddress!
                    Parallel.forEachChunk(count: B, parts: threads) { part, range in
                        tbp[part].withUnsafeMutableBufferPointer { t in bbp[part].withUnsafeMutableBufferPointer { b in
                            for i in t.indices { t[i] = 0 }
                            for i in b.indices { b[i] = 0 }
                            for r in range {
                                conv.accumulateGradient(codes: scp + rows[r] * L, argmax: amp + r * Cp, gradMax: gpp + r * C,
                                                        gradTable: t.baseAddress!, gradBias: b.baseAddress!)
                            }
                        } }
                    }
                } }
            } }
        }
        for k in 1..<max(1, parts.count) {
            for i in tables[0].indices { tables[0][i] += tables[k][i] }
            for i in biases[0].indices { biases[0][i] += biases[k][i] }
        }
        tables[0].withUnsafeBufferPointer { t in
            convGrad.withUnsafeMutableBufferPointer { out in conv.weightGradient(fromTable: t.baseAddress!, into: out.baseAddress!) }
        }
        gConvBias = biases
        gTables = tables
        applyUpdate(withConv: true)
        return loss
    }

    /// The gradients of the last step, PyTorch names (head, then the conv when fine-tuning).
    public private(set) var lastGradients = NamedParameters()

    func applyUpdate(withConv: Bool) {
        var params = NamedParameters()
        var grads = NamedParameters()
        if !model.freezeStage1 {
            // The trainable set must be the same at every step (the optimiser's buffers are positional).
            let p1 = model.stage1.parameters
            params.append("model_stage1.conv1.weight", p1.tensors[0])
            params.append("model_stage1.conv1.bias", p1.tensors[1])
            let C = model.architecture.channels
            grads.append("model_stage1.conv1.weight", Tensor(shape: p1.tensors[0].shape,
                                                             data: withConv ? convGrad : [Float](repeating: 0, count: convGrad.count)))
            grads.append("model_stage1.conv1.bias", Tensor(shape: [C], data: withConv ? Array(gConvBias[0][0..<C]) : [Float](repeating: 0, count: C)))
        }
        for (j, (name, t)) in zip(model.head.names, model.head.tensors).enumerated() {
            params.append(name, t)
            grads.append(name, Tensor(shape: t.shape, data: Array(UnsafeBufferPointer(start: headGrad[j], count: headCounts[j]))))
        }
        optimizer.update(&params, gradients: grads)
        lastGradients = grads
        var off = 0
        if !model.freezeStage1 {
            var p1 = model.stage1.parameters
            p1.tensors[0] = params.tensors[0]
            p1.tensors[1] = params.tensors[1]
            model.stage1.parameters = p1
            off = 2
        }
        for j in 0..<model.head.tensors.count { model.head.tensors[j] = params.tensors[off + j] }
    }
}
