import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on an output directory, so two runs never interleave their files there.
///
/// Uses `flock` on `DIR/.sigtfb.lock`: the kernel drops the lock when the process exits, however it
/// exits (even SIGKILL), so a stale lock file never blocks a rerun.
public final class OutputLock {
    public let path: String
    private var fd: Int32

    /// Creates the directory if needed and takes the lock, or throws naming the directory.
    public init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError("\(directory): cannot create the output directory: \(error.localizedDescription)")
        }
        path = (directory as NSString).appendingPathComponent(".sigtfb.lock")
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw StorageError("\(directory): cannot write in the output directory (\(String(cString: strerror(errno))))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            fd = -1
            throw StorageError("\(directory): another sigtfb run is writing to this directory; wait for it to finish or choose another --out")
        }
        let note = "pid \(ProcessInfo.processInfo.processIdentifier)\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { write(fd, $0, strlen($0)) }
        // Holding the lock, nobody else writes here: temporary files of writers that died (SIGKILL,
        // power loss) before renaming them into place are leftovers.
        AtomicFile.removeStaleTemporaries(under: directory)
    }

    /// Locks each distinct directory of `directories` (in order); releases those already taken if one fails.
    public static func acquire(_ directories: [String]) throws -> [OutputLock] {
        var seen = Set<String>(), locks: [OutputLock] = []
        for d in directories {
            let key = URL(fileURLWithPath: d).standardizedFileURL.path
            guard seen.insert(key).inserted else { continue }
            do { locks.append(try OutputLock(directory: d)) } catch {
                for l in locks { l.release() }
                throw error
            }
        }
        return locks
    }

    /// Releases the lock (also released automatically when the process ends).
    public func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}

/// Memory checks before loading a data set, so a too-large input fails with a clear message
/// instead of the kernel's OOM killer.
public enum MemoryBudget {
    /// Physical memory of the machine, in bytes (0 when unknown).
    public static var physicalBytes: UInt64 {
        #if canImport(Glibc)
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? UInt64(pages) * UInt64(size) : 0
        #else
        return ProcessInfo.processInfo.physicalMemory
        #endif
    }

    /// Throws when `bytes` would not fit in `fraction` of physical memory.
    public static func check(_ bytes: UInt64, what: String, fraction: Double = 0.8) throws {
        let phys = physicalBytes
        guard phys > 0 else { return }
        if Double(bytes) > Double(phys) * fraction {
            let gib = { (b: UInt64) in String(format: "%.1f GiB", Double(b) / 1_073_741_824) }
            throw StorageError("\(what) needs about \(gib(bytes)) of memory but this machine has \(gib(phys)); use a machine with more memory or split the data")
        }
    }
}
