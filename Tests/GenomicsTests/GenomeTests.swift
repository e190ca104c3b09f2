import Foundation
import XCTest
@testable import Genomics

final class GenomeTests: XCTestCase {
    /// chrA = 25 bases over lines of 10, soft-masked in part; chrB = 7 bases.
    let fasta = ">chrA description\nACGTacgtNN\nAAAACCCCGG\nGGGTT\n>chrB\nNNacGTA\n"
    let chrA = "ACGTacgtNNAAAACCCCGGGGGTT"

    func genomes(_ text: String? = nil) throws -> [Genome] {
        let dir = try makeTempDir(self)
        let bytes = Array((text ?? fasta).utf8)
        try writeFile(dir + "/g.fa", bytes)
        // Two gzip members, as BGZF.
        try writeFile(dir + "/g.fa.gz", gzipMember(Array(bytes[0..<17])) + gzipMember(Array(bytes[17...])))
        return [try Genome(path: dir + "/g.fa"), try Genome(path: dir + "/g.fa.gz")]
    }

    func testIndexBuiltAndRegionsStrandAware() throws {
        for g in try genomes() {
            XCTAssertEqual(g.names, ["chrA", "chrB"])
            XCTAssertEqual(g.lengths, [25, 7])
            let letters = try g.letters(of: [GenomeRegion(chrom: 0, start: 2, end: 14, strand: .plus),
                                             GenomeRegion(chrom: 0, start: 2, end: 14, strand: .minus),
                                             GenomeRegion(chrom: 1, start: 0, end: 7, strand: .minus),
                                             GenomeRegion(chrom: 0, start: 0, end: 25, strand: .plus)])
            let s = String(decoding: letters, as: UTF8.self)
            XCTAssertEqual(s, "GTacgtNNAAAA" + "TTTTNNacgtAC" + "TACgtNN" + chrA, g.isCompressed ? "gzip" : "plain")
        }
    }

    func testEncodingNAndSoftMask() throws {
        let letters = Array("ACGTacgtNn".utf8)
        let quarter = try SequenceEncoder.encode(letters, length: 5) { _, _ in "" }
        XCTAssertEqual(quarter.codes, [0, 1, 2, 3, 0, 1, 2, 3, 4, 4])
        XCTAssertEqual(quarter.nCounts, [0, 2])
        let zeros = try SequenceEncoder.encode(letters, length: 5, nEncoding: .zeros) { _, _ in "" }
        XCTAssertEqual(Array(zeros.codes.suffix(2)), [5, 5])
    }

    func testCharactersOutsideACGTNAreRejected() throws {
        let letters = Array("ACGTAACRTA".utf8)
        XCTAssertThrowsError(try SequenceEncoder.encode(letters, length: 5) { s, o in "g.fa: chr1:\(s * 100 + o + 1)" }) { e in
            XCTAssertEqual("\(e)", "g.fa: chr1:103: character 'R' is not one of ACGTN")
        }
    }

    func testStaleOrForeignFaiIsRejected() throws {
        let dir = try makeTempDir(self)
        try writeFile(dir + "/g.fa", fasta)
        // Index of another file: wrong offsets.
        try writeFile(dir + "/g.fa.fai", "chrA\t25\t6\t10\t11\nchrB\t7\t60\t7\t8\n")
        XCTAssertThrowsError(try Genome(path: dir + "/g.fa")) { e in
            XCTAssert("\(e)".contains("g.fa.fai: does not match"), "\(e)")
        }
        // Wrong length.
        try writeFile(dir + "/g.fa.fai", "chrA\t24\t18\t10\t11\nchrB\t7\t52\t7\t8\n")
        XCTAssertThrowsError(try Genome(path: dir + "/g.fa")) { e in
            XCTAssert("\(e)".contains("longer than 24"), "\(e)")
        }
        // Garbage.
        try writeFile(dir + "/g.fa.fai", "chrA\tx\n")
        XCTAssertThrowsError(try Genome(path: dir + "/g.fa")) { e in XCTAssert("\(e)".contains("g.fa.fai:1:"), "\(e)") }
        // The right one is accepted.
        try FileManager.default.removeItem(atPath: dir + "/g.fa.fai")
        _ = try Genome(path: dir + "/g.fa")
        XCTAssertEqual(String(decoding: try ByteSource.readAll(path: dir + "/g.fa.fai"), as: UTF8.self),
                       "chrA\t25\t18\t10\t11\nchrB\t7\t52\t7\t8\n")
        _ = try Genome(path: dir + "/g.fa")
    }

    func testRaggedFastaCannotBeIndexed() throws {
        let dir = try makeTempDir(self)
        try writeFile(dir + "/g.fa", ">c\nACGT\nAC\nACGT\n")
        XCTAssertThrowsError(try Genome(path: dir + "/g.fa")) { e in XCTAssert("\(e)".contains("g.fa:4:"), "\(e)") }
        try writeFile(dir + "/h.fa", ">c\nACGT\nACGTA\n")
        XCTAssertThrowsError(try Genome(path: dir + "/h.fa")) { e in XCTAssert("\(e)".contains("h.fa:3:"), "\(e)") }
        try writeFile(dir + "/i.fa", "ACGT\n")
        XCTAssertThrowsError(try Genome(path: dir + "/i.fa")) { e in XCTAssert("\(e)".contains("before the first"), "\(e)") }
    }

    func testRegionOutsideChromosomeIsAnError() throws {
        for g in try genomes() {
            XCTAssertThrowsError(try g.letters(of: [GenomeRegion(chrom: 1, start: 2, end: 8, strand: .plus)])) { e in
                XCTAssert("\(e)".contains("outside chrB"), "\(e)")
            }
        }
    }
}

final class SplitTests: XCTestCase {
    func testSplitMixIsDeterministicAndUnbiasedRange() {
        var a = SplitMixRandom(seed: 1), b = SplitMixRandom(seed: 1)
        XCTAssertEqual((0..<5).map { _ in a.next() }, (0..<5).map { _ in b.next() })
        // Reference value of SplitMix64 with seed 0 (first output).
        var z = SplitMixRandom(seed: 0)
        XCTAssertEqual(z.next(), 0xE220_A839_7B1D_CDAF)
        var r = SplitMixRandom(seed: 7)
        for _ in 0..<1000 { XCTAssert((0..<3).contains(r.uniform(below: 3))) }
    }

    func testRandomSplitCountsDisjointAndSeeded() {
        let s = TrainTestSplit.random(count: 3674, testFraction: 0.05, validFraction: 0.1, seed: 1)
        XCTAssertEqual(s.test.count, 183)   // floor(3674 · 0.05), as the original pipeline
        XCTAssertEqual(s.valid.count, 367)
        XCTAssertEqual(s.train.count, 3674 - 183 - 367)
        XCTAssertEqual(Set(s.train + s.valid + s.test).count, 3674)
        XCTAssertEqual(s, TrainTestSplit.random(count: 3674, testFraction: 0.05, validFraction: 0.1, seed: 1))
        XCTAssertNotEqual(s, TrainTestSplit.random(count: 3674, testFraction: 0.05, validFraction: 0.1, seed: 2))
    }

    func testChromosomeSplit() {
        let chroms = [0, 1, 2, 1, 0, 2, 2]
        let s = TrainTestSplit.byChromosome(chromOfRow: chroms, testChromosomes: [2], validFraction: 0.5, seed: 3)
        XCTAssertEqual(s.test, [2, 5, 6])
        XCTAssertEqual(s.valid.count, 2)
        XCTAssertEqual(Set(s.train + s.valid), [0, 1, 3, 4])
    }
}
