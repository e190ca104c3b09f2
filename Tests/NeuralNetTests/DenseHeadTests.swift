import XCTest
@testable import NeuralNet

/// The inference head: each row's outputs are the one-value-at-a-time reference's bits, whatever
/// the row count, stride or neighbours, and agree with `Dense.forward` (sgemm) to rounding.
final class DenseHeadTests: XCTestCase {
    func randoms(_ n: Int, _ rng: inout SeededRandom, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in Float(rng.uniform() * 2 - 1) * scale }
    }

    func testRowsEqualTheReferenceAndSgemm() {
        var rng = SeededRandom(seed: 17)
        for (C, H, N) in [(1, 1, 1), (7, 5, 3), (16, 32, 4), (100, 32, 14), (13, 40, 9), (33, 64, 8), (8, 31, 17)] {
            let head = DenseHead(fc1Weight: randoms(H * C, &rng), fc1Bias: randoms(H, &rng),
                                 fc2Weight: randoms(N * H, &rng), fc2Bias: randoms(N, &rng),
                                 inputs: C, hidden: H, outputs: N)
            for rows in [1, 2, 5, 64] {
                let stride = C + 3
                var x = randoms(rows * stride, &rng, scale: 2)
                if rows > 2 { x[stride + 0] = -0.0; x[2 * stride + C - 1] = .nan }  // ReLU's edge cases
                var y = [Float](repeating: .nan, count: rows * N)
                var relu = [Float](repeating: .nan, count: rows * C)
                x.withUnsafeBufferPointer { xb in
                    y.withUnsafeMutableBufferPointer { yb in
                        relu.withUnsafeMutableBufferPointer { rb in
                            head.run(xb.baseAddress!, rows: rows, stride: stride, into: yb.baseAddress!, reluInputs: rb.baseAddress!)
                        }
                    }
                }
                // Inputs of the reference: each row alone.
                var reluInputs: [Float] = []
                for r in 0..<rows {
                    let row = Array(x[(r * stride)..<(r * stride + C)])
                    let expected = head.reference(row)
                    XCTAssertEqual(Array(y[(r * N)..<((r + 1) * N)]).map(\.bitPattern), expected.map(\.bitPattern),
                                   "C=\(C) H=\(H) N=\(N) rows=\(rows) row \(r)")
                    reluInputs += row.map { $0 > 0 ? $0 : 0 }
                }
                // Pooled values as ReLU gives them, NaN as 0 (the sign of a zero may differ
                // between the vector and scalar lanes, as stage 1's pooled features always did).
                XCTAssertEqual(relu.map { $0 == 0 ? 0 : $0 }, reluInputs, "C=\(C) relu")

                // Against sgemm's dense layers (without NaN inputs).
                let clean = x.map { $0.isNaN ? 0 : $0 }
                let viaHead = run(head, clean, rows: rows, stride: stride)
                let viaGemm = gemmReference(head, clean, rows: rows, stride: stride)
                for (a, b) in zip(viaHead, viaGemm) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "C=\(C) H=\(H) N=\(N) rows=\(rows)")
                }
            }
        }
    }

    func run(_ head: DenseHead, _ x: [Float], rows: Int, stride: Int) -> [Float] {
        var y = [Float](repeating: 0, count: rows * head.outputs)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { head.run(xb.baseAddress!, rows: rows, stride: stride, into: $0.baseAddress!) }
        }
        return y
    }

    /// The same layers through `Dense.forward`, from the weights in PyTorch's layout.
    func gemmReference(_ head: DenseHead, _ x: [Float], rows: Int, stride: Int) -> [Float] {
        let C = head.inputs, H = head.hidden, N = head.outputs
        var w1 = [Float](repeating: 0, count: H * C), w2 = [Float](repeating: 0, count: N * H)
        for j in 0..<H { for c in 0..<C { w1[j * C + c] = head.w1t[c * head.hiddenPadded + j] } }
        for n in 0..<N { for j in 0..<H { w2[n * H + j] = head.w2t[j * head.outputsPadded + n] } }
        var xr = [Float](repeating: 0, count: rows * C)
        for r in 0..<rows { for c in 0..<C { xr[r * C + c] = max(0, x[r * stride + c]) } }
        var h = [Float](repeating: 0, count: rows * H), y = [Float](repeating: 0, count: rows * N)
        Dense.forward(xr, rows: rows, inputs: C, weight: w1, bias: Array(head.b1.prefix(H)), outputs: H, into: &h)
        h = h.map { max(0, $0) }
        Dense.forward(h, rows: rows, inputs: H, weight: w2, bias: Array(head.b2.prefix(N)), outputs: N, into: &y)
        return y
    }

    /// Weights arrive in PyTorch's `[out, in]` layout.
    func testLayoutIsPyTorchs() {
        // fc1: h0 = x0 + 2 x1, h1 = 3 x0 - x1 (+ biases 0.5, 0); fc2: y = h0 - h1 + 1.
        let head = DenseHead(fc1Weight: [1, 2, 3, -1], fc1Bias: [0.5, 0], fc2Weight: [1, -1], fc2Bias: [1],
                             inputs: 2, hidden: 2, outputs: 1)
        XCTAssertEqual(head.reference([1, 1]), [1 + 3.5 - 2])
        XCTAssertEqual(run(head, [1, 1], rows: 1, stride: 2), [1 + 3.5 - 2])
        // ReLU on the inputs and on the hidden values: x = (-1, 1) → h = (2.5, 0) after ReLU… of (2.5, -1).
        XCTAssertEqual(run(head, [-1, 1], rows: 1, stride: 2), [3.5])
    }
}
