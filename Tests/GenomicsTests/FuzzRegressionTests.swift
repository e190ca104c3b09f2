import Foundation
import XCTest
@testable import Genomics

/// Replays the fuzzing corpora (`Tests/Fixtures/fuzz/peaks`, `…/fasta`: seeds, inputs libFuzzer
/// kept, and minimised crashers; see `bench/fuzz/FUZZING.md`) and seeded mutants of small
/// fixtures through the parsers: every input must parse or throw a one-line `GenomicsError`,
/// never trap.
final class GenomicsFuzzRegressionTests: XCTestCase {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    static func corpus(_ name: String) throws -> [(String, [UInt8])] {
        let dir = corpusRoot.appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        return try files.map { ($0, Array(try Data(contentsOf: dir.appendingPathComponent($0)))) }
    }

    /// Runs `body`, accepting success or a one-line `GenomicsError`.
    func expectParseOrError(_ what: String, _ body: () throws -> Void) {
        do { try body() } catch let e as GenomicsError {
            XCTAssertFalse(e.description.contains("\n"), "\(what): multi-line message \(e.description)")
            XCTAssertNotNil(e.file, "\(what): error names no file: \(e.description)")
        } catch {
            XCTFail("\(what): unexpected error type \(type(of: error)): \(error)")
        }
    }

    // MARK: Peaks (same input layout as bench/fuzz/harness/peaks.swift)

    func replayPeaks(_ input: [UInt8], name: String, dir: String) {
        guard let mode = input.first else { return }
        let bytes = Array(input.dropFirst())
        var names = ChromosomeNames()
        expectParseOrError("peaks/\(name)") {
            if mode & 1 == 1 {
                let path = dir + "/input.bed"
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                _ = try PeakFileParser.parse(path: path, names: &names, readSummit: mode & 2 == 2)
            } else {
                _ = try PeakFileParser.parse(bytes, path: "fuzz.bed", names: &names, readSummit: mode & 2 == 2)
            }
        }
    }

    func testPeakCorpus() throws {
        let dir = try makeTempDir(self)
        let corpus = try Self.corpus("peaks")
        XCTAssertFalse(corpus.isEmpty)
        for (name, input) in corpus { replayPeaks(input, name: name, dir: dir) }
    }

    func testPeakSeededMutants() throws {
        let seed = Array("chr1\t100\t300\tp1\t0\t+\t5.0\t-1\t-1\t50\nchr2\t10\t20\tp2\t0\t-\t1\t1\t1\t-1\n# c\ntrack x\nchr1 5 10\r\n".utf8)
        var rng = FuzzMutator(seed: 0x5eed_9ea4)
        for k in 0..<300 {
            let m = rng.mutate(seed)
            var names = ChromosomeNames()
            expectParseOrError("peak mutant \(k)") { _ = try PeakFileParser.parse(m, path: "m.bed", names: &names, readSummit: k % 2 == 0) }
        }
    }

    // MARK: FASTA (same input layout as bench/fuzz/harness/fasta.swift)

    func replayFasta(_ all: [UInt8], name: String, dir: String) throws {
        let marker: [UInt8] = [0, 70, 65, 73, 0]
        var fasta = all, fai: [UInt8]? = nil
        if all.count >= 5 {
            for i in 0...(all.count - 5) where Array(all[i..<(i + 5)]) == marker {
                fasta = Array(all[..<i]); fai = Array(all[(i + 5)...]); break
            }
        }
        expectParseOrError("fasta/\(name) build") { _ = try fasta.withUnsafeBufferPointer { try FastaIndex.build($0, path: "fuzz.fa") } }
        if let fai {
            expectParseOrError("fasta/\(name) validate") {
                let idx = try FastaIndex.parse(fai, path: "fuzz.fa.fai")
                try fasta.withUnsafeBufferPointer { try idx.validate(against: $0, fastaPath: "fuzz.fa", indexPath: "fuzz.fa.fai") }
            }
        }
        let fa = dir + "/g.fa", faiPath = fa + ".fai"
        try? FileManager.default.removeItem(atPath: faiPath)
        try Data(fasta).write(to: URL(fileURLWithPath: fa))
        if let fai { try Data(fai).write(to: URL(fileURLWithPath: faiPath)) }
        expectParseOrError("fasta/\(name) genome") {
            let g = try Genome(path: fa)
            var regions = [GenomeRegion]()
            for (c, len) in g.lengths.enumerated() where len <= 1 << 20 {
                regions.append(GenomeRegion(chrom: c, start: 0, end: len, strand: .plus))
                if len > 2 { regions.append(GenomeRegion(chrom: c, start: 1, end: len - 1, strand: .minus)) }
            }
            _ = try g.letters(of: regions)
        }
    }

    func testFastaCorpus() throws {
        let dir = try makeTempDir(self)
        let corpus = try Self.corpus("fasta")
        XCTAssertFalse(corpus.isEmpty)
        for (name, input) in corpus { try replayFasta(input, name: name, dir: dir) }
    }

    func testFastaSeededMutants() throws {
        let dir = try makeTempDir(self)
        let fa = Array(">chr1 desc\nACGTACGTAC\nGTNNacgt\n>chr2\nAAAACCCCGG\nTT\n".utf8)
        let fai = Array("chr1\t18\t11\t10\t11\nchr2\t12\t37\t10\t11\n".utf8)
        var rng = FuzzMutator(seed: 0xfa57a)
        for k in 0..<300 {
            // Mutate the FASTA, the index, or both (keeping the two apart by the marker).
            let f = k % 3 == 1 ? fa : rng.mutate(fa)
            let i = k % 3 == 0 ? fai : rng.mutate(fai)
            try replayFasta(f + (k % 5 == 4 ? [] : [0, 70, 65, 73, 0] + i), name: "mutant \(k)", dir: dir)
        }
    }

    /// The crasher libFuzzer/review found: an index whose absurd line width overflowed the
    /// byte-offset arithmetic in `FastaIndex.validate`.
    func testAbsurdIndexIsAnError() throws {
        let fa = Array(">chr1\nACGT\nAC\n".utf8)
        for line in ["chr1\t6\t6\t1\t9223372036854775807", "chr1\t9223372036854775807\t6\t4\t5",
                     "chr1\t6\t6\t9223372036854775806\t9223372036854775807"] {
            let idx = try FastaIndex.parse(Array(line.utf8), path: "g.fa.fai")
            XCTAssertThrowsError(try fa.withUnsafeBufferPointer { try idx.validate(against: $0, fastaPath: "g.fa", indexPath: "g.fa.fai") }) {
                XCTAssertTrue("\($0)".hasPrefix("g.fa.fai: does not match g.fa"), "\($0)")
            }
        }
    }
}

/// Seeded mutations of a byte string: bit flips, truncation, deleted/duplicated/swapped lines,
/// inserted absurd numbers and separators.
struct FuzzMutator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    static let tokens = ["9223372036854775807", "9223372036854775808", "-1", "0", "-9223372036854775808",
                         "99999999999999999999", "1e308", "nan", "inf", "\t", "\n", "\r\n", ">", "#", " ", "-", "+", "\0"]

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + below(3)) {
            var lines = b.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            switch below(7) {
            case 0: if !b.isEmpty { let i = below(b.count); b[i] ^= UInt8(1 << below(8)) }
            case 1: b = Array(b.prefix(below(b.count + 1)))
            case 2: if !lines.isEmpty { lines.remove(at: below(lines.count)); b = Array(lines.joined(separator: [0x0A])) }
            case 3: if !lines.isEmpty { let i = below(lines.count); lines.insert(lines[i], at: i); b = Array(lines.joined(separator: [0x0A])) }
            case 4: if lines.count > 1 { lines.swapAt(below(lines.count), below(lines.count)); b = Array(lines.joined(separator: [0x0A])) }
            case 5:
                // Replace a run of digits (or insert at a random place) with an absurd token.
                let t = Array(Self.tokens[below(Self.tokens.count)].utf8)
                let digits = b.indices.filter { b[$0] >= 48 && b[$0] <= 57 }
                if let d = digits.isEmpty ? nil : digits[below(digits.count)] {
                    var e = d
                    while e < b.count && b[e] >= 48 && b[e] <= 57 { e += 1 }
                    b.replaceSubrange(d..<e, with: t)
                } else { b.insert(contentsOf: t, at: below(b.count + 1)) }
            default: b.insert(UInt8(truncatingIfNeeded: next()), at: below(b.count + 1))
            }
        }
        return b
    }
}
