import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Strand of a peak or region.
public enum Strand: UInt8, Sendable, Equatable {
    case plus = 43   // "+"
    case minus = 45  // "-"

    public var symbol: String { self == .plus ? "+" : "-" }
}

/// A stretch of a genome sequence: chromosome (index into `Genome.names`), 0-based half-open
/// coordinates and strand.
public struct GenomeRegion: Sendable, Equatable {
    public var chrom: Int
    public var start: Int
    public var end: Int
    public var strand: Strand

    public init(chrom: Int, start: Int, end: Int, strand: Strand) {
        self.chrom = chrom; self.start = start; self.end = end; self.strand = strand
    }

    public var length: Int { end - start }
}

/// A reference genome in FASTA form, plain or gzip/BGZF compressed.
///
/// Plain files are memory-mapped and read through their samtools `.fai` index (built and written
/// beside the FASTA when missing, checked against it when present), so only the pages holding the
/// requested regions are ever read. Compressed files are streamed once, keeping one chromosome in
/// memory at a time.
public final class Genome: @unchecked Sendable {
    public let path: String
    /// Sequence names in file order.
    public let names: [String]
    /// Sequence lengths, parallel to `names`.
    public let lengths: [Int]
    private let nameIndex: [String: Int]
    private let mapped: MappedFile?
    private let index: FastaIndex?

    /// Whether the FASTA is compressed (streamed rather than randomly accessed).
    public var isCompressed: Bool { mapped == nil }

    public func index(of name: String) -> Int? { nameIndex[name] }

    /// Opens `path`; `log` receives one-line progress notes (index built, extra pass needed, ...).
    public init(path: String, log: (String) -> Void = { _ in }) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw GenomicsError(file: path, "genome FASTA not found")
        }
        let faiPath = path + ".fai"
        if GzipReader.isGzip(path: path) {
            mapped = nil
            index = nil
            var names = [String](), lengths = [Int]()
            if FileManager.default.fileExists(atPath: faiPath) {
                let fai = try FastaIndex.parse(try ByteSource.readAll(path: faiPath), path: faiPath)
                names = fai.entries.map(\.name); lengths = fai.entries.map(\.length)
            } else {
                log("\(path): compressed FASTA without .fai; reading it once for the chromosome lengths (samtools faidx on a bgzip file avoids this)")
                try FastaStream.forEachRecord(path: path, wanted: { _ in false }) { name, length, _ in
                    names.append(name); lengths.append(length)
                }
            }
            self.names = names
            self.lengths = lengths
        } else {
            let m = try MappedFile(path: path)
            mapped = m
            let fai: FastaIndex
            if FileManager.default.fileExists(atPath: faiPath) {
                fai = try FastaIndex.parse(try ByteSource.readAll(path: faiPath), path: faiPath)
                try fai.validate(against: m.bytes, fastaPath: path, indexPath: faiPath)
            } else {
                fai = try FastaIndex.build(m.bytes, path: path)
                do {
                    try AtomicWrite.write(Array(fai.faiText.utf8), to: faiPath)
                    log("\(path): built index \(faiPath)")
                } catch {
                    log("\(path): built index in memory (could not write \(faiPath): \(error))")
                }
            }
            index = fai
            names = fai.entries.map(\.name)
            lengths = fai.entries.map(\.length)
        }
        guard !names.isEmpty else { throw GenomicsError(file: path, "no sequences in the genome FASTA") }
        var ni = [String: Int]()
        for (i, n) in names.enumerated() { ni[n] = i }
        nameIndex = ni
    }

    /// The letters of every region, concatenated in order, exactly as in the FASTA (case kept),
    /// reverse-complemented for `-` regions (as `bedtools getfasta -s`).
    public func letters(of regions: [GenomeRegion]) throws -> [UInt8] {
        if regions.isEmpty { return [] }
        var offsets = [Int](repeating: 0, count: regions.count + 1)
        for (i, r) in regions.enumerated() {
            guard r.chrom >= 0 && r.chrom < names.count else { throw GenomicsError(file: path, "region on an unknown sequence") }
            guard r.start >= 0 && r.start <= r.end && r.end <= lengths[r.chrom] else {
                throw GenomicsError(file: path, "region \(names[r.chrom]):\(r.start)-\(r.end) lies outside \(names[r.chrom]) (length \(lengths[r.chrom]))")
            }
            offsets[i + 1] = offsets[i] + r.length
        }
        var out = [UInt8](repeating: 0, count: offsets[regions.count])
        if let mapped, let index {
            out.withUnsafeMutableBufferPointer { dest in
                let src = mapped.bytes
                let entries = index.entries
                let threads = max(1, min(ProcessInfo.processInfo.activeProcessorCount, regions.count / 2048))
                let perThread = (regions.count + threads - 1) / max(threads, 1)
                nonisolated(unsafe) let dd = dest.baseAddress!
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    let lo = t * perThread, hi = min(regions.count, lo + perThread)
                    guard lo < hi else { return }
                    for i in lo..<hi {
                        let r = regions[i]
                        Genome.copyRegion(src, entries[r.chrom], r.start, r.end, into: dd + offsets[i])
                        if r.strand == .minus { Genome.reverseComplement(dd + offsets[i], r.length) }
                    }
                }
            }
            _ = try validateCopied(out, regions, offsets)
        } else {
            var byChrom = [Int: [Int]]()
            for (i, r) in regions.enumerated() { byChrom[r.chrom, default: []].append(i) }
            var found = Set<Int>()
            try FastaStream.forEachRecord(path: path, wanted: { [nameIndex] in nameIndex[$0].map { byChrom[$0] != nil } ?? false }) { name, length, seq in
                guard let c = nameIndex[name] else { return }
                guard length == lengths[c] else {
                    throw GenomicsError(file: path + ".fai", "does not match \(path): '\(name)' has \(length) bases, the index says \(lengths[c]) (delete the .fai to rebuild it)")
                }
                guard let seq, let wanted = byChrom[c] else { return }
                found.insert(c)
                seq.withUnsafeBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { dest in
                        for i in wanted {
                            let r = regions[i]
                            let d = dest.baseAddress! + offsets[i]
                            d.update(from: s.baseAddress! + r.start, count: r.length)
                            if r.strand == .minus { Genome.reverseComplement(d, r.length) }
                        }
                    }
                }
            }
            for c in byChrom.keys where !found.contains(c) {
                throw GenomicsError(file: path, "sequence '\(names[c])' listed in the index is missing from the FASTA")
            }
        }
        return out
    }

    /// Regions copied from a memory map are checked for stray line breaks (a sign the index
    /// does not describe this file).
    private func validateCopied(_ out: [UInt8], _ regions: [GenomeRegion], _ offsets: [Int]) throws -> Bool {
        if let bad = out.firstIndex(where: { $0 == 0x0A || $0 == 0x0D || $0 == UInt8(ascii: ">") }) {
            var r = 0
            while offsets[r + 1] <= bad { r += 1 }
            throw GenomicsError(file: path + ".fai", "does not match \(path): line break or header inside \(names[regions[r].chrom]):\(regions[r].start)-\(regions[r].end) (delete the .fai to rebuild it)")
        }
        return true
    }

    @inline(__always)
    static func copyRegion(_ src: UnsafeBufferPointer<UInt8>, _ e: FaiEntry, _ start: Int, _ end: Int,
                           into dest: UnsafeMutablePointer<UInt8>) {
        var pos = start
        var d = dest
        let base = src.baseAddress!
        while pos < end {
            let inLine = pos % e.lineBases
            let run = min(end - pos, e.lineBases - inLine)
            let off = e.offset + (pos / e.lineBases) * e.lineWidth + inLine
            d.update(from: base + off, count: run)
            d += run
            pos += run
        }
    }

    /// Complement of each ASCII letter, case kept; anything but ACGTN/acgtn maps to itself.
    static let complementTable: [UInt8] = {
        var t = (0..<256).map { UInt8($0) }
        for (a, b) in [("A", "T"), ("C", "G"), ("a", "t"), ("c", "g")] {
            let x = UInt8(ascii: Unicode.Scalar(a)!), y = UInt8(ascii: Unicode.Scalar(b)!)
            t[Int(x)] = y; t[Int(y)] = x
        }
        return t
    }()

    @inline(__always)
    static func reverseComplement(_ p: UnsafeMutablePointer<UInt8>, _ n: Int) {
        complementTable.withUnsafeBufferPointer { t in
            var i = 0, j = n - 1
            while i < j {
                let a = t[Int(p[i])], b = t[Int(p[j])]
                p[i] = b; p[j] = a
                i += 1; j -= 1
            }
            if i == j { p[i] = t[Int(p[i])] }
        }
    }
}

/// Sequential reading of a (possibly compressed) FASTA, one record at a time.
public enum FastaStream {
    /// Calls `body(name, length, sequence)` for each record in file order; the sequence (letters,
    /// line breaks removed) is only assembled for records where `wanted(name)` is true.
    public static func forEachRecord(path: String, wanted: (String) -> Bool,
                                     _ body: (String, Int, [UInt8]?) throws -> Void) throws {
        let gz = try GzipReader(path: path)
        var chunk = [UInt8](repeating: 0, count: 1 << 22)
        var header = [UInt8]()
        var inHeader = false
        var atLineStart = true
        var name: String? = nil
        var length = 0
        var collecting = false
        var seq = [UInt8]()
        func finish() throws {
            if let n = name { try body(n, length, collecting ? seq : nil) }
            name = nil; length = 0; seq.removeAll(keepingCapacity: true)
        }
        while true {
            let n = try chunk.withUnsafeMutableBytes { try gz.read(into: $0) }
            if n == 0 { break }
            try chunk.withUnsafeBufferPointer { cb in
                let b = cb.baseAddress!
                var i = 0
                while i < n {
                    if atLineStart && b[i] == UInt8(ascii: ">") {
                        try finish()
                        inHeader = true; header.removeAll(keepingCapacity: true)
                        i += 1; atLineStart = false
                        continue
                    }
                    let nlp = memchr(b + i, 0x0A, n - i)
                    let lineEnd = nlp.map { UnsafeRawPointer($0) - UnsafeRawPointer(b) } ?? n
                    if inHeader {
                        header.append(contentsOf: UnsafeBufferPointer(start: b + i, count: lineEnd - i))
                        if nlp != nil {
                            inHeader = false
                            let nameBytes = header.prefix { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
                            let nm = String(decoding: nameBytes, as: UTF8.self)
                            name = nm
                            collecting = wanted(nm)
                        }
                    } else {
                        var e = lineEnd
                        if e > i && b[e - 1] == 0x0D { e -= 1 }
                        if e > i {
                            if name == nil {
                                throw GenomicsError(file: path, "sequence data before the first '>' header")
                            }
                            length += e - i
                            if collecting { seq.append(contentsOf: UnsafeBufferPointer(start: b + i, count: e - i)) }
                        }
                    }
                    atLineStart = nlp != nil
                    i = lineEnd + 1
                }
            }
        }
        if inHeader {
            name = String(decoding: header.prefix { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }, as: UTF8.self)
            collecting = false
        }
        try finish()
    }
}
