import Dispatch
import Synchronization

/// Deterministic work splitting: `count` items cut into `parts` contiguous chunks whose
/// boundaries depend only on the counts, so results (and their reduction order) are the same on
/// every run with the same thread count.
public enum Parallel {
    public static func chunks(count: Int, parts: Int) -> [Range<Int>] {
        let p = max(1, min(parts, count))
        return (0..<p).map { i in (count * i / p)..<(count * (i + 1) / p) }
    }

    /// Runs `body(part, range)` for each chunk, concurrently when `parts > 1`.
    public static func forEachChunk(count: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
        let ranges = chunks(count: count, parts: parts)
        if ranges.count == 1 {
            body(0, ranges[0])
        } else {
            DispatchQueue.concurrentPerform(iterations: ranges.count) { i in body(i, ranges[i]) }
        }
    }

    final class BlockCounter: @unchecked Sendable { let value = Atomic<Int>(0) }

    /// Runs `body(worker, range)` over `count` items in chunks claimed by `workers` threads,
    /// each chunk `remaining / (2 workers)` items, between `minChunk` and `maxChunk` (guided
    /// self-scheduling): large chunks while there is much left, small ones at the end, so the
    /// threads finish within a small chunk of each other. Which worker runs which items depends
    /// on timing: use it only where each item's result does not.
    /// With `pool` (of at least `workers` threads) the workers are the pool's threads.
    public static func forEachGuidedChunk(count: Int, maxChunk: Int, minChunk: Int, workers: Int,
                                          pool: WorkerPool? = nil, _ body: (Int, Range<Int>) -> Void) {
        let hi = max(1, maxChunk), lo = max(1, min(minChunk, hi))
        func size(_ remaining: Int, _ w: Int) -> Int { min(remaining, max(lo, min(hi, remaining / (2 * w)))) }
        let w = max(1, min(workers, (count + lo - 1) / lo))
        if w <= 1 {
            var start = 0
            while start < count { let e = start + min(hi, count - start); body(0, start..<e); start = e }
            return
        }
        let next = BlockCounter()
        let run: (Int, (Int) -> Void) -> Void = { count, job in
            if let pool, count <= pool.threads { pool.run(count: count, job) } else { DispatchQueue.concurrentPerform(iterations: count, execute: job) }
        }
        run(w) { worker in
            var claimed = next.value.load(ordering: .relaxed)
            while claimed < count {
                let end = claimed + size(count - claimed, w)
                let (exchanged, original) = next.value.compareExchange(expected: claimed, desired: end, ordering: .relaxed)
                if exchanged {
                    body(worker, claimed..<end)
                    claimed = next.value.load(ordering: .relaxed)
                } else {
                    claimed = original
                }
            }
        }
    }

    /// Cores available to this process.
    public static var availableCores: Int { max(1, sysconfCores()) }
}

#if canImport(Glibc)
import Glibc
func sysconfCores() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#else
import Foundation
func sysconfCores() -> Int { ProcessInfo.processInfo.activeProcessorCount }
#endif
