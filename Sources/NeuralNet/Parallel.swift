import Dispatch

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
