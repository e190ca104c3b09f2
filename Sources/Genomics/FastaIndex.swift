#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of a samtools `.fai` index.
public struct FaiEntry: Equatable, Sendable {
    public var name: String
    /// Number of bases.
    public var length: Int
    /// Byte offset of the first base.
    public var offset: Int
    /// Bases per full line.
    public var lineBases: Int
    /// Bytes per full line, newline included.
    public var lineWidth: Int

    public init(name: String, length: Int, offset: Int, lineBases: Int, lineWidth: Int) {
        self.name = name; self.length = length; self.offset = offset
        self.lineBases = lineBases; self.lineWidth = lineWidth
    }

    /// Byte offset of base `pos` (0-based) of this sequence in the FASTA file.
    @inlinable public func byteOffset(of pos: Int) -> Int {
        lineBases == 0 ? offset : offset + (pos / lineBases) * lineWidth + pos % lineBases
    }
}

/// A samtools-compatible FASTA index: read, built, written and checked against its FASTA.
public struct FastaIndex: Equatable, Sendable {
    public private(set) var entries: [FaiEntry]
    private var position: [String: Int]

    public init(entries: [FaiEntry]) {
        self.entries = entries
        var position = [String: Int]()
        for (i, e) in entries.enumerated() where position[e.name] == nil { position[e.name] = i }
        self.position = position
    }

    public subscript(name: String) -> FaiEntry? { position[name].map { entries[$0] } }
    public func index(of name: String) -> Int? { position[name] }

    /// The index in `.fai` text form.
    public var faiText: String {
        var s = ""
        for e in entries { s += "\(e.name)\t\(e.length)\t\(e.offset)\t\(e.lineBases)\t\(e.lineWidth)\n" }
        return s
    }

    /// Parses `.fai` text (`path` only names the file in errors).
    public static func parse(_ bytes: [UInt8], path: String) throws -> FastaIndex {
        var entries = [FaiEntry]()
        var seen = Set<String>()
        var lineNo = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNo += 1
            var l = line
            if l.last == UInt8(ascii: "\r") { l = l.dropLast() }
            if l.isEmpty { continue }
            let f = l.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
            guard f.count >= 5 else {
                throw GenomicsError(file: path, line: lineNo, "expected 5 tab-separated columns, found \(f.count)")
            }
            let name = String(decoding: f[0], as: UTF8.self)
            var nums = [Int]()
            for k in 1...4 {
                guard let v = Int(String(decoding: f[k], as: UTF8.self)), v >= 0 else {
                    throw GenomicsError(file: path, line: lineNo,
                                        "column \(k + 1) is not a non-negative integer: '\(String(decoding: f[k], as: UTF8.self))'")
                }
                nums.append(v)
            }
            guard nums[3] > nums[2] || nums[0] == 0 else {
                throw GenomicsError(file: path, line: lineNo, "line width \(nums[3]) must exceed line bases \(nums[2])")
            }
            guard seen.insert(name).inserted else {
                throw GenomicsError(file: path, line: lineNo, "sequence '\(name)' is listed twice")
            }
            entries.append(FaiEntry(name: name, length: nums[0], offset: nums[1], lineBases: nums[2], lineWidth: nums[3]))
        }
        return FastaIndex(entries: entries)
    }

    /// Scans a FASTA file and builds its index, as `samtools faidx` does; every sequence must use
    /// one line length (its last line may be shorter).
    public static func build(_ bytes: UnsafeBufferPointer<UInt8>, path: String) throws -> FastaIndex {
        let n = bytes.count
        guard let base = bytes.baseAddress, n > 0 else {
            throw GenomicsError(file: path, "empty FASTA file")
        }
        var entries = [FaiEntry]()
        var seen = Set<String>()
        var pos = 0
        var lineNo = 0
        // Current record.
        var name: String? = nil
        var length = 0, offset = 0, lineBases = -1, lineWidth = -1
        var sawShortLine = false
        func finish() {
            if let name {
                entries.append(FaiEntry(name: name, length: length, offset: offset,
                                        lineBases: max(lineBases, 0), lineWidth: max(lineWidth, 0)))
            }
        }
        while pos < n {
            lineNo += 1
            let lineStart = pos
            let nl = memchr(base + pos, 0x0A, n - pos)
            let lineEnd = nl.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? n  // index of '\n' or n
            pos = lineEnd + 1
            var contentEnd = lineEnd
            if contentEnd > lineStart && base[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let width = min(pos, n) - lineStart
            if base[lineStart] == UInt8(ascii: ">") {
                finish()
                var e = lineStart + 1
                while e < contentEnd && base[e] != 0x20 && base[e] != 0x09 { e += 1 }
                let nm = String(decoding: UnsafeBufferPointer(start: base + lineStart + 1, count: e - lineStart - 1), as: UTF8.self)
                guard !nm.isEmpty else { throw GenomicsError(file: path, line: lineNo, "FASTA header without a name") }
                guard seen.insert(nm).inserted else {
                    throw GenomicsError(file: path, line: lineNo, "sequence '\(nm)' appears twice")
                }
                name = nm
                length = 0; offset = min(pos, n); lineBases = -1; lineWidth = -1; sawShortLine = false
                continue
            }
            let basesOnLine = contentEnd - lineStart
            guard name != nil else {
                if basesOnLine == 0 { continue }
                throw GenomicsError(file: path, line: lineNo, "sequence data before the first '>' header")
            }
            if basesOnLine == 0 {
                // Blank line: allowed only where the sequence ends.
                sawShortLine = true
                continue
            }
            if sawShortLine {
                throw GenomicsError(file: path, line: lineNo,
                                    "sequence '\(name!)' continues after a shorter or blank line (samtools faidx requires equal line lengths)")
            }
            if lineBases < 0 {
                lineBases = basesOnLine; lineWidth = width
            } else if basesOnLine > lineBases || (basesOnLine == lineBases && width != lineWidth && pos <= n) {
                throw GenomicsError(file: path, line: lineNo,
                                    "line length differs from the lines above inside '\(name!)' (samtools faidx requires equal line lengths)")
            } else if basesOnLine < lineBases {
                sawShortLine = true
            }
            length += basesOnLine
        }
        finish()
        guard !entries.isEmpty else { throw GenomicsError(file: path, "no '>' header: not a FASTA file") }
        return FastaIndex(entries: entries)
    }

    /// Cheap consistency checks of this index against the FASTA bytes it claims to describe: each
    /// record's header sits right before its offset, and its line layout ends where the next record
    /// (or the file) begins. Catches an index built for another file or a FASTA edited since.
    public func validate(against bytes: UnsafeBufferPointer<UInt8>, fastaPath: String, indexPath: String) throws {
        let n = bytes.count
        func fail(_ what: String) -> GenomicsError {
            GenomicsError(file: indexPath, "does not match \(fastaPath): \(what) (delete the .fai to rebuild it)")
        }
        for e in entries {
            guard e.offset <= n, e.offset >= 2 else { throw fail("offset \(e.offset) of '\(e.name)' is outside the file") }
            guard bytes[e.offset - 1] == 0x0A else { throw fail("no line break before the sequence of '\(e.name)'") }
            // Header line: search back for '>'.
            var h = e.offset - 2
            while h > 0 && bytes[h - 1] != 0x0A { h -= 1 }
            guard bytes[h] == UInt8(ascii: ">") else { throw fail("no header line before the sequence of '\(e.name)'") }
            var k = h + 1
            var nameBytes = [UInt8]()
            while k < e.offset - 1 && bytes[k] != 0x20 && bytes[k] != 0x09 && bytes[k] != 0x0A && bytes[k] != 0x0D {
                nameBytes.append(bytes[k]); k += 1
            }
            guard String(decoding: nameBytes, as: UTF8.self) == e.name else {
                throw fail("the header before offset \(e.offset) names '\(String(decoding: nameBytes, as: UTF8.self))', not '\(e.name)'")
            }
            guard e.length > 0 else { continue }
            guard e.lineBases > 0, e.lineWidth > e.lineBases else { throw fail("bad line layout for '\(e.name)'") }
            // Sizes no file of n bytes can hold are refused before any arithmetic (absurd values
            // would overflow `byteOffset`).
            let (lineBytes, overflow) = ((e.length - 1) / e.lineBases).multipliedReportingOverflow(by: e.lineWidth)
            guard e.length <= n, e.lineWidth <= n, !overflow, lineBytes <= n else {
                throw fail("'\(e.name)' would end past the end of the file")
            }
            let last = e.byteOffset(of: e.length - 1)
            guard last < n else { throw fail("'\(e.name)' would end past the end of the file") }
            let isBase: (UInt8) -> Bool = { $0 != 0x0A && $0 != 0x0D && $0 != UInt8(ascii: ">") }
            guard isBase(bytes[last]) else { throw fail("'\(e.name)' does not end where the index says") }
            if e.length > e.lineBases {
                let lb = e.offset + e.lineBases
                guard lb < n, bytes[lb] == 0x0A || bytes[lb] == 0x0D else {
                    throw fail("'\(e.name)' has no line break after \(e.lineBases) bases")
                }
            }
            var after = last + 1
            if after < n && bytes[after] == 0x0D { after += 1 }
            guard after >= n || bytes[after] == 0x0A else { throw fail("'\(e.name)' is longer than \(e.length) bases") }
            var next = after + 1
            while next < n && (bytes[next] == 0x0A || bytes[next] == 0x0D) { next += 1 }
            guard next >= n || bytes[next] == UInt8(ascii: ">") else { throw fail("'\(e.name)' is longer than \(e.length) bases") }
        }
    }
}
