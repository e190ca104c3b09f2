import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file through a temporary sibling and a rename, so readers never see half of it.
public enum AtomicWrite {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        guard writeNewFile(bytes, at: tmp) else {
            throw GenomicsError(file: path, "cannot write (directory not writable or disk full?)")
        }
        if rename(tmp, path) != 0 {
            let err = String(cString: strerror(errno))
            unlink(tmp)
            throw GenomicsError(file: path, "cannot move the finished file into place: \(err)")
        }
    }

    /// Writes `bytes` to `path` itself (created or truncated) and fsyncs it; removes it and returns
    /// false on any failure. The building block of the atomic writes: unlike
    /// `FileManager.createFile`, it makes no temporary file of its own (Foundation's
    /// `.dat.nosync…` would be left behind by a process killed while writing).
    public static func writeNewFile<C: Collection>(_ bytes: C, at path: String) -> Bool where C.Element == UInt8 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        var ok = bytes.withContiguousStorageIfAvailable { writeAll(fd, UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { writeAll(fd, $0) }
        if ok && fsync(fd) != 0 { ok = false }
        if close(fd) != 0 { ok = false }
        if !ok { unlink(path) }
        return ok
    }

    /// Writes every byte of `buf` to `fd` (retrying short writes and EINTR).
    private static func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer) -> Bool {
        var off = 0
        while off < buf.count {
            let n = systemWrite(fd, buf.baseAddress! + off, buf.count - off)
            if n < 0 { if errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }

    private static func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, p, n)
        #else
        return Darwin.write(fd, p, n)
        #endif
    }
}
