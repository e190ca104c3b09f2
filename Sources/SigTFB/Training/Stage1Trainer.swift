import Genomics
import NeuralNet

/// One optimisation step at a time for a `Stage1Model`: forward on all cores, the loss on the
/// whole batch, backward with per-thread gradient buffers reduced in a fixed order (so the result
/// depends only on the seed and the thread count), then Adam.
public final class Stage1Trainer {
    public let model: Stage1Model
    public var optimizer: Adam
    public let loss: MultiLabelLoss
    public let threads: Int
    var workspaces: [Stage1Workspace] = []
    var logits: [Float] = []
    var gradLogits: [Float] = []
    var gradients: NamedParameters

    public init(model: Stage1Model, optimizer: Adam, loss: MultiLabelLoss, threads: Int) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.threads = max(1, threads)
        self.gradients = model.parameters.zerosLike()
    }

    /// One step on the sequences at `rows` of `sequences`, with their `targets` (`rows.count ×
    /// cellTypes`, 0/1) and, for the one-loss variant, each row's sampled cell type.
    /// Returns the batch loss before the update.
    @discardableResult
    public func step(_ sequences: EncodedSequences, rows: [Int], targets: [UInt8], cellTypes: [Int32]? = nil) -> Double {
        let lossValue = computeGradients(sequences, rows: rows, targets: targets, cellTypes: cellTypes)
        optimizer.update(&model.parameters, gradients: gradients)
        return lossValue
    }

    /// Forward + backward without updating: fills `gradients` and returns the loss.
    @discardableResult
    public func computeGradients(_ sequences: EncodedSequences, rows: [Int], targets: [UInt8], cellTypes: [Int32]?) -> Double {
        let a = model.architecture
        let B = rows.count, N = a.cellTypes, C = a.channels
        precondition(targets.count == B * N)
        precondition(loss != .oneLoss || cellTypes?.count == B, "the one-loss variant needs each row's cell type")
        model.refreshConvolution()
        let parts = Parallel.chunks(count: B, parts: threads)
        if workspaces.count < parts.count || (workspaces.first?.capacity ?? 0) < (parts.map(\.count).max() ?? 0) {
            let cap = max(256, parts.map(\.count).max() ?? 0)
            workspaces = parts.map { _ in Stage1Workspace(architecture: a, conv: model.conv, rows: cap) }
        }
        if logits.count < B * N {
            logits = [Float](repeating: 0, count: B * N)
            gradLogits = logits
        }
        let L = sequences.length
        let ws = workspaces
        sequences.codes.withUnsafeBufferPointer { codes in
            logits.withUnsafeMutableBufferPointer { lg in
                let lgp = lg.baseAddress!
                Parallel.forEachChunk(count: B, parts: threads) { part, range in
                    let w = ws[part]
                    w.forward(model: model, codes: codes.baseAddress!, length: L, rows: rows[range])
                    (lgp + range.lowerBound * N).update(from: w.logits.pointer, count: range.count * N)
                }
            }
        }
        let lossValue: Double = logits.withUnsafeBufferPointer { lg in
            targets.withUnsafeBufferPointer { t in
                gradLogits.withUnsafeMutableBufferPointer { g in
                    if let cellTypes {
                        return cellTypes.withUnsafeBufferPointer { ct in
                            loss.evaluate(logits: lg.baseAddress!, targets: t.baseAddress!, rows: B, columns: N,
                                          cellTypes: ct.baseAddress!, grad: g.baseAddress!)
                        }
                    }
                    return loss.evaluate(logits: lg.baseAddress!, targets: t.baseAddress!, rows: B, columns: N,
                                         cellTypes: nil, grad: g.baseAddress!)
                }
            }
        }
        sequences.codes.withUnsafeBufferPointer { codes in
            gradLogits.withUnsafeBufferPointer { g in
                let gp = g.baseAddress!
                Parallel.forEachChunk(count: B, parts: threads) { part, range in
                    let w = ws[part]
                    w.zeroGradients()
                    w.backward(model: model, codes: codes.baseAddress!, length: L, rows: rows[range],
                               gradLogits: gp + range.lowerBound * N)
                }
            }
        }
        // Reduce per-thread buffers in part order (deterministic) into the first workspace's.
        let sums = ws[0].gradientBuffers
        for k in 1..<max(1, parts.count) {
            for (dst, src) in zip(sums, ws[k].gradientBuffers) {
                let d = dst.pointer, s = src.pointer
                for i in 0..<dst.count { d[i] += s[i] }
            }
        }
        gradients.tensors[0].data.withUnsafeMutableBufferPointer { out in
            model.conv.weightGradient(fromTable: sums[0].pointer, pairGradient: sums[6].pointer, into: out.baseAddress!)
        }
        gradients.tensors[1].data = sums[1].array(C)
        gradients.tensors[2].data = sums[2].array()
        gradients.tensors[3].data = sums[3].array()
        gradients.tensors[4].data = sums[4].array()
        gradients.tensors[5].data = sums[5].array()
        return lossValue
    }

    /// The gradients of the last `computeGradients`/`step`, PyTorch names and layout.
    public var lastGradients: NamedParameters { gradients }
}
