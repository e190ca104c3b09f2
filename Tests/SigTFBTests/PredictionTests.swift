import Foundation
import Genomics
import XCTest
@testable import SigTFB

final class PredictionTests: XCTestCase {
    func model() throws -> Stage1Model {
        try Stage1Checkpoint.load(path: fixturePath("golden/safetensors/model.safetensors")).model
    }

    func testWindowsAggregateAsDocumented() throws {
        let m = try model()
        var rng = SplitMixRandomForTests(seed: 5)
        let long = (0..<140).map { _ in Array("ACGT".utf8)[rng.next() % 4] }
        let exact = Array(long[0..<101])
        var opts = Prediction.Options()
        opts.threads = 1
        let p = try Prediction.probabilities(model: m, sequences: [.init(name: "a", letters: exact), .init(name: "b", letters: long)], options: opts)
        // A sequence of exactly the input length: one window, the model's own probability.
        let direct = m.probabilities(EncodedSequences(length: 101, codes: exact.map { BaseCode.code(ascii: $0)! }), threads: 1)
        for c in 0..<3 { XCTAssertEqual(p[0][c], direct[c], accuracy: 1e-6) }
        // Max over the 40 windows is at least the first window's value.
        for c in 0..<3 { XCTAssertGreaterThanOrEqual(p[1][c], p[0][c]) }
        opts.aggregate = .mean
        let mean = try Prediction.probabilities(model: m, sequences: [.init(name: "b", letters: long)], options: opts)
        for c in 0..<3 { XCTAssertLessThanOrEqual(mean[0][c], p[1][c] + 1e-6) }
        XCTAssertThrowsError(try Prediction.probabilities(model: m, sequences: [.init(name: "short", letters: Array("ACGT".utf8))], options: opts)) { e in
            XCTAssertTrue("\(e)".contains("shorter than the model's input"), "\(e)")
        }
        XCTAssertThrowsError(try Prediction.probabilities(model: m, sequences: [.init(name: "bad", letters: Array(repeating: UInt8(ascii: "X"), count: 101))], options: opts)) { e in
            XCTAssertTrue("\(e)".contains("bad: position 1"), "\(e)")
        }
    }

    func testPlainAndGzipFastaAndStage2ToldColumns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-fa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fa = dir.appendingPathComponent("s.fa").path
        let seqA = String(repeating: "ACGTTGCA", count: 13)
        try ">a first\r\n\(seqA.prefix(60))\n\(seqA.dropFirst(60))\n>b\n\(seqA)\n".write(toFile: fa, atomically: true, encoding: .utf8)
        let seqs = try Prediction.readFasta(path: fa)
        XCTAssertEqual(seqs.map(\.name), ["a", "b"])
        XCTAssertEqual(seqs[0].letters, Array(seqA.utf8))
        try "ACGT\n".write(toFile: fa, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Prediction.readFasta(path: fa)) { e in XCTAssertTrue("\(e)".contains("line 1"), "\(e)") }

        // A stage-2 model: one column per told cell type plus 'not told'; each equals the model's own output.
        let s1 = try model()
        let arch = Stage2Architecture(channels: 8, cellTypes: 3, preConcat: 4, hidden: 5)
        let m2 = Stage2Model(architecture: arch, stage1: s1, linearStd: 0.3, freezeStage1: true, seed: 3)
        var opts = Prediction.Options()
        opts.threads = 1
        let p = try Prediction.probabilities(model: m2, sequences: [.init(name: "b", letters: Array(seqA.utf8.prefix(101)))], options: opts)
        XCTAssertEqual(p[0].count, 4)
        let x = EncodedSequences(length: 101, codes: Array(seqA.utf8.prefix(101)).map { BaseCode.code(ascii: $0)! })
        let f = m2.features(x, threads: 1)
        XCTAssertEqual(p[0][1], m2.probabilities(features: f, codes: [0, 1, 0])[0], accuracy: 1e-6)
        XCTAssertEqual(p[0][3], m2.probabilities(features: f, codes: [0, 0, 0])[0], accuracy: 1e-6)
    }

    func testVariantsUseReferenceAndAlternativeAllele() throws {
        let m = try model()
        let genome = try Genome(path: fixturePath("preprocess/genome.fa.gz"))
        let chr = genome.names[0]
        let ref = try genome.letters(of: [GenomeRegion(chrom: 0, start: 20_000, end: 20_001, strand: .plus)])[0] & 0xDF
        let alt: UInt8 = ref == UInt8(ascii: "A") ? UInt8(ascii: "C") : UInt8(ascii: "A")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-vcf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vcf = dir.appendingPathComponent("v.vcf").path
        try "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n\(chr)\t20001\trs1\t\(Character(UnicodeScalar(ref)))\t\(Character(UnicodeScalar(alt)))\n\(chr)\t20001\t.\tAT\tA\n"
            .write(toFile: vcf, atomically: true, encoding: .utf8)
        let (variants, skipped) = try Prediction.readVCF(path: vcf)
        XCTAssertEqual(variants.count, 1)
        XCTAssertEqual(skipped, 1)
        let (refs, alts) = try Prediction.alleleWindows(variants, genome: genome, length: 101, vcfPath: vcf)
        XCTAssertEqual(refs[0].letters[50] & 0xDF, ref)
        XCTAssertEqual(alts[0].letters[50], alt)
        XCTAssertEqual(Array(refs[0].letters[0..<50]), Array(alts[0].letters[0..<50]))
        // A wrong REF is reported with its line.
        try "\(chr)\t20001\t.\t\(Character(UnicodeScalar(alt)))\tG\n".write(toFile: vcf, atomically: true, encoding: .utf8)
        let (wrong, _) = try Prediction.readVCF(path: vcf)
        XCTAssertThrowsError(try Prediction.alleleWindows(wrong, genome: genome, length: 101, vcfPath: vcf)) { e in
            XCTAssertTrue("\(e)".contains("line 1: REF"), "\(e)")
        }
        _ = m
    }
}

/// Small deterministic generator for test data.
struct SplitMixRandomForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
    }
}
