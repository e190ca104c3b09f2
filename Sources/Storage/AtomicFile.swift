import Foundation
#if canImport(Genomics)
import Genomics  // AtomicWrite (the fuzz harnesses compile its file into one module instead)
#endif

/// Writes that never leave half a file behind: content goes to a temporary file in the same
/// directory (same file system, so the final `rename` is atomic), which is then renamed.
public enum AtomicFile {
    /// A temporary sibling of `path`, unique to this process and call.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let unique = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max, using: &counterRNG))"
        return (dir as NSString).appendingPathComponent(".\(url.lastPathComponent).tmp-\(unique)")
    }

    /// Renames `from` to `to`, replacing `to` atomically.
    public static func moveIntoPlace(from: String, to: String) throws {
        if rename(from, to) != 0 {
            let err = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: from)
            throw StorageError("\(to): cannot move the finished file into place: \(err)")
        }
    }

    /// Writes `data` to `path` atomically, creating the parent directory if needed.
    public static func write(_ data: Data, to path: String) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw StorageError("\(dir): cannot create directory: \(error.localizedDescription)")
        }
        let tmp = temporaryPath(for: path)
        try writeTemporary(data, to: tmp, for: path)
        try moveIntoPlace(from: tmp, to: path)
    }

    /// Writes `data` to the temporary file `tmp` of `path` and makes it durable (fsync) before a
    /// rename publishes it; on failure nothing is left behind.
    public static func writeTemporary(_ data: Data, to tmp: String, for path: String) throws {
        guard AtomicWrite.writeNewFile(data, at: tmp) else {
            throw StorageError("\(path): cannot write (directory not writable or disk full?)")
        }
    }

    /// Writes a string as UTF-8, atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Whether `name` is a temporary file of an atomic write (`.NAME.tmp-PID[-N]`), and its writer's pid.
    public static func temporaryWriter(of name: String) -> Int32? {
        guard name.hasPrefix("."), let r = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let digits = name[r.upperBound...].prefix { $0.isNumber }
        return Int32(digits)
    }

    /// Removes the temporary files left under `directory` (and its subdirectories, 4 levels deep) by
    /// writers that are no longer running — killed before they renamed their file into place.
    /// Temporaries of live processes are left alone. Returns the paths removed.
    @discardableResult
    public static func removeStaleTemporaries(under directory: String, depth: Int = 4) -> [String] {
        let fm = FileManager.default
        guard depth >= 0, let names = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                removed += removeStaleTemporaries(under: path, depth: depth - 1)
            } else if let pid = temporaryWriter(of: name), pid > 0, kill(pid, 0) != 0, errno == ESRCH {
                if unlink(path) == 0 { removed.append(path) }
            }
        }
        return removed
    }

    // Temporary names only need to differ between concurrent writers; not a result-affecting choice.
    nonisolated(unsafe) private static var counterRNG = SystemRandomNumberGenerator()
}

/// A storage error with a one-line message naming the file and the problem.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
