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
                                 (45, 101, 24, true), (100, 101, 24, false), (100, 101, 24, true), (20, 40, 7, false)] {
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
