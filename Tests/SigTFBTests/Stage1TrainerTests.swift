import Genomics
import NeuralNet
import Storage
import XCTest
@testable import SigTFB

/// `count` random plain sequences of `length`; `edit(i, &codes, &rng)` may change sequence i (N bases).
func randomSequences(_ count: Int, length L: Int, rng: inout SeededRandom,
                     edit: (Int, inout [UInt8], inout SeededRandom) -> Void) -> EncodedSequences {
    var seqs = EncodedSequences(length: L)
    for i in 0..<count {
        var s = (0..<L).map { _ in UInt8(rng.below(4)) }
        edit(i, &s, &rng)
        seqs.append(codes: s)
    }
    return seqs
}

/// `Stage1Trainer.step` runs the whole update on the worker threads (gradient reduction, Adam
/// by slices, the lookup tables rebuilt by channel group). It must give exactly what the serial
/// path gives: the gradients, then `Adam.update` on whole tensors, then a fresh table load.
final class Stage1TrainerTests: XCTestCase {
    func testParallelUpdateEqualsGradientsThenSerialAdam() {
        var rng = SeededRandom(seed: 21)
        // Widths 24 (trinucleotide kernels), 10 (dinucleotide), 7 (per-base); 37 filters = 5 groups.
        for (C, K, threads) in [(37, 24, 1), (37, 24, 2), (37, 24, 3), (100, 24, 2), (13, 10, 2), (9, 7, 3)] {
            let L = 60, N = 3, B = 40
            // Some with N (the per-base table).
            let seqs = randomSequences(B, length: L, rng: &rng) { i, s, rng in if i % 7 == 3 { s[rng.below(L)] = 4 } }
            let targets = (0..<(B * N)).map { _ in UInt8(rng.below(2)) }
            let a = Stage1Architecture(channels: C, cellTypes: N, sequenceLength: L, convWidth: K)
            let parallel = Stage1Model(architecture: a, convStd: 0.2, linearStd: 0.2, seed: 4)
            let serial = Stage1Model(architecture: a, convStd: 0.2, linearStd: 0.2, seed: 4)
            let adam = Adam(learningRate: 0.05, weightDecay: 1e-3)
            let t1 = Stage1Trainer(model: parallel, optimizer: adam, loss: .basset, threads: threads)
            let t2 = Stage1Trainer(model: serial, optimizer: adam, loss: .basset, threads: threads)
            var reference = adam
            for step in 0..<4 {
                let rows = (0..<24).map { _ in rng.below(B) }
                let t = rows.flatMap { r in targets[(r * N)..<(r * N + N)] }
                let l1 = t1.step(seqs, rows: rows, targets: t)
                let l2 = t2.computeGradients(seqs, rows: rows, targets: t, cellTypes: nil)
                XCTAssertTrue(t1.lastGradients == t2.lastGradients, "gradients: C=\(C) K=\(K) threads=\(threads) step \(step)")
                reference.update(&serial.parameters, gradients: t2.lastGradients)  // the table is rebuilt whole
                XCTAssertEqual(l1, l2)
                XCTAssertTrue(parallel.parameters == serial.parameters, "parameters: C=\(C) K=\(K) threads=\(threads) step \(step)")
                XCTAssertTrue(t1.parametersFinite)
                // The tables rebuilt piece by piece give the outputs of a whole rebuild.
                XCTAssertTrue(parallel.logits(seqs, threads: 1) == serial.logits(seqs, threads: 1), "logits: C=\(C) K=\(K) threads=\(threads)")
            }
        }
    }

    /// Sequences with N write the per-base gradient; steps without any skip clearing and
    /// reducing it. A step with N rows on one thread only, then steps without, must still equal
    /// the serial path (the reduced sums must not linger into the next step).
    func testStepsWithAndWithoutNBasesEqualTheSerialPath() {
        var rng = SeededRandom(seed: 23)
        let L = 40, N = 2
        let seqs = randomSequences(20, length: L, rng: &rng) { i, s, _ in if i == 3 { s[7] = 4; s[20] = 5 } }
        let a = Stage1Architecture(channels: 19, cellTypes: N, sequenceLength: L)
        let parallel = Stage1Model(architecture: a, convStd: 0.2, linearStd: 0.2, seed: 8)
        let serial = Stage1Model(architecture: a, convStd: 0.2, linearStd: 0.2, seed: 8)
        let adam = Adam(learningRate: 0.05)
        let t1 = Stage1Trainer(model: parallel, optimizer: adam, loss: .basset, threads: 2)
        var reference = adam
        // Row 3 (with N) in the second half, then the first half, then nowhere, twice.
        let plans: [[Int]] = [[0, 1, 2, 4, 5, 6, 3, 8], [3, 9, 10, 11, 12, 13, 14, 15], [0, 1, 2, 4, 5, 6, 7, 8],
                              [9, 10, 11, 12, 13, 14, 15, 16]]
        for (step, rows) in plans.enumerated() {
            let t = (0..<(rows.count * N)).map { _ in UInt8(rng.below(2)) }
            t1.step(seqs, rows: rows, targets: t)
            // A fresh trainer each step: nothing from an earlier step can linger in its buffers.
            let t2 = Stage1Trainer(model: serial, optimizer: adam, loss: .basset, threads: 2)
            t2.computeGradients(seqs, rows: rows, targets: t, cellTypes: nil)
            XCTAssertTrue(t1.lastGradients == t2.lastGradients, "gradients, step \(step)")
            reference.update(&serial.parameters, gradients: t2.lastGradients)
            XCTAssertTrue(parallel.parameters == serial.parameters, "parameters, step \(step)")
        }
    }

    func testANonFiniteParameterIsReported() {
        let a = Stage1Architecture(channels: 8, cellTypes: 2, sequenceLength: 30)
        let model = Stage1Model(architecture: a, convStd: 0.1, linearStd: 0.1, seed: 1)
        var seqs = EncodedSequences(length: 30)
        for i in 0..<4 { seqs.append(codes: (0..<30).map { UInt8(($0 + i) % 4) }) }
        let trainer = Stage1Trainer(model: model, optimizer: Adam(learningRate: 1e-3), loss: .basset, threads: 2)
        trainer.step(seqs, rows: [0, 1, 2, 3], targets: [0, 1, 1, 0, 0, 0, 1, 1])
        XCTAssertTrue(trainer.parametersFinite)
        model.parameters.tensors[4].data[5] = .infinity  // fc2.weight
        trainer.step(seqs, rows: [0, 1, 2, 3], targets: [0, 1, 1, 0, 0, 0, 1, 1])
        XCTAssertFalse(trainer.parametersFinite)
    }

    func testLabelRowsAreGathered() {
        let labels = LabelMatrix(columns: 3, values: [0, 1, 0, 1, 1, 1, 0, 0, 1])
        XCTAssertEqual(labels.gather(rows: [2, 0, 2]), [0, 0, 1, 0, 1, 0, 0, 0, 1])
        XCTAssertEqual(labels.gather(rows: []), [])
    }
}

/// Inference in chunks that shrink towards the end, on any thread: the same bits for every
/// thread count as each sequence alone (its convolution as a training workspace computes it, its
/// dense layers as `DenseHead.reference`).
final class Stage1InferenceTests: XCTestCase {
    func testOutputsEqualBlockByBlockForEveryThreadCount() {
        var rng = SeededRandom(seed: 31)
        let L = 50, n = 2500  // two rounds (2048 + 452), a short last block
        let seqs = randomSequences(n, length: L, rng: &rng) { i, s, rng in if i % 11 == 5 { s[rng.below(L)] = 4 } }
        let model = Stage1Model(architecture: Stage1Architecture(channels: 21, cellTypes: 3, sequenceLength: L),
                                convStd: 0.3, linearStd: 0.3, seed: 2)
        model.refreshConvolution()
        for indices in [nil, (0..<1500).map { _ in rng.below(n) }] {
            let rows = indices ?? Array(0..<n)
            // Reference: blocks of 100 through one workspace; each sequence's maxima through the
            // head's one-value-at-a-time reference.
            var refLogits: [Float] = [], refPooled: [Float] = []
            let ws = Stage1Workspace(architecture: model.architecture, conv: model.conv, rows: 256, training: false)
            let head = model.refreshedHead(), Cp = model.conv.paddedChannels
            seqs.codes.withUnsafeBufferPointer { codes in
                for b0 in stride(from: 0, to: rows.count, by: 100) {
                    let b1 = min(rows.count, b0 + 100)
                    ws.forward(model: model, codes: codes.baseAddress!, length: L, rows: rows[b0..<b1], needArgmax: false)
                    refPooled += UnsafeBufferPointer(start: ws.pooled.pointer, count: (b1 - b0) * 21)
                    for r in 0..<(b1 - b0) {
                        refLogits += head.reference(Array(UnsafeBufferPointer(start: ws.maxima.pointer + r * Cp, count: 21)))
                    }
                }
            }
            // The head and sgemm's dense layers agree to rounding.
            let viaGemm = ws.logits.array((rows.count - (rows.count - 1) / 100 * 100) * 3)
            for (a, b) in zip(viaGemm, refLogits.suffix(viaGemm.count)) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
            for threads in [1, 2, 3] {
                XCTAssertTrue(model.logits(seqs, indices: indices, threads: threads) == refLogits, "logits, \(threads) threads")
                XCTAssertTrue(model.pooledFeatures(seqs, indices: indices, threads: threads) == refPooled, "pooled, \(threads) threads")
            }
        }
    }
}

/// The convolution shared out between a step's threads: rows taken from another part's back
/// must land in that part's workspace exactly as its own thread would have computed them.
final class ConvolutionShareTests: XCTestCase {
    func testStolenRowsEqualTheOwnersOwnConvolution() {
        var rng = SeededRandom(seed: 41)
        let L = 60, B = 150
        let seqs = randomSequences(200, length: L, rng: &rng) { i, s, rng in if i % 9 == 2 { s[rng.below(L)] = 4 } }
        let rows = (0..<B).map { _ in rng.below(200) }
        let a = Stage1Architecture(channels: 37, cellTypes: 2, sequenceLength: L)
        let model = Stage1Model(architecture: a, convStd: 0.3, linearStd: 0.3, seed: 6)
        let parts = Parallel.chunks(count: B, parts: 3)
        let ws = parts.map { _ in Stage1Workspace(architecture: a, conv: model.conv, rows: 256) }
        for w in ws { w.refreshConvolution(from: model) }
        let share = ConvolutionShare(parts: 3)
        share.reset(parts)
        seqs.codes.withUnsafeBufferPointer { codes in
            // One thread alone: part 2 runs first, does its own rows and takes all of parts 0 and 1
            // from their backs; parts 0 and 1 then find nothing left and return at once.
            for part in [2, 0, 1] {
                share.convolve(part: part, parts: parts, workspaces: ws, codes: codes.baseAddress!, length: L, rows: rows)
            }
            let reference = Stage1Workspace(architecture: a, conv: model.conv, rows: 256)
            reference.refreshConvolution(from: model)
            let Cp = reference.Cp
            for (q, r) in parts.enumerated() {
                reference.forward(model: model, codes: codes.baseAddress!, length: L, rows: rows[r])
                let n = r.count * Cp
                XCTAssertTrue(Array(UnsafeBufferPointer(start: ws[q].maxima.pointer, count: n))
                              == Array(UnsafeBufferPointer(start: reference.maxima.pointer, count: n)), "maxima, part \(q)")
                XCTAssertTrue(Array(UnsafeBufferPointer(start: ws[q].argmax.pointer, count: n))
                              == Array(UnsafeBufferPointer(start: reference.argmax.pointer, count: n)), "arg-max, part \(q)")
            }
        }
    }
}
