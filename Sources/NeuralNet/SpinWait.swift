import CPrefetch
#if canImport(Glibc)
import Glibc
#endif

/// Busy-waiting for another thread's progress, as this package's threads do it everywhere: the
/// CPU's pause hint on every spin (`sigtfb_spin_pause`: `pause` on x86, `yield` on arm64; it
/// frees the core's shared resources for its sibling and slows the loop's loads of the watched
/// line), and from spin `yieldAfter` on a `sched_yield` as well, so that a thread being waited
/// for that was descheduled (more threads than cores) gets the core.
public enum SpinWait {
    /// Spins until `done()` returns true.
    @inline(__always)
    public static func until(yieldAfter: Int, _ done: () -> Bool) {
        var spins = 0
        while !done() {
            sigtfb_spin_pause()
            spins &+= 1
            #if canImport(Glibc)
            if spins > yieldAfter { sched_yield() }
            #endif
        }
    }
}
