import Foundation
import Synchronization
import Genomics
import Storage
import NeuralNet

/// Shape of SigTFB's stage-1 network (the original's `CNN_Multilabel`).
public struct Stage1Architecture: Codable, Sendable, Equatable {
    public var channels: Int
    public var cellTypes: Int
    public var sequenceLength: Int
    public var convWidth: Int = 24
    public var hidden: Int = 32

    enum CodingKeys: String, CodingKey {
        case channels, cellTypes = "cell_types", sequenceLength = "sequence_length", convWidth = "conv_width", hidden
    }

    public init(channels: Int, cellTypes: Int, sequenceLength: Int = 101, convWidth: Int = 24, hidden: Int = 32) {
        self.channels = channels
        self.cellTypes = cellTypes
        self.sequenceLength = sequenceLength
        self.convWidth = convWidth
        self.hidden = hidden
    }

    /// Parameter names and shapes exactly as PyTorch's `state_dict` of `CNN_Multilabel`.
    public var parameterShapes: [(String, [Int])] {
        [("conv1.weight", [channels, 4, 1, convWidth]), ("conv1.bias", [channels]),
         ("fc1.weight", [hidden, channels]), ("fc1.bias", [hidden]),
         ("fc2.weight", [cellTypes, hidden]), ("fc2.bias", [cellTypes])]
    }
}

extension Stage1Architecture {
    /// Why a checkpoint's architecture cannot be a model (a size out of range), nil when it can.
    /// Checked before anything is sized from it.
    public var problem: String? {
        ArchitectureCheck.sizes([("channels", channels), ("cell_types", cellTypes), ("sequence_length", sequenceLength),
                                 ("conv_width", convWidth), ("hidden", hidden)])
            ?? (sequenceLength < convWidth ? "sequence_length \(sequenceLength) is shorter than conv_width \(convWidth)" : nil)
    }
}

enum ArchitectureCheck {
    /// Far above any real model (Basset sequences are hundreds of bases, layers hundreds of units).
    static let limit = 1_000_000

    static func sizes(_ fields: [(String, Int)]) -> String? {
        for (name, v) in fields where !(1...limit).contains(v) {
            return "'\(name)' is \(v); it must be between 1 and \(limit)"
        }
        return nil
    }

    /// Why a list of cell-type names cannot be used (they become TSV columns and table rows), nil when it can.
    static func cellTypeNames(_ names: [String]) -> String? {
        for (i, n) in names.enumerated() where !BassetH5.isUsableCellTypeName(n) {
            return n.isEmpty ? "cell type \(i + 1) has an empty name"
                : "cell type \(i + 1) (\(n.debugDescription)) contains a tab, line break or other control character"
        }
        if Set(names).count != names.count { return "cell type names are not unique: \(names.debugDescription)" }
        return nil
    }
}

/// Errors of model construction and loading, with one-line messages.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ m: String) { description = m }
}

/// Conv(4→C, width 24) → ReLU → global max-pool → Linear(C,32) → ReLU → Linear(32,N).
///
/// Parameters are kept in PyTorch layout and names (`conv1.weight [C,4,1,24]`, `fc1.weight
/// [32,C]`, …) so checkpoints load into the original with `load_state_dict`. The convolution runs
/// as one-hot table lookups (`OneHotConvolution`); the rest are small dense layers.
public final class Stage1Model: @unchecked Sendable {
    public let architecture: Stage1Architecture
    public var parameters: NamedParameters {
        didSet { parametersVersion &+= 1 }
    }
    /// Counts changes of `parameters`: a lookup table built from an older version is rebuilt
    /// before use (the model's own, for inference, and each training thread's).
    private(set) var parametersVersion = 0
    var conv: OneHotConvolution
    var convVersion = -1
    /// Forward-only workspaces kept between inference calls (allocating and zero-filling them
    /// per call cost page faults); taken and returned under `poolLock`.
    private var workspacePool: [Stage1Workspace] = []
    private let poolLock = NSLock()
    /// The dense layers in inference's layout, built from parameters version `headVersion`.
    private var head: DenseHead?
    private var headVersion = -1

    /// Random initialisation as the original: normal(0, convStd) conv weights, normal(0, linearStd)
    /// linear weights, zero biases.
    public init(architecture a: Stage1Architecture, convStd: Double, linearStd: Double, seed: UInt64) {
        architecture = a
        var rng = SeededRandom(seed: seed)
        var p = NamedParameters()
        for (name, shape) in a.parameterShapes {
            if name.hasSuffix(".bias") {
                p.append(name, Tensor(zeros: shape))
            } else {
                p.append(name, Tensor(normal: shape, std: name.hasPrefix("conv") ? convStd : linearStd, rng: &rng))
            }
        }
        parameters = p
        conv = OneHotConvolution(channels: a.channels, width: a.convWidth)
    }

    /// A model from given parameters (checked against the architecture).
    public init(architecture a: Stage1Architecture, parameters p: NamedParameters) throws {
        guard a.sequenceLength >= a.convWidth else {
            throw ModelError("sequence length \(a.sequenceLength) is shorter than the filter width \(a.convWidth)")
        }
        var ordered = NamedParameters()
        for (name, shape) in a.parameterShapes {
            guard let t = p[name] else { throw ModelError("parameter '\(name)' is missing") }
            guard t.shape == shape else {
                throw ModelError("parameter '\(name)' has shape \(t.shape), expected \(shape)")
            }
            guard t.data.allSatisfy({ $0.isFinite }) else { throw ModelError("parameter '\(name)' holds NaN or Inf") }
            ordered.append(name, t)
        }
        architecture = a
        parameters = ordered
        conv = OneHotConvolution(channels: a.channels, width: a.convWidth)
    }

    /// Rebuilds the lookup table after the weights changed.
    func refreshConvolution() {
        loadConvolution(into: &conv, builtFrom: &convVersion)
    }

    /// Rebuilds `conv`'s tables from the parameters unless `version` says they are current.
    func loadConvolution(into conv: inout OneHotConvolution, builtFrom version: inout Int) {
        guard version != parametersVersion else { return }
        conv.load(weight: parameters.tensors[0].data, bias: parameters.tensors[1].data)
        version = parametersVersion
    }

    // MARK: - Inference

    /// Logits `[count × cellTypes]` for the sequences at `indices` (all when nil).
    public func logits(_ sequences: EncodedSequences, indices: [Int]? = nil, threads: Int = Parallel.availableCores) -> [Float] {
        let out = forwardAll(sequences, indices: indices, threads: threads, wantPooled: false)
        return out.logits
    }

    /// Probabilities (sigmoid of the logits).
    public func probabilities(_ sequences: EncodedSequences, indices: [Int]? = nil, threads: Int = Parallel.availableCores) -> [Float] {
        logits(sequences, indices: indices, threads: threads).map { 1 / (1 + expf(-$0)) }
    }

    /// The max-pooled convolution features after ReLU, `[count × channels]` (stage 2's input).
    public func pooledFeatures(_ sequences: EncodedSequences, indices: [Int]? = nil, threads: Int = Parallel.availableCores) -> [Float] {
        forwardAll(sequences, indices: indices, threads: threads, wantPooled: true).pooled
    }

    /// Most sequences per chunk of inference (a workspace holds 256 rows).
    static let inferenceChunk = 128

    func forwardAll(_ sequences: EncodedSequences, indices: [Int]?, threads: Int, wantPooled: Bool) -> (logits: [Float], pooled: [Float]) {
        precondition(sequences.length == architecture.sequenceLength,
                     "sequences have length \(sequences.length), the model expects \(architecture.sequenceLength)")
        refreshConvolution()
        let head = refreshedHead()
        let rows = indices ?? Array(0..<sequences.count)
        // The kernels read rows through raw pointers: an index out of range would read other memory.
        precondition(rows.allSatisfy { (0..<sequences.count).contains($0) },
                     "sequence indices must lie in 0..<\(sequences.count)")
        let n = rows.count
        let N = architecture.cellTypes, C = architecture.channels, Cp = conv.paddedChannels, L = sequences.length
        var logits = [Float](repeating: 0, count: n * N)
        var pooled = [Float](repeating: 0, count: wantPooled ? n * C : 0)
        // The outputs do not depend on the thread count, and threads beyond the cores would only
        // take turns (the pool's threads spin between calls).
        let wanted = max(1, min(threads, Parallel.availableCores))
        poolLock.lock()
        var workspaces = Array(workspacePool.suffix(wanted))
        workspacePool.removeLast(workspaces.count)
        poolLock.unlock()
        while workspaces.count < wanted {
            workspaces.append(Stage1Workspace(architecture: architecture, conv: conv, rows: 256, training: false))
        }
        defer {
            poolLock.lock()
            workspacePool.append(contentsOf: workspaces)
            if workspacePool.count > 2 * Parallel.availableCores { workspacePool.removeFirst(workspacePool.count - 2 * Parallel.availableCores) }
            poolLock.unlock()
        }
        // Chunks that shrink towards the end, claimed by whichever thread is free, so the threads
        // finish together (with fixed blocks one thread often ran a whole last block alone: two
        // 1-thread processes out-ran one 2-thread process by a third). The convolution and the
        // dense head are exact per sequence however the sequences are cut, so every thread count
        // gives the same bits. The threads are a pool kept spinning between calls (inference
        // calls of 1,024 sequences take 0.2-2 ms; waking parked threads each time left a core
        // idle about a tenth of the time at C = 16).
        let pool = wanted > 1 ? WorkerPool.shared(threads: wanted) : nil
        let conv = self.conv
        sequences.codes.withUnsafeBufferPointer { codes in
            logits.withUnsafeMutableBufferPointer { lg in
                pooled.withUnsafeMutableBufferPointer { pl in
                    rows.withUnsafeBufferPointer { allRows in
                        let lgp = lg.baseAddress!, plp = wantPooled ? pl.baseAddress : nil
                        Parallel.forEachGuidedChunk(count: n, maxChunk: Stage1Model.inferenceChunk, minChunk: 16,
                                                    workers: wanted, pool: pool) { worker, chunk in
                            let ws = workspaces[worker]
                            conv.forwardBatch(codes: codes.baseAddress!, length: L, rows: UnsafeBufferPointer(rebasing: allRows[chunk]),
                                              maxima: ws.maxima.pointer, argmax: ws.argmax.pointer,
                                              scratch: ws.batchOffsets.pointer, rowOffsets: ws.rowOffsets.pointer,
                                              needArgmax: false)
                            head.run(ws.maxima.pointer, rows: chunk.count, stride: Cp, into: lgp + chunk.lowerBound * N,
                                     reluInputs: plp.map { $0 + chunk.lowerBound * C })
                        }
                    }
                }
            }
        }
        return (logits, pooled)
    }

    /// The dense layers as inference runs them, rebuilt when the parameters changed.
    func refreshedHead() -> DenseHead {
        poolLock.lock()
        defer { poolLock.unlock() }
        if let head, headVersion == parametersVersion { return head }
        let p = parameters.tensors, a = architecture
        let h = DenseHead(fc1Weight: p[2].data, fc1Bias: p[3].data, fc2Weight: p[4].data, fc2Bias: p[5].data,
                          inputs: a.channels, hidden: a.hidden, outputs: a.cellTypes)
        head = h
        headVersion = parametersVersion
        return h
    }
}

/// Per-thread buffers for a forward/backward pass over up to `capacity` sequences, reused
/// across steps so training allocates nothing per step.
final class Stage1Workspace {
    let capacity: Int
    let C: Int, Cp: Int, H: Int, N: Int
    let maxima: ScratchBuffer<Float>
    let argmax: ScratchBuffer<Int32>
    let pooled: ScratchBuffer<Float>
    let hiddenPre: ScratchBuffer<Float>
    let hidden: ScratchBuffer<Float>
    let logits: ScratchBuffer<Float>
    let rowOffsets: ScratchBuffer<Int>
    let batchOffsets: ScratchBuffer<UInt16>
    let pairCodes: ScratchBuffer<UInt8>
    // Gradients (accumulated over this thread's rows).
    let gTable: ScratchBuffer<Float>
    let gPairTable: ScratchBuffer<Float>
    let gConvBias: ScratchBuffer<Float>
    let gFc1W: ScratchBuffer<Float>, gFc1b: ScratchBuffer<Float>, gFc2W: ScratchBuffer<Float>, gFc2b: ScratchBuffer<Float>
    let gHidden: ScratchBuffer<Float>, gPooled: ScratchBuffer<Float>

    /// This workspace's own lookup tables, built from the parameters of `convVersion`
    /// (`Stage1Model.parametersVersion`). Why per thread: when the threads shared one table and
    /// each rebuilt its part, every step each thread read the other's part across cores (the
    /// forward kernel ran 20% slower with 2 threads than with 1, measured).
    var conv: OneHotConvolution
    var convVersion = -1

    /// `training` false: forward only (the gradient buffers are left empty). `conv`: a
    /// convolution of the model's shape (its tables are rebuilt before use in training).
    init(architecture a: Stage1Architecture, conv: OneHotConvolution, rows: Int, training: Bool = true) {
        let g = training ? 1 : 0
        self.conv = conv
        capacity = rows
        C = a.channels; Cp = conv.paddedChannels; H = a.hidden; N = a.cellTypes
        maxima = ScratchBuffer(repeating: 0, count: rows * Cp)
        argmax = ScratchBuffer(repeating: 0, count: rows * Cp)
        pooled = ScratchBuffer(repeating: 0, count: rows * C)
        hiddenPre = ScratchBuffer(repeating: 0, count: rows * H)
        hidden = ScratchBuffer(repeating: 0, count: rows * H)
        logits = ScratchBuffer(repeating: 0, count: rows * N)
        rowOffsets = ScratchBuffer(repeating: 0, count: a.sequenceLength)
        batchOffsets = ScratchBuffer(repeating: 0, count: OneHotConvolution.batchScratchCount(length: a.sequenceLength, count: rows))
        pairCodes = ScratchBuffer(repeating: 0, count: g * OneHotConvolution.gradientScratchCount(length: a.sequenceLength, count: rows))
        gTable = ScratchBuffer(repeating: 0, count: g * conv.tableCount)
        gPairTable = ScratchBuffer(repeating: 0, count: g * conv.pairTableCount)
        gConvBias = ScratchBuffer(repeating: 0, count: g * Cp)
        gFc1W = ScratchBuffer(repeating: 0, count: g * H * C); gFc1b = ScratchBuffer(repeating: 0, count: g * H)
        gFc2W = ScratchBuffer(repeating: 0, count: g * N * H); gFc2b = ScratchBuffer(repeating: 0, count: g * N)
        gHidden = ScratchBuffer(repeating: 0, count: g * rows * H)
        gPooled = ScratchBuffer(repeating: 0, count: g * rows * C)
    }

    /// The gradient buffers, in parameter order (the conv weight as its lookup-table form), then
    /// the conv weight's dinucleotide-form gradient.
    var gradientBuffers: [ScratchBuffer<Float>] { [gTable, gConvBias, gFc1W, gFc1b, gFc2W, gFc2b, gPairTable] }

    /// Whether the per-base (table-form) gradient holds anything: only sequences with N or zero
    /// columns write it, so most steps need not clear or reduce its 24 × 6 rows.
    var tableGradientTouched = false

    func zeroGradients() {
        for g in gradientBuffers where g !== gTable || tableGradientTouched { g.fill(0) }
        tableGradientTouched = false
    }

    /// Rebuilds this workspace's tables from the model's parameters if they changed since.
    func refreshConvolution(from model: Stage1Model) {
        model.loadConvolution(into: &conv, builtFrom: &convVersion)
    }

    /// Forward pass over `rows` (indices into the code matrix) with this workspace's tables,
    /// filling pooled, hidden, logits; the convolution's arg-max positions (for `backward`) only
    /// with `needArgmax`.
    func forward(model: Stage1Model, codes: UnsafePointer<UInt8>, length L: Int, rows: ArraySlice<Int>,
                 needArgmax: Bool = true) {
        let b = rows.count
        precondition(b <= capacity)
        let mx = maxima.pointer, am = argmax.pointer, ro = rowOffsets.pointer
        rows.withUnsafeBufferPointer { rws in
            conv.forwardBatch(codes: codes, length: L, rows: rws, maxima: mx, argmax: am,
                              scratch: batchOffsets.pointer, rowOffsets: ro, needArgmax: needArgmax)
        }
        dense(model: model, maxima: mx, count: b)
    }

    /// The layers after the convolution for `b` sequences whose pre-activation maxima are at
    /// `maxima` (`paddedChannels` apart): pooled, hidden and logits of this workspace.
    func dense(model: Stage1Model, maxima mx: UnsafePointer<Float>, count b: Int) {
        precondition(b <= capacity)
        let p = model.parameters.tensors
        let pl = pooled.pointer
        Stage1Workspace.relu(rows: b, channels: C, from: mx, stride: Cp, into: pl)
        p[2].data.withUnsafeBufferPointer { w in
            p[3].data.withUnsafeBufferPointer { bias in
                Dense.forward(pl, rows: b, inputs: C, weight: w.baseAddress!, bias: bias.baseAddress!, outputs: H,
                              into: hiddenPre.pointer)
            }
        }
        let hp = hiddenPre.pointer, h = hidden.pointer
        for i in 0..<(b * H) { h[i] = max(0, hp[i]) }
        p[4].data.withUnsafeBufferPointer { w in
            p[5].data.withUnsafeBufferPointer { bias in
                Dense.forward(h, rows: b, inputs: H, weight: w.baseAddress!, bias: bias.baseAddress!, outputs: N,
                              into: logits.pointer)
            }
        }
    }

    /// `out[r * C + c] = max(0, maxima[r * stride + c])`, as `ReLU.apply` (and so as inference's
    /// `DenseHead` gives the pooled features).
    static func relu(rows: Int, channels C: Int, from maxima: UnsafePointer<Float>, stride: Int,
                     into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { ReLU.apply(maxima + r &* stride, count: C, into: out + r &* C) }
    }

    /// Backward pass for the rows of the last `forward`, given ∂loss/∂logits for them;
    /// accumulates into this workspace's gradient buffers.
    func backward(model: Stage1Model, codes: UnsafePointer<UInt8>, length L: Int, rows: ArraySlice<Int>,
                  gradLogits: UnsafePointer<Float>) {
        let b = rows.count
        let p = model.parameters.tensors
        p[4].data.withUnsafeBufferPointer { w in
            Dense.backward(hidden.pointer, rows: b, inputs: H, weight: w.baseAddress!, outputs: N,
                           gradOutput: gradLogits, gradWeight: gFc2W.pointer, gradBias: gFc2b.pointer,
                           gradInput: gHidden.pointer)
        }
        let hp = hiddenPre.pointer, gh = gHidden.pointer
        // Every element written (a select): a conditional store vectorises to masked stores, which
        // are slow on AMD cores.
        for i in 0..<(b * H) { gh[i] = hp[i] <= 0 ? 0 : gh[i] }
        p[2].data.withUnsafeBufferPointer { w in
            Dense.backward(pooled.pointer, rows: b, inputs: C, weight: w.baseAddress!, outputs: H,
                           gradOutput: gh, gradWeight: gFc1W.pointer, gradBias: gFc1b.pointer,
                           gradInput: gPooled.pointer)
        }
        // ReLU before the pool: no gradient where the pooled value is not positive.
        let pl = pooled.pointer, gp = gPooled.pointer
        for i in 0..<(b * C) { gp[i] = pl[i] <= 0 ? 0 : gp[i] }
        let am = argmax.pointer
        rows.withUnsafeBufferPointer { rws in
            tableGradientTouched = conv.accumulateGradientBatch(
                codes: codes, length: L, rows: rws, argmax: am, gradMax: gp, gradTable: gTable.pointer,
                gradPairTable: gPairTable.pointer, gradBias: gConvBias.pointer, scratch: pairCodes.pointer)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
