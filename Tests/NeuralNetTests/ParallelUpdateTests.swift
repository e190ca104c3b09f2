import XCTest
@testable import NeuralNet

/// The pieces that let a training step's update run on several threads: each must give the same
/// bits as its one-piece form, whatever the split.
final class ParallelUpdateTests: XCTestCase {
    func testLoadDoesNotWriteIntoACopy() {
        var a = OneHotConvolution(channels: 8, width: 24)
        a.load(weight: [Float](repeating: 0.5, count: 8 * 4 * 24), bias: [Float](repeating: 1, count: 8))
        let copy = a
        a.load(weight: [Float](repeating: -1, count: 8 * 4 * 24), bias: [Float](repeating: 0, count: 8))
        XCTAssertEqual(copy.table[0], 0.5)
        XCTAssertEqual(copy.tripleTable.pointer[0], 1 + 1.5)  // bias + three weights of 0.5
        XCTAssertEqual(a.tripleTable.pointer[0], -3)
    }

    func testAdamBySlicesEqualsAdamOnWholeTensors() {
        var rng = SeededRandom(seed: 5)
        let shapes = [[37, 4, 1, 24], [37], [32, 37], [32], [3, 32], [3]]
        var whole = NamedParameters()
        for (i, s) in shapes.enumerated() { whole.append("p\(i)", Tensor(normal: s, std: 0.2, rng: &rng)) }
        var sliced = whole
        var a = Adam(learningRate: 0.01, weightDecay: 1e-3), b = a
        for _ in 0..<3 {
            var grads = NamedParameters()
            for (i, s) in shapes.enumerated() { grads.append("p\(i)", Tensor(normal: s, std: 1, rng: &rng)) }
            a.update(&whole, gradients: grads)
            let step = b.beginStep(counts: sliced.tensors.map(\.count))
            b.withMoments { m, v in
                sliced.withDataPointers { p in
                    for j in shapes.indices {
                        grads.tensors[j].data.withUnsafeBufferPointer { g in
                            // Uneven cuts that are not multiples of the SIMD width.
                            var start = 0
                            for cut in [3, 11, 1, 29, Int.max] where start < p[j].count {
                                let n = min(cut, p[j].count - start)
                                step.update(count: n, params: p[j].baseAddress! + start, gradients: g.baseAddress! + start,
                                            m: m[j].baseAddress! + start, v: v[j].baseAddress! + start)
                                start += n
                            }
                        }
                    }
                }
            }
            XCTAssertTrue(sliced == whole, "Adam by slices")
        }
        XCTAssertEqual(b.step, 3)
    }

    func testLossRowsInPiecesEqualTheWholeBatch() {
        var rng = SeededRandom(seed: 8)
        let rows = 13, columns = 3
        let logits = (0..<(rows * columns)).map { _ in Float(rng.normal() * 3) }
        let targets = (0..<(rows * columns)).map { _ in UInt8(rng.below(2)) }
        let cellTypes = (0..<rows).map { _ in Int32(rng.below(columns)) }
        for loss in MultiLabelLoss.allCases {
            var gWhole = [Float](repeating: 0, count: rows * columns), gPieces = gWhole, terms = gWhole
            let whole = loss.evaluate(logits: logits, targets: targets, rows: rows, columns: columns,
                                      cellTypes: cellTypes, grad: &gWhole)
            var start = 0
            for n in [5, 1, 7] {
                let o = start * columns
                logits.withUnsafeBufferPointer { l in
                    targets.withUnsafeBufferPointer { t in
                        cellTypes.withUnsafeBufferPointer { c in
                            gPieces.withUnsafeMutableBufferPointer { g in
                                terms.withUnsafeMutableBufferPointer { tm in
                                    loss.evaluateRows(logits: l.baseAddress! + o, targets: t.baseAddress! + o, rows: n,
                                                      columns: columns, batchRows: rows, cellTypes: c.baseAddress! + start,
                                                      grad: g.baseAddress! + o, terms: tm.baseAddress! + o)
                                }
                            }
                        }
                    }
                }
                start += n
            }
            let pieces = loss.total(terms: terms, rows: rows, columns: columns, cellTypes: cellTypes)
            XCTAssertEqual(pieces, whole, "\(loss)")
            XCTAssertEqual(gPieces, gWhole, "\(loss)")
        }
    }

    func testPackedBasesMatchTheirDefinition() {
        var rng = SeededRandom(seed: 11)
        for L in 1...70 {
            let codes = (0..<L).map { _ in UInt8(rng.below(4)) }
            var packed = [UInt8](repeating: 0xFF, count: L / 4 + 9)
            codes.withUnsafeBufferPointer { c in OneHotConvolution.packBases(c.baseAddress!, length: L, into: &packed) }
            for q in 0..<L {
                XCTAssertEqual((packed[q / 4] >> UInt8(2 * (q % 4))) & 3, codes[q], "L=\(L) base \(q)")
            }
            // The bits after the last base and the 8 bytes after them are zero (windows read them).
            if L % 4 != 0 { XCTAssertEqual(packed[L / 4] >> UInt8(2 * (L % 4)), 0, "L=\(L)") }
            XCTAssertTrue(packed[(L / 4 + 1)...].allSatisfy { $0 == 0 }, "L=\(L)")
        }
    }

    func testMutableStorageHandsOutEveryArrayAndPutsItBack() {
        var arrays: [[Float]] = [[1, 2], [], [3]]
        let kept = arrays[0]
        withMutableStorage(&arrays) { p in
            XCTAssertEqual(p.map(\.count), [2, 0, 1])
            p[0][1] = 20
            p[2][0] = 30
        }
        XCTAssertEqual(arrays, [[1, 20], [], [30]])
        XCTAssertEqual(kept, [1, 2], "a copy made before is not written through")
    }
}
