import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM as a request to stop at the next safe point.
///
/// The CLI installs the handlers for its long commands (`stage1`, `stage2`, `run`). The first
/// signal only sets a flag; the training loops call `Interruption.check()` after every step and
/// the tuning loop before every trial, which throws `Interrupted` once the flag is set. Everything
/// a rerun needs is already on disk at those points (the tuning state is saved atomically after
/// every trial, an unfinished trial is rerun from its start), so the command then exits with
/// 128 + the signal number. A second signal ends the process at once.
///
/// Without `install()` (the library, the tests) the flag is only set by `request(_:)`.
public enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pending: Int32 = 0
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the SIGINT and SIGTERM handlers (once). `notice` is called on the first signal
    /// (from a background queue), e.g. to tell the user that the run will stop at the next safe point.
    public static func install(notice: @escaping @Sendable (Int32) -> Void = { _ in }) {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        let queue = DispatchQueue(label: "sigtfb.signals")
        for sig in [SIGINT, SIGTERM] {
            // The default action (terminate) must not run; the dispatch source still sees the signal.
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                if request(sig) {
                    notice(sig)
                } else {
                    // Second signal: stop now. Nothing is half-written (all outputs are renamed into
                    // place); the unfinished trial is rerun by the next run.
                    _exit(128 + sig)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Records a stop request for `signal`; returns false when one was already pending.
    @discardableResult
    public static func request(_ signal: Int32) -> Bool {
        lock.lock(); defer { lock.unlock() }
        if pending != 0 { return false }
        pending = signal
        return true
    }

    /// The signal of the pending stop request, nil when none.
    public static var requested: Int32? {
        lock.lock(); defer { lock.unlock() }
        return pending == 0 ? nil : pending
    }

    /// Forgets a pending request (tests).
    public static func reset() {
        lock.lock(); defer { lock.unlock() }
        pending = 0
    }

    /// A safe point: throws `Interrupted` when a stop was requested.
    @inline(__always)
    public static func check() throws {
        if let s = requested { throw Interrupted(signal: s) }
    }
}

/// The run stopped at a safe point because of SIGINT or SIGTERM (see `Interruption`).
public struct Interrupted: Error, CustomStringConvertible, Sendable {
    public let signal: Int32
    public init(signal: Int32) { self.signal = signal }
    public var description: String { "interrupted by \(signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "signal \(signal)")" }
    /// The conventional exit status of a process ended by this signal.
    public var exitStatus: Int32 { 128 + signal }
}
