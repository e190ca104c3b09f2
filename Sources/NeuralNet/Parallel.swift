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

    /// Runs `body(worker, range)` over `count` items cut into blocks of `blockSize`, `workers`
    /// threads claiming the next block as they finish one. Which worker runs which block depends
    /// on timing, so use it only where each item's result does not (inference: no reductions);
    /// `worker` (0..<workers) picks per-thread scratch. Why: with fixed halves, a core slowed by
    /// another tenant made the other wait at the end of every batch; here it just takes fewer blocks.
    public static func forEachBlock(count: Int, blockSize: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
        let size = max(1, blockSize), blocks = (count + size - 1) / size
        let w = max(1, min(workers, blocks))
        if w <= 1 {
            var start = 0
            while start < count { body(0, start..<min(count, start + size)); start += size }
            return
        }
        let next = BlockCounter()
        DispatchQueue.concurrentPerform(iterations: w) { worker in
            while true {
                let b = next.value.add(1, ordering: .relaxed).oldValue
                if b >= blocks { break }
                body(worker, (b * size)..<min(count, (b + 1) * size))
            }
        }
    }

    final class BlockCounter: @unchecked Sendable { let value = Atomic<Int>(0) }

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
