import Foundation

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
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw StorageError("\(path): cannot write (directory not writable or disk full?)")
        }
        // Make the bytes durable before the rename publishes them.
        if let handle = FileHandle(forUpdatingAtPath: tmp) {
            try? handle.synchronize()
            try? handle.close()
        }
        try moveIntoPlace(from: tmp, to: path)
    }

    /// Writes a string as UTF-8, atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    // Temporary names only need to differ between concurrent writers; not a result-affecting choice.
    nonisolated(unsafe) private static var counterRNG = SystemRandomNumberGenerator()
}

/// A storage error with a one-line message naming the file and the problem.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
