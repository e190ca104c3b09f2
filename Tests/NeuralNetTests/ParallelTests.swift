import XCTest
@testable import NeuralNet

/// Work splitting: fixed chunks (training) and dynamically claimed, shrinking chunks (inference).
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

    /// Every item in exactly one chunk, chunks within their bounds and shrinking to the end,
    /// worker indices below `workers`.
    func testGuidedChunksCoverEveryItemOnce() {
        for (count, hi, lo, workers) in [(1024, 128, 16, 2), (2048, 128, 16, 3), (1000, 96, 7, 3), (5, 32, 16, 4),
                                         (0, 8, 2, 2), (77, 1, 1, 1), (300, 500, 16, 2), (40, 128, 16, 8)] {
            let tally = Tally()
            // On dispatch's threads, on a pool of the workers' size, and on one too small (which
            // falls back to dispatch).
            for round in 0..<30 {
                tally.hits = []
                let pool: WorkerPool? = round % 3 == 0 ? nil : WorkerPool.shared(threads: round % 3 == 1 ? max(1, workers) : 2)
                Parallel.forEachGuidedChunk(count: count, maxChunk: hi, minChunk: lo, workers: workers, pool: pool) { worker, range in
                    XCTAssertTrue(range.count <= hi && (range.count >= lo || range.upperBound == count),
                                  "\(range) of \(count), chunks \(lo)...\(hi)")
                    XCTAssertTrue((0..<max(1, workers)).contains(worker))
                    tally.add(range)
                }
                XCTAssertEqual(tally.hits.sorted(), Array(0..<count), "count \(count) workers \(workers)")
            }
        }
        // Two workers: chunks (in item order) never grow, start at the maximum and end small.
        var chunks: [Range<Int>] = []
        let lock = NSLock()
        Parallel.forEachGuidedChunk(count: 1024, maxChunk: 128, minChunk: 16, workers: 2) { _, r in lock.lock(); chunks.append(r); lock.unlock() }
        let sizes = chunks.sorted { $0.lowerBound < $1.lowerBound }.map(\.count)
        XCTAssertEqual(sizes.first, 128)
        XCTAssertLessThanOrEqual(sizes.last ?? 0, 16)
        XCTAssertEqual(sizes, sizes.sorted(by: >), "\(sizes)")
        // One worker has nothing to balance: chunks of the maximum.
        var single: [Int] = []
        Parallel.forEachGuidedChunk(count: 1024, maxChunk: 128, minChunk: 16, workers: 1) { _, r in single.append(r.count) }
        XCTAssertEqual(single, [Int](repeating: 128, count: 8))
    }
}
