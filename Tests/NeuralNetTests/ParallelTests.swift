import XCTest
@testable import NeuralNet

/// Work splitting: fixed chunks (training) and dynamically claimed blocks (inference).
final class ParallelTests: XCTestCase {
    final class Tally: @unchecked Sendable {
        let lock = NSLock()
        var hits: [Int] = []
        func add(_ range: Range<Int>) { lock.lock(); hits += range; lock.unlock() }
    }

    func testChunksAreContiguousAndDependOnlyOnCounts() {
        XCTAssertEqual(Parallel.chunks(count: 10, parts: 3), [0..<3, 3..<6, 6..<10])
        XCTAssertEqual(Parallel.chunks(count: 2, parts: 5), [0..<1, 1..<2])
        XCTAssertEqual(Parallel.chunks(count: 0, parts: 2), [0..<0])
    }

    /// Every item in exactly one block, blocks of the given size, worker indices below `workers`.
    func testBlocksCoverEveryItemOnce() {
        for (count, block, workers) in [(1024, 128, 2), (1000, 96, 3), (5, 32, 4), (0, 8, 2), (77, 1, 1), (300, 500, 2)] {
            let tally = Tally()
            for _ in 0..<20 {
                tally.hits = []
                Parallel.forEachBlock(count: count, blockSize: block, workers: workers) { worker, range in
                    XCTAssertTrue(range.count == block || range.upperBound == count, "\(range) of \(count)")
                    XCTAssertEqual(range.lowerBound % block, 0)
                    XCTAssertTrue((0..<max(1, workers)).contains(worker))
                    tally.add(range)
                }
                XCTAssertEqual(tally.hits.sorted(), Array(0..<count), "count \(count) block \(block) workers \(workers)")
            }
        }
    }
}
