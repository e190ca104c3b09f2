import XCTest
@testable import NeuralNet

/// The lookup kernels against a direct dense convolution over one-hot floats.
final class OneHotConvolutionTests: XCTestCase {
    /// Dense reference: x[i][p] one-hot (0.25s for code 4, zeros for code 5), w [C,4,1,K].
    func reference(codes: [UInt8], weight: [Float], bias: [Float], C: Int, K: Int) -> (max: [Float], arg: [Int32]) {
        let L = codes.count, P = L - K + 1
        var mx = [Float](repeating: -.infinity, count: C), am = [Int32](repeating: 0, count: C)
        for c in 0..<C {
            for p in 0..<P {
                var s = Double(bias[c])
                for k in 0..<K {
                    for i in 0..<4 {
                        let x: Double = codes[p + k] == 4 ? 0.25 : codes[p + k] == 5 ? 0 : (Int(codes[p + k]) == i ? 1 : 0)
                        s += x * Double(weight[(c * 4 + i) * K + k])
                    }
                }
                if Float(s) > mx[c] { mx[c] = Float(s); am[c] = Int32(p) }
            }
        }
        return (mx, am)
    }

    func testLookupKernelsMatchDenseConvolution() {
        var rng = SeededRandom(seed: 42)
        for (C, L, K, withN) in [(1, 30, 24, false), (8, 101, 24, false), (13, 57, 24, true), (32, 101, 24, false),
                                 (45, 101, 24, true), (100, 101, 24, false), (100, 101, 24, true), (20, 40, 7, false),
                                 (24, 33, 24, false), (40, 45, 21, false), (17, 64, 12, false)] {
            let weight = (0..<(C * 4 * K)).map { _ in Float(rng.normal() * 0.3) }
            let bias = (0..<C).map { _ in Float(rng.normal() * 0.1) }
            var conv = OneHotConvolution(channels: C, width: K)
            conv.load(weight: weight, bias: bias)
            for trial in 0..<5 {
                var codes = (0..<L).map { _ in UInt8(rng.below(4)) }
                if withN { codes[rng.below(L)] = 4; codes[rng.below(L)] = 5 }
                if trial == 4 { for i in 0..<L { codes[i] = 2 } }  // all ties: the first position must win
                var mx = [Float](repeating: 0, count: conv.paddedChannels)
                var am = [Int32](repeating: 0, count: conv.paddedChannels)
                var offsets = [Int](repeating: 0, count: L)
                codes.withUnsafeBufferPointer { cp in
                    conv.forward(codes: cp.baseAddress!, length: L, maxima: &mx, argmax: &am, rowOffsets: &offsets)
                }
                let (rm, ra) = reference(codes: codes, weight: weight, bias: bias, C: C, K: K)
                for c in 0..<C {
                    XCTAssertEqual(mx[c], rm[c], accuracy: 1e-4 * max(1, abs(rm[c])), "C=\(C) L=\(L) channel \(c)")
                    // Arg-max may differ only where two positions are equal within rounding.
                    if am[c] != ra[c] {
                        XCTAssertLessThan(abs(rm[c] - mx[c]), 1e-4, "C=\(C) channel \(c): arg-max \(am[c]) vs \(ra[c])")
                    }
                }
                if trial == 4 { XCTAssertTrue(am.prefix(C).allSatisfy { $0 == 0 }, "ties go to the first position") }
            }
        }
    }

    func testWeightGradientFoldsTheNRow() {
        var conv = OneHotConvolution(channels: 2, width: 3)
        conv.load(weight: [Float](repeating: 0, count: 24), bias: [0, 0])
        var gTable = [Float](repeating: 0, count: conv.tableCount)
        var gBias = [Float](repeating: 0, count: conv.paddedChannels)
        let codes: [UInt8] = [0, 4, 5, 3]
        let argmax: [Int32] = [0, 1]
        let g: [Float] = [2, 0]
        conv.accumulateGradient(codes: codes, argmax: argmax, gradMax: g, gradTable: &gTable, gradBias: &gBias)
        var out = [Float](repeating: 0, count: 24)
        conv.weightGradient(fromTable: gTable, into: &out)
        // Channel 0 saw A at offset 0, N at offset 1 (0.25 to each base), a zero column at offset 2.
        XCTAssertEqual(out[(0 * 4 + 0) * 3 + 0], 2)
        for i in 0..<4 { XCTAssertEqual(out[(0 * 4 + i) * 3 + 1], 0.5) }
        for i in 0..<4 { XCTAssertEqual(out[(0 * 4 + i) * 3 + 2], 0) }
        XCTAssertEqual(gBias[0], 2)
        XCTAssertTrue(out[12...].allSatisfy { $0 == 0 }, "no gradient for an inactive channel")
    }

    func testDinucleotideGradientFoldsToThePerBaseGradient() {
        var rng = SeededRandom(seed: 8)
        let C = 13, K = 24, L = 60
        var conv = OneHotConvolution(channels: C, width: K)
        conv.load(weight: (0..<(C * 4 * K)).map { _ in Float(rng.normal()) }, bias: [Float](repeating: 0, count: C))
        let codes = (0..<L).map { _ in UInt8(rng.below(4)) }
        let argmax = (0..<conv.paddedChannels).map { _ in Int32(rng.below(L - K + 1)) }
        let g = (0..<conv.paddedChannels).map { _ in Float(rng.normal()) }
        var mono = [Float](repeating: 0, count: conv.tableCount), pairFolded = mono
        var pair = [Float](repeating: 0, count: conv.pairTableCount)
        var b1 = [Float](repeating: 0, count: conv.paddedChannels), b2 = b1
        conv.accumulateGradient(codes: codes, argmax: argmax, gradMax: g, gradTable: &mono, gradBias: &b1)
        conv.accumulateGradient(codes: codes, argmax: argmax, gradMax: g, gradTable: &pairFolded, gradPairTable: &pair,
                                gradBias: &b2, length: L)
        XCTAssertTrue(pairFolded.allSatisfy { $0 == 0 }, "plain sequences go to the pair table")
        conv.foldPairGradient(pair, into: &pairFolded)
        for i in mono.indices { XCTAssertEqual(mono[i], pairFolded[i], accuracy: 1e-5) }
        XCTAssertEqual(b1, b2)
    }

    /// The fused fold (pair gradient + per-base table → PyTorch layout) gives exactly what folding
    /// into the table and then converting gives, including the N row's quarter share.
    func testFusedPairFoldEqualsFoldThenConvert() {
        var rng = SeededRandom(seed: 9)
        let C = 13, K = 24, L = 60
        var conv = OneHotConvolution(channels: C, width: K)
        conv.load(weight: (0..<(C * 4 * K)).map { _ in Float(rng.normal()) }, bias: [Float](repeating: 0, count: C))
        var table = [Float](repeating: 0, count: conv.tableCount)
        var pair = [Float](repeating: 0, count: conv.pairTableCount)
        var bias = [Float](repeating: 0, count: conv.paddedChannels)
        for s in 0..<6 {
            // Even sequences plain (pair form), odd ones with N and zero columns (per-base form).
            var codes = [UInt8](repeating: 0, count: L)
            for q in 0..<L {
                let special = s % 2 == 1 && q % 7 == 3
                codes[q] = special ? UInt8(4 + q % 2) : UInt8(rng.below(4))
            }
            let argmax = (0..<conv.paddedChannels).map { _ in Int32(rng.below(L - K + 1)) }
            let g = (0..<conv.paddedChannels).map { _ in Float(rng.normal()) }
            conv.accumulateGradient(codes: codes, argmax: argmax, gradMax: g, gradTable: &table, gradPairTable: &pair,
                                    gradBias: &bias, length: L)
        }
        XCTAssertTrue(table.contains { $0 != 0 } && pair.contains { $0 != 0 })
        var folded = table
        conv.foldPairGradient(pair, into: &folded)
        var expected = [Float](repeating: 0, count: C * 4 * K), fused = expected
        conv.weightGradient(fromTable: folded, into: &expected)
        conv.weightGradient(fromTable: table, pairGradient: pair, into: &fused)
        XCTAssertEqual(fused, expected)
    }

    /// The batch drivers (trinucleotide kernel group by group, channel-major gradient scatter)
    /// against one sequence at a time: identical maxima and arg-max (same kernel per sequence),
    /// max-only inference equal to the arg-max pass, the same gradients. Mixed batches (N and
    /// zero columns), P below, at and off a multiple of 8, widths divisible by 3 or not.
    func testBatchDriversMatchOneSequenceAtATime() {
        var rng = SeededRandom(seed: 21)
        for (C, L, K) in [(100, 101, 24), (13, 31, 24), (8, 30, 24), (20, 40, 7), (9, 50, 12), (17, 60, 9)] {
            var conv = OneHotConvolution(channels: C, width: K)
            conv.load(weight: (0..<(C * 4 * K)).map { _ in Float(rng.normal() * 0.3) },
                      bias: (0..<C).map { _ in Float(rng.normal() * 0.1) })
            let count = 37, Cp = conv.paddedChannels
            var codes = (0..<(count * L)).map { _ in UInt8(rng.below(4)) }
            for _ in 0..<6 { codes[rng.below(codes.count)] = UInt8(4 + rng.below(2)) }
            for i in 0..<L { codes[5 * L + i] = 1 }  // all ties: the first position must win
            let rows = (0..<count).map { _ in rng.below(count) }
            var mx1 = [Float](repeating: 0, count: count * Cp), am1 = [Int32](repeating: 0, count: count * Cp)
            var mx2 = mx1, am2 = am1, mx3 = mx1, am3 = am1
            var offsets = [Int](repeating: 0, count: L)
            var scratch = [UInt16](repeating: 0, count: OneHotConvolution.batchScratchCount(length: L, count: count))
            codes.withUnsafeBufferPointer { cp in
                for (r, seq) in rows.enumerated() {
                    mx1.withUnsafeMutableBufferPointer { m in am1.withUnsafeMutableBufferPointer { a in
                        conv.forward(codes: cp.baseAddress! + seq * L, length: L, maxima: m.baseAddress! + r * Cp,
                                     argmax: a.baseAddress! + r * Cp, rowOffsets: &offsets)
                    } }
                }
                rows.withUnsafeBufferPointer { rws in
                    conv.forwardBatch(codes: cp.baseAddress!, length: L, rows: rws, maxima: &mx2, argmax: &am2,
                                      scratch: &scratch, rowOffsets: &offsets)
                    conv.forwardBatch(codes: cp.baseAddress!, length: L, rows: rws, maxima: &mx3, argmax: &am3,
                                      scratch: &scratch, rowOffsets: &offsets, needArgmax: false)
                }
            }
            for r in 0..<count {
                for c in 0..<C {
                    XCTAssertEqual(mx1[r * Cp + c], mx2[r * Cp + c], "C=\(C) L=\(L) K=\(K) row \(r) channel \(c)")
                    XCTAssertEqual(am1[r * Cp + c], am2[r * Cp + c], "C=\(C) L=\(L) K=\(K) row \(r) channel \(c)")
                    XCTAssertEqual(mx1[r * Cp + c], mx3[r * Cp + c], "max-only, C=\(C) L=\(L) K=\(K)")
                }
            }
            let tieRow = rows.firstIndex(of: 5)
            if let tieRow { XCTAssertTrue(am2[(tieRow * Cp)..<(tieRow * Cp + C)].allSatisfy { $0 == 0 }) }

            let gradMax = (0..<(count * C)).map { _ in rng.below(4) == 0 ? 0 : Float(rng.normal()) }
            var t1 = [Float](repeating: 0, count: conv.tableCount), t2 = t1
            var p1 = [Float](repeating: 0, count: conv.pairTableCount), p2 = p1
            var b1 = [Float](repeating: 0, count: Cp), b2 = b1
            var bytes = [UInt8](repeating: 0, count: OneHotConvolution.gradientScratchCount(length: L, count: count))
            codes.withUnsafeBufferPointer { cp in
                for (r, seq) in rows.enumerated() {
                    am1.withUnsafeBufferPointer { a in gradMax.withUnsafeBufferPointer { g in
                        conv.accumulateGradient(codes: cp.baseAddress! + seq * L, argmax: a.baseAddress! + r * Cp,
                                                gradMax: g.baseAddress! + r * C, gradTable: &t1, gradPairTable: &p1,
                                                gradBias: &b1, length: L)
                    } }
                }
                let touched = rows.withUnsafeBufferPointer { rws in
                    conv.accumulateGradientBatch(codes: cp.baseAddress!, length: L, rows: rws, argmax: am1, gradMax: gradMax,
                                                 gradTable: &t2, gradPairTable: &p2, gradBias: &b2, scratch: &bytes)
                }
                // The per-base gradient is written exactly when a row has N or zero columns (or
                // there is no dinucleotide form).
                let nonPlain = rows.contains { r in codes[(r * L)..<(r * L + L)].contains { $0 >= 4 } }
                XCTAssertEqual(touched, nonPlain || conv.pairTableCount == 0, "C=\(C) K=\(K)")
            }
            XCTAssertEqual(t1, t2, "per-base gradient, C=\(C) K=\(K)")
            XCTAssertEqual(p1, p2, "dinucleotide gradient, C=\(C) K=\(K)")
            XCTAssertEqual(b1, b2, "bias gradient, C=\(C) K=\(K)")
        }
    }

    /// Batches above 65,536 rows (the kernel's UInt16 row tags) are cut into pieces.
    func testVeryLargeBatch() {
        var rng = SeededRandom(seed: 5)
        let C = 8, K = 24, L = 31, count = 70_000
        var conv = OneHotConvolution(channels: C, width: K)
        conv.load(weight: (0..<(C * 4 * K)).map { _ in Float(rng.normal()) }, bias: [Float](repeating: 0, count: C))
        let seqs = 100
        let codes = (0..<(seqs * L)).map { _ in UInt8(rng.below(4)) }
        let rows = (0..<count).map { $0 % seqs }
        let Cp = conv.paddedChannels
        var mx = [Float](repeating: 0, count: count * Cp), am = [Int32](repeating: 0, count: count * Cp)
        var scratch = [UInt16](repeating: 0, count: OneHotConvolution.batchScratchCount(length: L, count: 65536))
        var offsets = [Int](repeating: 0, count: L)
        codes.withUnsafeBufferPointer { cp in
            rows.withUnsafeBufferPointer { rws in
                conv.forwardBatch(codes: cp.baseAddress!, length: L, rows: rws, maxima: &mx, argmax: &am,
                                  scratch: &scratch, rowOffsets: &offsets)
            }
        }
        for r in [0, 65535, 65536, 69999] {
            for c in 0..<C {
                XCTAssertEqual(mx[r * Cp + c], mx[(r % seqs) * Cp + c], "row \(r)")
                XCTAssertEqual(am[r * Cp + c], am[(r % seqs) * Cp + c], "row \(r)")
            }
        }
    }

    func testAdamAndSGDFollowTorchFormulas() {
        // One parameter, gradient 0.5, lr 0.1, wd 0.01: torch's first Adam step moves by lr·sign.
        var p = NamedParameters([("w", Tensor(shape: [1], data: [1]))])
        let g = NamedParameters([("w", Tensor(shape: [1], data: [0.5]))])
        var adam = Adam(learningRate: 0.1, weightDecay: 0.01)
        adam.update(&p, gradients: g)
        XCTAssertEqual(p.tensors[0].data[0], 0.9, accuracy: 1e-6)
        // SGD Nesterov: first buffer = d; step = d + m·d.
        var q = NamedParameters([("w", Tensor(shape: [1], data: [1]))])
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0, nesterov: true)
        sgd.update(&q, gradients: g)
        XCTAssertEqual(q.tensors[0].data[0], 1 - 0.1 * (0.5 + 0.9 * 0.5), accuracy: 1e-6)
        sgd.update(&q, gradients: g)
        let buf: Float = 0.9 * 0.5 + 0.5
        XCTAssertEqual(q.tensors[0].data[0], 1 - 0.1 * 0.95 - 0.1 * (0.5 + 0.9 * buf), accuracy: 1e-6)
    }

    func testSeededRandomIsReproducible() {
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9), c = SeededRandom(seed: 10)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
        var r = SeededRandom(seed: 1)
        let normals = (0..<20000).map { _ in r.normal() }
        let mean = normals.reduce(0, +) / 20000
        let sd = (normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(sd, 1, accuracy: 0.03)
    }
}
