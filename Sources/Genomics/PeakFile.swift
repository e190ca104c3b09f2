import Foundation

/// One peak as read from a peak file.
public struct PeakRecord: Sendable, Equatable {
    /// Chromosome id in the `ChromosomeNames` the file was read with.
    public var chrom: Int32
    public var start: Int
    public var end: Int
    /// Column 6 when it is `+` or `-`, else `+` (as Basset).
    public var strand: Strand
    /// narrowPeak column 10 (summit offset from `start`), or -1 when absent or not read.
    public var summit: Int
    /// 1-based line number in the file.
    public var line: Int

    public init(chrom: Int32, start: Int, end: Int, strand: Strand = .plus, summit: Int = -1, line: Int = 0) {
        self.chrom = chrom; self.start = start; self.end = end
        self.strand = strand; self.summit = summit; self.line = line
    }
}

/// Chromosome names seen in peak files, interned to small integer ids.
public struct ChromosomeNames: Sendable {
    public private(set) var names: [String] = []
    private var ids: [String: Int32] = [:]

    public init() {}

    public mutating func id(for name: String) -> Int32 {
        if let id = ids[name] { return id }
        let id = Int32(names.count)
        names.append(name)
        ids[name] = id
        return id
    }

    public func id(of name: String) -> Int32? { ids[name] }
    public subscript(id: Int32) -> String { names[Int(id)] }
    public var count: Int { names.count }
}

/// The peaks of one cell type.
public struct PeakFile: Sendable {
    public var cellType: String
    public var path: String
    public var peaks: [PeakRecord]
}

/// Reads BED3+ / narrowPeak files (plain or gzip): tab-separated, `#`, `track` and `browser`
/// lines and blank lines skipped. Only columns 1–3 are required; column 6 gives the strand and
/// column 10 the summit (read when asked).
public enum PeakFileParser {
    public static func parse(path: String, names: inout ChromosomeNames, readSummit: Bool = false) throws -> [PeakRecord] {
        let bytes = try ByteSource.readAll(path: path)
        return try parse(bytes, path: path, names: &names, readSummit: readSummit)
    }

    public static func parse(_ bytes: [UInt8], path: String, names: inout ChromosomeNames,
                             readSummit: Bool = false) throws -> [PeakRecord] {
        var peaks = [PeakRecord]()
        peaks.reserveCapacity(bytes.count / 60)
        try bytes.withUnsafeBufferPointer { buf in
            guard let b = buf.baseAddress else { return }
            let n = buf.count
            var pos = 0
            var lineNo = 0
            var lastChromBytes = [UInt8]()
            var lastChrom: Int32 = -1
            // Field boundaries of the current line (start, end) pairs.
            var fs = [Int](repeating: 0, count: 10), fe = [Int](repeating: 0, count: 10)
            while pos < n {
                lineNo += 1
                let ls = pos
                var le = ls
                while le < n && b[le] != 0x0A { le += 1 }
                pos = le + 1
                if le > ls && b[le - 1] == 0x0D { le -= 1 }
                // Skip blank, comment, track and browser lines.
                var first = ls
                while first < le && (b[first] == 0x20 || b[first] == 0x09) { first += 1 }
                if first == le { continue }
                if b[ls] == UInt8(ascii: "#") { continue }
                if startsWith(b, ls, le, "track") || startsWith(b, ls, le, "browser") { continue }
                // Split on tabs (or on runs of spaces when the line has no tab).
                let hasTab = memchr(b + ls, 0x09, le - ls) != nil
                var nf = 0
                var i = ls
                while i <= le && nf < 10 {
                    var j = i
                    if hasTab {
                        while j < le && b[j] != 0x09 { j += 1 }
                    } else {
                        while i < le && b[i] == 0x20 { i += 1 }
                        if i == le { break }
                        j = i
                        while j < le && b[j] != 0x20 { j += 1 }
                    }
                    fs[nf] = i; fe[nf] = j; nf += 1
                    i = j + 1
                }
                func field(_ k: Int) -> String {
                    String(decoding: UnsafeBufferPointer(start: b + fs[k], count: fe[k] - fs[k]), as: UTF8.self)
                }
                /// A field as quoted in a message (control and non-ASCII bytes escaped).
                func quoted(_ k: Int) -> String {
                    let bytes = UnsafeBufferPointer(start: b + fs[k], count: fe[k] - fs[k])
                    return "'" + GenomicsError.shown(bytes) + "'" + GenomicsError.encodingHint(bytes)
                }
                func fail(_ msg: String) -> GenomicsError { GenomicsError(file: path, line: lineNo, msg) }
                guard nf >= 3 else {
                    throw fail("expected at least 3 tab-separated columns (chrom, start, end), found \(nf)")
                }
                guard fe[0] > fs[0] else { throw fail("empty chromosome name") }
                func integer(_ k: Int, _ what: String) throws -> Int {
                    var v = 0
                    var p = fs[k]
                    guard p < fe[k] else { throw fail("column \(k + 1) (\(what)) is empty") }
                    if b[p] == UInt8(ascii: "-") {
                        if fe[k] - p > 1, (b[p + 1] >= 48 && b[p + 1] <= 57) {
                            throw fail("negative \(what) coordinate \(GenomicsError.shown(UnsafeBufferPointer(start: b + fs[k], count: fe[k] - fs[k])))")
                        }
                        throw fail("column \(k + 1) (\(what)) is not an integer: \(quoted(k))")
                    }
                    if b[p] == UInt8(ascii: "+") { p += 1 }
                    guard p < fe[k], fe[k] - p <= 18 else {
                        if p < fe[k], (p..<fe[k]).allSatisfy({ b[$0] >= 48 && b[$0] <= 57 }) {
                            throw fail("column \(k + 1) (\(what)) is absurdly large: \(quoted(k)) (more than 18 digits)")
                        }
                        throw fail("column \(k + 1) (\(what)) is not an integer: \(quoted(k))")
                    }
                    while p < fe[k] {
                        let d = Int(b[p]) - 48
                        guard d >= 0 && d <= 9 else { throw fail("column \(k + 1) (\(what)) is not an integer: \(quoted(k))") }
                        v = v * 10 + d
                        p += 1
                    }
                    return v
                }
                let start = try integer(1, "start")
                let end = try integer(2, "end")
                guard start < end else { throw fail("start (\(start)) is not below end (\(end))") }
                var strand = Strand.plus
                if nf >= 6 && fe[5] - fs[5] == 1 && b[fs[5]] == UInt8(ascii: "-") { strand = .minus }
                var summit = -1
                if readSummit {
                    guard nf >= 10 else {
                        throw fail("--center summit needs narrowPeak column 10 (summit offset), found \(nf) columns")
                    }
                    if fe[9] - fs[9] == 2 && b[fs[9]] == UInt8(ascii: "-") && b[fs[9] + 1] == UInt8(ascii: "1") {
                        summit = -1
                    } else {
                        summit = try integer(9, "summit offset")
                        guard summit < end - start else {
                            throw fail("summit offset \(summit) lies outside the peak (length \(end - start))")
                        }
                    }
                }
                // Chromosome id, with a one-entry cache (peak files are usually sorted).
                let clen = fe[0] - fs[0]
                var chrom = lastChrom
                if lastChrom < 0 || clen != lastChromBytes.count || memcmp(b + fs[0], lastChromBytes, clen) != 0 {
                    chrom = names.id(for: field(0))
                    lastChrom = chrom
                    lastChromBytes = Array(UnsafeBufferPointer(start: b + fs[0], count: clen))
                }
                peaks.append(PeakRecord(chrom: chrom, start: start, end: end, strand: strand, summit: summit, line: lineNo))
            }
        }
        return peaks
    }

    @inline(__always)
    private static func startsWith(_ b: UnsafePointer<UInt8>, _ s: Int, _ e: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard e - s >= n else { return false }
        if memcmp(b + s, word.utf8Start, n) != 0 { return false }
        return e - s == n || b[s + n] == 0x20 || b[s + n] == 0x09
    }
}

/// A directory holding one peak file per cell type.
public enum PeakDirectory {
    /// File-name endings read as peak files.
    public static let suffixes = [".bed", ".bed.gz", ".narrowpeak", ".narrowpeak.gz", ".broadpeak",
                                  ".broadpeak.gz", ".bed.bgz", ".narrowpeak.bgz"]

    /// The peak files of `dir`, sorted by cell type (the file name before its first dot; byte order,
    /// as `ls` in the C locale). Other files are returned in `ignored`.
    public static func list(_ dir: String) throws -> (files: [(cellType: String, path: String)], ignored: [String]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw GenomicsError(file: dir, "peak directory not found")
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw GenomicsError(file: dir, "cannot list directory: \(error.localizedDescription)")
        }
        var files = [(cellType: String, path: String)]()
        var ignored = [String]()
        var byCell = [String: String]()
        for name in entries.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            if name.hasPrefix(".") { continue }
            let path = (dir as NSString).appendingPathComponent(name)
            var sub: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &sub)
            let lower = name.lowercased()
            guard !sub.boolValue, suffixes.contains(where: { lower.hasSuffix($0) }) else {
                ignored.append(name)
                continue
            }
            let cell = String(name.prefix { $0 != "." })
            guard !cell.isEmpty else { ignored.append(name); continue }
            if let other = byCell[cell] {
                throw GenomicsError(file: path, "cell type '\(cell)' also comes from \((other as NSString).lastPathComponent); keep one file per cell type")
            }
            byCell[cell] = path
            files.append((cell, path))
        }
        files.sort { Array($0.cellType.utf8).lexicographicallyPrecedes(Array($1.cellType.utf8)) }
        guard !files.isEmpty else {
            throw GenomicsError(file: dir, "no peak files (*.bed, *.bed.gz, *.narrowPeak[.gz]) in the directory")
        }
        return (files, ignored)
    }
}
