import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `read(2)`, reachable from types that have their own `read` method.
@inline(__always)
func sysRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buf, count)
}

/// Streams the decompressed bytes of a gzip file, including multi-member files such as BGZF
/// (each BGZF block is a complete gzip member). Plain (uncompressed) files can be read through
/// the same API with `ByteSource`.
public final class GzipReader {
    public let path: String
    private let fd: Int32
    private var stream = z_stream()
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity: Int
    private var inputEOF = false
    private var finished = false
    private var streamOpen = false

    /// The two magic bytes that open every gzip member.
    public static func isGzip(path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { sysRead(fd, $0.baseAddress!, 2) }
        return n == 2 && magic.0 == 0x1f && magic.1 == 0x8b
    }

    public init(path: String, bufferSize: Int = 1 << 20) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GenomicsError(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        inputCapacity = bufferSize
        input = .allocate(capacity: bufferSize)
        let rc = sigtfb_inflate_init2(&stream, 15 + 16)  // gzip wrapper only
        guard rc == Z_OK else {
            close(fd)
            throw GenomicsError(file: path, "cannot start gzip decompression (zlib error \(rc))")
        }
        streamOpen = true
    }

    deinit {
        if streamOpen { inflateEnd(&stream) }
        input.deallocate()
        close(fd)
    }

    private func refill() throws {
        let n = sysRead(fd, input, inputCapacity)
        if n < 0 { throw GenomicsError(file: path, "read error: \(String(cString: strerror(errno)))") }
        if n == 0 { inputEOF = true }
        stream.next_in = input
        stream.avail_in = UInt32(n)
    }

    /// Decompresses up to `buffer.count` bytes into `buffer`; returns how many were written
    /// (0 at the end of the data).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let capacity = Int(stream.avail_out)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 {
                if inputEOF { break }
                try refill()
                if stream.avail_in == 0 { break }
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            if rc == Z_STREAM_END {
                // Another member may follow (BGZF, concatenated gzip).
                if stream.avail_in == 0 && !inputEOF { try refill() }
                if stream.avail_in == 0 { finished = true; break }
                inflateReset(&stream)
                continue
            }
            if rc == Z_BUF_ERROR && stream.avail_in == 0 { continue }
            guard rc == Z_OK else {
                let msg = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                throw GenomicsError(file: path, "corrupt gzip data: \(msg)")
            }
        }
        let produced = capacity - Int(stream.avail_out)
        if produced == 0 && !finished && inputEOF {
            // Input ended in the middle of a member.
            finished = true
            throw GenomicsError(file: path, "truncated gzip file")
        }
        return produced
    }

    /// The whole decompressed content.
    public func readAll() throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}

/// Whole-file reading that looks through gzip compression (detected by its magic bytes).
public enum ByteSource {
    /// The bytes of `path`, decompressed when the file is gzip/BGZF.
    public static func readAll(path: String) throws -> [UInt8] {
        if GzipReader.isGzip(path: path) {
            return try GzipReader(path: path).readAll()
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GenomicsError(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GenomicsError(file: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { throw GenomicsError(file: path, "read error: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            done += n
        }
        if done < out.count { out.removeSubrange(done...) }
        return out
    }
}
