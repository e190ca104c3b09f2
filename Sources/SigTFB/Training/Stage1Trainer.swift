import Genomics
import NeuralNet
import Synchronization

/// One optimisation step at a time for a `Stage1Model`: forward on all cores, the loss on the
/// whole batch, backward with per-thread gradient buffers reduced in a fixed order (so the result
/// depends only on the seed and the thread count), then Adam.
public final class Stage1Trainer {
    public let model: Stage1Model
    public var optimizer: Adam
    public let loss: MultiLabelLoss
    /// Parts of each step (the pool's threads, the caller's included).
    public var threads: Int { pool.threads }
    var workspaces: [Stage1Workspace] = []
    var logits: [Float] = []
    var gradLogits: [Float] = []
    var gradients: NamedParameters
    /// The threads of every step's two parallel regions, kept spinning between steps: the
    /// process's pool for this thread count, which inference (validation between epochs) uses too.
    let pool: WorkerPool

    public init(model: Stage1Model, optimizer: Adam, loss: MultiLabelLoss, threads: Int) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.pool = WorkerPool.shared(threads: threads)
        self.gradients = model.parameters.zerosLike()
    }

    /// One step on the sequences at `rows` of `sequences`, with their `targets` (`rows.count ×
    /// cellTypes`, 0/1) and, for the one-loss variant, each row's sampled cell type.
    /// Returns the batch loss before the update.
    @discardableResult
    public func step(_ sequences: EncodedSequences, rows: [Int], targets: [UInt8], cellTypes: [Int32]? = nil) -> Double {
        let lossValue = forwardBackward(sequences, rows: rows, targets: targets, cellTypes: cellTypes)
        finish(update: true)
        return lossValue
    }

    /// Forward + backward without updating: fills `gradients` and returns the loss.
    @discardableResult
    public func computeGradients(_ sequences: EncodedSequences, rows: [Int], targets: [UInt8], cellTypes: [Int32]?) -> Double {
        let lossValue = forwardBackward(sequences, rows: rows, targets: targets, cellTypes: cellTypes)
        finish(update: false)
        return lossValue
    }

    /// Whether every parameter was finite after the last `step` (each thread checks the slice
    /// it updated: a whole-model scan between steps was serial work on every step).
    public private(set) var parametersFinite = true

    /// True when `count` floats from `p` are all finite: x - x is 0 for finite x and NaN for
    /// infinities and NaNs, summed eight lanes at a time.
    static func allFinite(_ p: UnsafePointer<Float>, count: Int) -> Bool {
        let raw = UnsafeRawPointer(p)
        var probe = SIMD8<Float>(repeating: 0)
        var i = 0
        while i &+ 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            probe += v - v
            i &+= 8
        }
        var rest: Float = 0
        while i < count { rest += p[i] - p[i]; i &+= 1 }
        return probe == SIMD8(repeating: 0) && rest == 0
    }

    /// Parts of the last `forwardBackward` (workspaces holding gradients).
    private var filledParts = 0
    private var lossTerms: [Float] = []

    /// The first parallel half of a step. Each thread runs its rows' forward pass, their loss
    /// terms and ∂loss/∂logits (rows are independent), and their backward pass into its own
    /// gradient buffers; only the loss total is summed here, in row order.
    private func forwardBackward(_ sequences: EncodedSequences, rows: [Int], targets: [UInt8], cellTypes: [Int32]?) -> Double {
        let a = model.architecture
        let B = rows.count, N = a.cellTypes
        precondition(targets.count == B * N)
        precondition(loss != .oneLoss || cellTypes?.count == B, "the one-loss variant needs each row's cell type")
        let parts = Parallel.chunks(count: B, parts: threads)
        if workspaces.count < parts.count || (workspaces.first?.capacity ?? 0) < (parts.map(\.count).max() ?? 0) {
            let cap = max(256, parts.map(\.count).max() ?? 0)
            workspaces = parts.map { _ in Stage1Workspace(architecture: a, conv: model.conv, rows: cap) }
        }
        if logits.count < B * N {
            logits = [Float](repeating: 0, count: B * N)
            gradLogits = logits
            lossTerms = logits
        }
        filledParts = parts.count
        let L = sequences.length
        let ws = workspaces, lossKind = loss
        sequences.codes.withUnsafeBufferPointer { codes in
          logits.withUnsafeMutableBufferPointer { lg in
            gradLogits.withUnsafeMutableBufferPointer { gl in
              lossTerms.withUnsafeMutableBufferPointer { lt in
                targets.withUnsafeBufferPointer { t in
                  (cellTypes ?? []).withUnsafeBufferPointer { ct in
                    let lgp = lg.baseAddress!, glp = gl.baseAddress!, ltp = lt.baseAddress!, tp = t.baseAddress!
                    let ctp = cellTypes == nil ? nil : ct.baseAddress
                    let share = convShare(parts: parts)
                    pool.forEachChunk(count: B, parts: threads) { part, range in
                        let w = ws[part], first = range.lowerBound * N
                        w.refreshConvolution(from: model)
                        if parts.count == 1 {
                            w.forward(model: model, codes: codes.baseAddress!, length: L, rows: rows[range])
                        } else {
                            share.convolve(part: part, parts: parts, workspaces: ws, codes: codes.baseAddress!, length: L,
                                           rows: rows)
                            w.dense(model: model, maxima: w.maxima.pointer, count: range.count)
                        }
                        (lgp + first).update(from: w.logits.pointer, count: range.count * N)
                        lossKind.evaluateRows(logits: lgp + first, targets: tp + first, rows: range.count, columns: N,
                                              batchRows: B, cellTypes: ctp.map { $0 + range.lowerBound },
                                              grad: glp + first, terms: ltp + first)
                        w.zeroGradients()
                        w.backward(model: model, codes: codes.baseAddress!, length: L, rows: rows[range],
                                   gradLogits: glp + first)
                    }
                  }
                }
              }
            }
          }
        }
        return lossTerms.withUnsafeBufferPointer { lt in
            (cellTypes ?? []).withUnsafeBufferPointer { ct in
                loss.total(terms: lt.baseAddress!, rows: B, columns: N, cellTypes: cellTypes == nil ? nil : ct.baseAddress)
            }
        }
    }

    private var share: ConvolutionShare?

    /// The shared claim counters for this step's parts, reset.
    private func convShare(parts: [Range<Int>]) -> ConvolutionShare {
        if share == nil || share!.parts < parts.count { share = ConvolutionShare(parts: max(parts.count, threads)) }
        share!.reset(parts)
        return share!
    }

    /// The second parallel half: each thread takes a slice of the parameters — whole pairs of
    /// 8-channel filter groups of the convolution (64-byte lines of the table-form gradient's
    /// rows and of the bias) and an even share of each dense tensor — and
    /// reduces the per-thread gradient buffers there (in part order, so the sums do not depend
    /// on timing), converts the convolution's gradient to PyTorch's layout, and with `update`
    /// applies Adam to the slice and checks it is finite. Each thread rebuilds its own lookup
    /// tables at the start of the next step. Nothing is left serial between steps but the loss
    /// total.
    private func finish(update: Bool) {
        let a = model.architecture
        let C = a.channels, Cp = model.conv.paddedChannels, I = 4, K = a.convWidth
        let groupPairs = (Cp / 8 + 1) / 2
        let slices = Parallel.chunks(count: groupPairs, parts: threads)
        let tableRows = model.conv.tableCount / Cp, pairFloats = model.conv.pairTableCount / Cp
        // Per part: its dense-tensor shares (tensors 2...5), fixed before the threads start.
        let denseShares: [[Range<Int>]] = (0..<slices.count).map { part in
            (2...5).map { j in
                let n = model.parameters.tensors[j].count
                let r = Parallel.chunks(count: n, parts: slices.count)
                return part < r.count ? r[part] : n..<n
            }
        }
        // Gradient buffers as pointers: [part][buffer], part 0's receive the sums.
        let buffers: [[UnsafeMutablePointer<Float>]] = workspaces.prefix(filledParts).map { $0.gradientBuffers.map(\.pointer) }
        let adamStep: Adam.Step? = update ? optimizer.beginStep(counts: model.parameters.tensors.map(\.count)) : nil
        let conv = model.conv  // sizes only: its tables are not read here
        let tableIsZero = !workspaces.prefix(filledParts).contains { $0.tableGradientTouched }
        var finite = [Bool](repeating: true, count: slices.count)
        finite.withUnsafeMutableBufferPointer { finiteParts in
        gradients.withDataPointers { grad in
          optimizer.withMoments { m, v in
            // computeGradients leaves the parameters alone (not even a write access: their
            // version would move and the tables be rebuilt).
            func run(_ params: [UnsafeMutableBufferPointer<Float>]) {
                pool.forEachChunk(count: slices.count, parts: slices.count) { part, _ in
                    /// sum[i] += each later part's buffer k at i, in part order.
                    func reduce(_ k: Int, _ range: Range<Int>) {
                        let d = buffers[0][k]
                        for q in buffers.indices.dropFirst() {
                            let s = buffers[q][k]
                            for i in range { d[i] += s[i] }
                        }
                    }
                    let groups = (slices[part].lowerBound * 2)..<min(Cp / 8, slices[part].upperBound * 2)
                    let lanes = (groups.lowerBound * 8)..<(groups.upperBound * 8)
                    let live = lanes.lowerBound..<min(C, lanes.upperBound)
                    // The convolution: table-form (per-base) and dinucleotide gradients, bias.
                    if !tableIsZero {
                        for row in 0..<tableRows { reduce(0, (row * Cp + lanes.lowerBound)..<(row * Cp + lanes.upperBound)) }
                    }
                    reduce(6, (lanes.lowerBound * pairFloats)..<(lanes.upperBound * pairFloats))
                    reduce(1, lanes)
                    conv.weightGradient(fromTable: buffers[0][0], pairGradient: buffers[0][6],
                                        into: grad[0].baseAddress!, channels: live, tableIsZero: tableIsZero)
                    (grad[1].baseAddress! + live.lowerBound).update(from: buffers[0][1] + live.lowerBound, count: live.count)
                    // The dense layers: an even share of each tensor.
                    let shares = denseShares[part]
                    for j in 2...5 {
                        let r = shares[j - 2]
                        reduce(j, r)
                        (grad[j].baseAddress! + r.lowerBound).update(from: buffers[0][j] + r.lowerBound, count: r.count)
                    }
                    guard let s = adamStep else { return }
                    var allFinite = true
                    func adam(_ j: Int, _ r: Range<Int>) {
                        guard !r.isEmpty else { return }
                        let o = r.lowerBound
                        let p = params[j].baseAddress! + o
                        s.update(count: r.count, params: p, gradients: grad[j].baseAddress! + o,
                                 m: m[j].baseAddress! + o, v: v[j].baseAddress! + o)
                        if !Stage1Trainer.allFinite(p, count: r.count) { allFinite = false }
                    }
                    adam(0, (live.lowerBound * I * K)..<(live.upperBound * I * K))
                    adam(1, live)
                    for j in 2...5 { adam(j, shares[j - 2]) }
                    finiteParts[part] = allFinite
                }
            }
            if update { model.parameters.withDataPointers(run) } else { run([]) }
          }
        }
        }
        // The sums were reduced into the first part's table-form gradient: it must be cleared.
        if !tableIsZero { workspaces[0].tableGradientTouched = true }
        if update { parametersFinite = !finite.contains(false) }
    }

    /// The gradients of the last `computeGradients`/`step`, PyTorch names and layout.
    public var lastGradients: NamedParameters { gradients }
}

/// The convolution of a step's rows, shared out between the threads. Each part's rows are its
/// thread's, taken from the front in chunks; a thread that has finished its own takes small
/// chunks from the back of the others', writing the maxima and arg-max into the owner's
/// workspace. A thread then waits until every row of its own part is done and goes on with its
/// fixed part alone (dense layers, loss, backward: their sums depend on which rows are
/// together, so the parts stay fixed). The convolution of a row is exact however the rows are
/// cut and whichever thread's tables (all built from the same parameters) compute it, so the
/// results are the same bits. Why: a core slowed by another tenant held the other at every step.
final class ConvolutionShare: @unchecked Sendable {
    let parts: Int
    /// Per part: the front (claimed by its owner) in the high 32 bits, the back (claimed by the
    /// others) in the low 32 bits, in rows of the part.
    let claims: UnsafeMutablePointer<Atomic<UInt64>>
    /// Per part: rows whose convolution is written.
    let done: UnsafeMutablePointer<Atomic<Int>>

    init(parts: Int) {
        self.parts = parts
        claims = .allocate(capacity: parts)
        done = .allocate(capacity: parts)
        for q in 0..<parts {
            (claims + q).initialize(to: Atomic(0))
            (done + q).initialize(to: Atomic(0))
        }
    }

    deinit {
        claims.deinitialize(count: parts); claims.deallocate()
        done.deinitialize(count: parts); done.deallocate()
    }

    func reset(_ ranges: [Range<Int>]) {
        for (q, r) in ranges.enumerated() {
            claims[q].store(UInt64(r.count), ordering: .relaxed)
            done[q].store(0, ordering: .relaxed)
        }
    }

    /// Claims up to `size` rows of part `q` from its front (`owner`) or back; nil when none are left.
    private func claim(_ q: Int, size: (Int) -> Int, owner: Bool) -> Range<Int>? {
        var cur = claims[q].load(ordering: .relaxed)
        while true {
            let front = Int(cur >> 32), back = Int(cur & 0xFFFF_FFFF)
            if front >= back { return nil }
            let n = min(back - front, size(back - front))
            let range = owner ? front..<(front + n) : (back - n)..<back
            let next = UInt64(owner ? front + n : front) << 32 | UInt64(owner ? back : back - n)
            let (ok, seen) = claims[q].compareExchange(expected: cur, desired: next, ordering: .relaxed)
            if ok { return range }
            cur = seen
        }
    }

    /// Thread `part`'s share of the step's convolution; returns when all of its own part is done.
    func convolve(part: Int, parts ranges: [Range<Int>], workspaces ws: [Stage1Workspace],
                  codes: UnsafePointer<UInt8>, length L: Int, rows: [Int]) {
        let me = ws[part], Cp = me.Cp
        func run(_ q: Int, _ local: Range<Int>) {
            let q0 = ranges[q].lowerBound, owner = ws[q]
            rows[(q0 + local.lowerBound)..<(q0 + local.upperBound)].withUnsafeBufferPointer { rws in
                me.conv.forwardBatch(codes: codes, length: L, rows: rws, maxima: owner.maxima.pointer + local.lowerBound * Cp,
                                     argmax: owner.argmax.pointer + local.lowerBound * Cp, scratch: me.batchOffsets.pointer,
                                     rowOffsets: me.rowOffsets.pointer, needArgmax: true)
            }
            // Release: the owner, acquiring the count, sees these rows' maxima and arg-max.
            done[q].add(local.count, ordering: .releasing)
        }
        // Own rows in large chunks (each chunk rereads the tables), others' in small ones.
        while let r = claim(part, size: { max(16, min(64, $0 / 2)) }, owner: true) { run(part, r) }
        for k in 1..<ranges.count {
            let q = (part + k) % ranges.count
            while let r = claim(q, size: { min($0, 16) }, owner: false) { run(q, r) }
        }
        // The rows others took are at most one small chunk each: a short wait.
        SpinWait.until(yieldAfter: 64) { done[part].load(ordering: .acquiring) >= ranges[part].count }
    }
}
