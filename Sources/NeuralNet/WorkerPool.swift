import CPrefetch
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Threads kept for short parallel regions that follow each other closely: a training step is
/// two regions of 0.1–1 ms, thousands of times a second.
///
/// Why not `DispatchQueue.concurrentPerform`: its worker threads park between regions and each
/// region waits for one to be woken (a futex wake, and on a virtual machine the idle virtual
/// CPU's wake-up): with 2 threads a training step spent about 15% of its wall time with a core
/// idle. Here a pool thread spins (with the CPU's pause hint) for a while after each region,
/// so the next region starts at once, and parks on a condition variable only when no work came
/// for `spinNanoseconds`. The caller runs part 0 itself and spins until the others are done.
///
/// One region at a time: a region started while another is running (from another thread, or
/// nested inside a region) runs on `DispatchQueue.concurrentPerform` instead, so the pool is
/// always safe to call. Which thread runs which part is fixed (part 0 the caller, part i pool
/// thread i), but results must not depend on it anyway.
public final class WorkerPool: @unchecked Sendable {
    /// Threads of a region, the caller included.
    public let threads: Int
    private let state: State?
    private let busy = Atomic<Bool>(false)

    /// `threads` parts per region at most (`threads - 1` pool threads are started; none for 1).
    public init(threads: Int, spinNanoseconds: UInt64 = 200_000) {
        self.threads = max(1, threads)
        #if canImport(Glibc)
        state = self.threads > 1 ? State(workers: self.threads - 1, spinNanoseconds: spinNanoseconds) : nil
        #else
        state = nil
        #endif
    }

    deinit { state?.stop() }

    /// A pool of `threads` threads for the whole process, started on first use and kept: for
    /// callers without a pool of their own (inference), whose calls also follow each other
    /// closely. A region started while it is busy runs on `concurrentPerform` (see above).
    public static func shared(threads: Int) -> WorkerPool {
        let threads = max(1, threads)
        return sharedPools.withLock { pools in
            if let pool = pools[threads] { return pool }
            let pool = WorkerPool(threads: threads)
            pools[threads] = pool
            return pool
        }
    }
    private static let sharedPools = Mutex<[Int: WorkerPool]>([:])

    /// Runs `body(i)` for each i in 0..<count (`count` at most `threads`), concurrently, and
    /// returns when all have returned.
    public func run(count: Int, _ body: (Int) -> Void) {
        precondition(count <= threads, "a region of \(count) parts on a pool of \(threads) threads")
        if count <= 1 {
            if count == 1 { body(0) }
            return
        }
        guard let state, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { job in state.run(count: count, job) }
    }

    /// `Parallel.forEachChunk` on the pool: `body(part, range)` for the same deterministic chunks.
    public func forEachChunk(count: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
        let ranges = Parallel.chunks(count: count, parts: min(parts, threads))
        run(count: ranges.count) { i in body(i, ranges[i]) }
    }

    #if canImport(Glibc)
    /// What the pool threads share with the caller; each thread holds it (retained) until it exits.
    final class State: @unchecked Sendable {
        let workers: Int
        let spinNanoseconds: UInt64
        /// Moves once per region (and once to stop): a thread that sees it move has work.
        let generation = Atomic<Int>(0)
        /// Pool threads still running the current region.
        let remaining = Atomic<Int>(0)
        /// Pool threads parked (or about to park) on `condition`.
        let sleepers = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
        /// The region: written by the caller before `generation` moves, read by the threads
        /// after they see it move, cleared after all are done.
        var job: ((Int) -> Void)?
        var jobCount = 0
        let mutex: UnsafeMutablePointer<pthread_mutex_t>
        let condition: UnsafeMutablePointer<pthread_cond_t>

        init(workers: Int, spinNanoseconds: UInt64) {
            self.workers = workers
            self.spinNanoseconds = spinNanoseconds
            mutex = .allocate(capacity: 1)
            condition = .allocate(capacity: 1)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
            for i in 1...workers {
                let context = Unmanaged.passRetained(Context(state: self, index: i)).toOpaque()
                var thread = pthread_t()
                let rc = pthread_create(&thread, nil, { raw in
                    let context = Unmanaged<WorkerPool.Context>.fromOpaque(raw!).takeRetainedValue()
                    context.state.loop(index: context.index)
                    return nil
                }, context)
                precondition(rc == 0, "could not start a worker thread (pthread_create: \(rc))")
                pthread_detach(thread)
            }
        }

        deinit {
            pthread_cond_destroy(condition); condition.deallocate()
            pthread_mutex_destroy(mutex); mutex.deallocate()
        }

        static func nanoseconds() -> UInt64 {
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
        }

        func run(count: Int, _ body: @escaping (Int) -> Void) {
            job = body
            jobCount = count
            remaining.store(workers, ordering: .relaxed)
            // Sequentially consistent with the parking side (sleepers, then generation): either
            // this sees a sleeper and wakes it, or the sleeper sees the new generation.
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            body(0)
            SpinWait.until(yieldAfter: 4096) { remaining.load(ordering: .acquiring) == 0 }
            job = nil
        }

        /// A pool thread's life: wait for a region, run its part, report, repeat.
        func loop(index: Int) {
            var seen = 0
            while true {
                seen = waitForGeneration(after: seen)
                if stopping.load(ordering: .acquiring) { return }
                WorkerPool.State.runPart(self, index)
                remaining.subtract(1, ordering: .releasing)
            }
        }

        /// Not inlined so that the thread's reference to the region's closure is released
        /// before it reports (the caller clears the closure once every thread has reported).
        @inline(never)
        static func runPart(_ state: State, _ index: Int) {
            if index < state.jobCount { state.job!(index) }
        }

        private func waitForGeneration(after seen: Int) -> Int {
            var g = generation.load(ordering: .acquiring)
            if g != seen { return g }
            let start = WorkerPool.State.nanoseconds()
            while true {
                for _ in 0..<32 {
                    sigtfb_spin_pause()
                    g = generation.load(ordering: .acquiring)
                    if g != seen { return g }
                }
                if WorkerPool.State.nanoseconds() &- start > spinNanoseconds { break }
            }
            pthread_mutex_lock(mutex)
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while true {
                g = generation.load(ordering: .sequentiallyConsistent)
                if g != seen { break }
                pthread_cond_wait(condition, mutex)
            }
            sleepers.subtract(1, ordering: .relaxed)
            pthread_mutex_unlock(mutex)
            return g
        }

        func stop() {
            stopping.store(true, ordering: .releasing)
            generation.add(1, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    final class Context {
        let state: State
        let index: Int
        init(state: State, index: Int) { self.state = state; self.index = index }
    }
    #else
    final class State { func stop() {} ; func run(count: Int, _ body: @escaping (Int) -> Void) {} }
    #endif
}
