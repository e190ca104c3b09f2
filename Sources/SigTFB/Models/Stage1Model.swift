import Genomics
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
        didSet { convStale = true }
    }
    var conv: OneHotConvolution
    var convStale = true

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
        if convStale {
            conv.load(weight: parameters.tensors[0].data, bias: parameters.tensors[1].data)
            convStale = false
        }
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

    func forwardAll(_ sequences: EncodedSequences, indices: [Int]?, threads: Int, wantPooled: Bool) -> (logits: [Float], pooled: [Float]) {
        precondition(sequences.length == architecture.sequenceLength,
                     "sequences have length \(sequences.length), the model expects \(architecture.sequenceLength)")
        refreshConvolution()
        let rows = indices ?? Array(0..<sequences.count)
        let n = rows.count
        let N = architecture.cellTypes, C = architecture.channels
        var logits = [Float](repeating: 0, count: n * N)
        var pooled = [Float](repeating: 0, count: wantPooled ? n * C : 0)
        let workspaces = (0..<max(1, threads)).map { _ in Stage1Workspace(architecture: architecture, conv: conv, rows: 256) }
        sequences.codes.withUnsafeBufferPointer { codes in
            logits.withUnsafeMutableBufferPointer { lg in
                pooled.withUnsafeMutableBufferPointer { pl in
                    let lgp = lg.baseAddress!, plp = wantPooled ? pl.baseAddress : nil
                    Parallel.forEachChunk(count: n, parts: threads) { part, range in
                        let ws = workspaces[part]
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let end = min(range.upperBound, start + ws.capacity)
                            ws.forward(model: self, codes: codes.baseAddress!, length: sequences.length, rows: rows[start..<end])
                            for r in 0..<(end - start) {
                                for c in 0..<N { lgp[(start + r) * N + c] = ws.logits[r * N + c] }
                                if let plp {
                                    for c in 0..<C { plp[(start + r) * C + c] = ws.pooled[r * C + c] }
                                }
                            }
                            start = end
                        }
                    }
                }
            }
        }
        return (logits, pooled)
    }
}

/// Per-thread buffers for a forward/backward pass over up to `capacity` sequences, reused
/// across steps so training allocates nothing per step.
final class Stage1Workspace {
    let capacity: Int
    let C: Int, Cp: Int, H: Int, N: Int
    var maxima: [Float]
    var argmax: [Int32]
    var pooled: [Float]
    var hiddenPre: [Float]
    var hidden: [Float]
    var logits: [Float]
    var rowOffsets: [Int]
    // Gradients (accumulated over this thread's rows).
    var gTable: [Float]
    var gConvBias: [Float]
    var gFc1W: [Float], gFc1b: [Float], gFc2W: [Float], gFc2b: [Float]
    var gHidden: [Float], gPooled: [Float]

    init(architecture a: Stage1Architecture, conv: OneHotConvolution, rows: Int) {
        capacity = rows
        C = a.channels; Cp = conv.paddedChannels; H = a.hidden; N = a.cellTypes
        maxima = [Float](repeating: 0, count: rows * Cp)
        argmax = [Int32](repeating: 0, count: rows * Cp)
        pooled = [Float](repeating: 0, count: rows * C)
        hiddenPre = [Float](repeating: 0, count: rows * H)
        hidden = hiddenPre
        logits = [Float](repeating: 0, count: rows * N)
        rowOffsets = [Int](repeating: 0, count: a.sequenceLength)
        gTable = [Float](repeating: 0, count: conv.tableCount)
        gConvBias = [Float](repeating: 0, count: Cp)
        gFc1W = [Float](repeating: 0, count: H * C); gFc1b = [Float](repeating: 0, count: H)
        gFc2W = [Float](repeating: 0, count: N * H); gFc2b = [Float](repeating: 0, count: N)
        gHidden = [Float](repeating: 0, count: rows * H)
        gPooled = [Float](repeating: 0, count: rows * C)
    }

    func zeroGradients() {
        for i in gTable.indices { gTable[i] = 0 }
        for i in gConvBias.indices { gConvBias[i] = 0 }
        for i in gFc1W.indices { gFc1W[i] = 0 }
        for i in gFc1b.indices { gFc1b[i] = 0 }
        for i in gFc2W.indices { gFc2W[i] = 0 }
        for i in gFc2b.indices { gFc2b[i] = 0 }
    }

    /// Forward pass over `rows` (indices into the code matrix), filling pooled, hidden, logits.
    func forward(model: Stage1Model, codes: UnsafePointer<UInt8>, length L: Int, rows: ArraySlice<Int>) {
        let b = rows.count
        precondition(b <= capacity)
        let p = model.parameters.tensors
        maxima.withUnsafeMutableBufferPointer { mx in
            argmax.withUnsafeMutableBufferPointer { am in
                rowOffsets.withUnsafeMutableBufferPointer { ro in
                    for (r, seq) in rows.enumerated() {
                        model.conv.forward(codes: codes + seq * L, length: L, maxima: mx.baseAddress! + r * Cp,
                                           argmax: am.baseAddress! + r * Cp, rowOffsets: ro.baseAddress!)
                    }
                }
            }
        }
        for r in 0..<b { for c in 0..<C { pooled[r * C + c] = max(0, maxima[r * Cp + c]) } }
        pooled.withUnsafeBufferPointer { x in
            p[2].data.withUnsafeBufferPointer { w in
                p[3].data.withUnsafeBufferPointer { bias in
                    hiddenPre.withUnsafeMutableBufferPointer { y in
                        Dense.forward(x.baseAddress!, rows: b, inputs: C, weight: w.baseAddress!, bias: bias.baseAddress!,
                                      outputs: H, into: y.baseAddress!)
                    }
                }
            }
        }
        for i in 0..<(b * H) { hidden[i] = max(0, hiddenPre[i]) }
        hidden.withUnsafeBufferPointer { x in
            p[4].data.withUnsafeBufferPointer { w in
                p[5].data.withUnsafeBufferPointer { bias in
                    logits.withUnsafeMutableBufferPointer { y in
                        Dense.forward(x.baseAddress!, rows: b, inputs: H, weight: w.baseAddress!, bias: bias.baseAddress!,
                                      outputs: N, into: y.baseAddress!)
                    }
                }
            }
        }
    }

    /// Backward pass for the rows of the last `forward`, given ∂loss/∂logits for them;
    /// accumulates into this workspace's gradient buffers.
    func backward(model: Stage1Model, codes: UnsafePointer<UInt8>, length L: Int, rows: ArraySlice<Int>,
                  gradLogits: UnsafePointer<Float>) {
        let b = rows.count
        let p = model.parameters.tensors
        hidden.withUnsafeBufferPointer { x in
            p[4].data.withUnsafeBufferPointer { w in
                gFc2W.withUnsafeMutableBufferPointer { gw in
                    gFc2b.withUnsafeMutableBufferPointer { gb in
                        gHidden.withUnsafeMutableBufferPointer { gx in
                            Dense.backward(x.baseAddress!, rows: b, inputs: H, weight: w.baseAddress!, outputs: N,
                                           gradOutput: gradLogits, gradWeight: gw.baseAddress!, gradBias: gb.baseAddress!,
                                           gradInput: gx.baseAddress!)
                        }
                    }
                }
            }
        }
        for i in 0..<(b * H) where hiddenPre[i] <= 0 { gHidden[i] = 0 }
        pooled.withUnsafeBufferPointer { x in
            p[2].data.withUnsafeBufferPointer { w in
                gFc1W.withUnsafeMutableBufferPointer { gw in
                    gFc1b.withUnsafeMutableBufferPointer { gb in
                        gPooled.withUnsafeMutableBufferPointer { gx in
                            gHidden.withUnsafeBufferPointer { gy in
                                Dense.backward(x.baseAddress!, rows: b, inputs: C, weight: w.baseAddress!, outputs: H,
                                               gradOutput: gy.baseAddress!, gradWeight: gw.baseAddress!, gradBias: gb.baseAddress!,
                                               gradInput: gx.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        // ReLU before the pool: no gradient where the pooled value is not positive.
        for i in 0..<(b * C) where pooled[i] <= 0 { gPooled[i] = 0 }
        argmax.withUnsafeBufferPointer { am in
            gPooled.withUnsafeBufferPointer { gp in
                gTable.withUnsafeMutableBufferPointer { gt in
                    gConvBias.withUnsafeMutableBufferPointer { gb in
                        for (r, seq) in rows.enumerated() {
                            model.conv.accumulateGradient(codes: codes + seq * L, argmax: am.baseAddress! + r * Cp,
                                                          gradMax: gp.baseAddress! + r * C,
                                                          gradTable: gt.baseAddress!, gradBias: gb.baseAddress!)
                        }
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
