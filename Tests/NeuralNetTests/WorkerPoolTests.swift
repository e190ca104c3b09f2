import XCTest
import Synchronization
@testable import NeuralNet

/// The training step's pool of spinning threads: every part once per region, parts really
/// concurrent, regions back to back and after the threads parked, nested and concurrent callers.
final class WorkerPoolTests: XCTestCase {
    final class Counts: @unchecked Sendable {
        let values: UnsafeMutablePointer<Atomic<Int>>
        let n: Int
        init(_ n: Int) {
            self.n = n
            values = .allocate(capacity: n)
            for i in 0..<n { (values + i).initialize(to: Atomic(0)) }
        }
        subscript(i: Int) -> Int { values[i].load(ordering: .relaxed) }
        func bump(_ i: Int) { values[i].add(1, ordering: .relaxed) }
        deinit { values.deinitialize(count: n); values.deallocate() }
    }

    /// Many regions in a row, of every size up to the pool's: each part runs exactly once per
    /// region, and a region's effects are all visible when `run` returns.
    func testEveryPartRunsOncePerRegion() {
        for threads in [1, 2, 3, 5] {
            let pool = WorkerPool(threads: threads)
            let counts = Counts(threads)
            var expected = [Int](repeating: 0, count: threads)
            var plain = [Int](repeating: 0, count: threads)
            for region in 0..<3000 {
                let parts = 1 + region % threads
                plain.withUnsafeMutableBufferPointer { p in
                    pool.run(count: parts) { i in
                        counts.bump(i)
                        p[i] += 1  // a plain write: visible to the caller once run returns
                    }
                }
                for i in 0..<parts { expected[i] += 1 }
                XCTAssertEqual(plain, expected, "threads \(threads), region \(region)")
                if plain != expected { return }
            }
            XCTAssertEqual((0..<threads).map { counts[$0] }, expected)
        }
    }

    /// Part 0 waits for part 1 and part 1 for part 0: only concurrent parts finish. Also after the
    /// pool's thread has parked (no region for far longer than its spinning time).
    func testPartsRunConcurrentlyAlsoAfterParking() {
        let pool = WorkerPool(threads: 2, spinNanoseconds: 1_000)
        for round in 0..<5 {
            if round > 0 { usleep(20_000) }
            let flags = Counts(2)
            let met = Counts(2)
            pool.run(count: 2) { i in
                flags.bump(i)
                let start = DispatchTime.now().uptimeNanoseconds
                while flags[1 - i] == 0 && DispatchTime.now().uptimeNanoseconds - start < 5_000_000_000 { sched_yield() }
                if flags[1 - i] == 1 { met.bump(i) }
            }
            XCTAssertEqual([met[0], met[1]], [1, 1], "round \(round): the two parts did not run at the same time")
        }
    }

    /// A region started inside a region, and regions from several threads at once, still run
    /// every part once (they fall back to Dispatch while the pool is busy).
    func testNestedAndConcurrentCallersAreSafe() {
        let pool = WorkerPool(threads: 2)
        let inner = Counts(4)
        pool.run(count: 2) { i in
            pool.run(count: 2) { j in inner.bump(2 * i + j) }
        }
        XCTAssertEqual((0..<4).map { inner[$0] }, [1, 1, 1, 1])
        let total = Counts(1)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<500 { pool.run(count: 2) { _ in total.bump(0) } }
        }
        XCTAssertEqual(total[0], 4 * 500 * 2)
    }

    /// The pool's chunks are `Parallel.chunks`' (the trainer's sums depend on them).
    func testForEachChunkUsesTheDeterministicChunks() {
        let pool = WorkerPool(threads: 3)
        for (count, parts) in [(10, 3), (2, 3), (256, 2), (7, 1)] {
            let lock = NSLock()
            var seen: [Int: Range<Int>] = [:]
            pool.forEachChunk(count: count, parts: parts) { part, range in lock.lock(); seen[part] = range; lock.unlock() }
            let want = Parallel.chunks(count: count, parts: min(parts, 3))
            XCTAssertEqual(seen.count, want.count)
            for (i, r) in want.enumerated() { XCTAssertEqual(seen[i], r) }
        }
    }

    /// Pools made and dropped one after another (their threads stop) leave nothing broken.
    func testPoolsComeAndGo() {
        for _ in 0..<50 {
            let pool = WorkerPool(threads: 3)
            let c = Counts(3)
            pool.run(count: 3) { c.bump($0) }
            XCTAssertEqual([c[0], c[1], c[2]], [1, 1, 1])
        }
    }
}
