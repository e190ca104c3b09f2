import Foundation
import Genomics
import Storage
import XCTest
@testable import SigTFB

/// End to end: peak files + genome → merged BED, activity table, FASTA and the Basset-layout HDF5,
/// on the committed demo fixtures (Tests/Fixtures/preprocess), plus every bad-input case.
final class PreprocessTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/preprocess")
    private static let tfabs = ["CEBPB.ENCAB102SYN", "CTCF.ENCAB101SYN", "MAX.ENCAB103SYN"]

    private func fixture(_ rel: String) -> String { Self.root.appendingPathComponent(rel).path }
    private func fixtureBytes(_ rel: String) throws -> [UInt8] { try ByteSource.readAll(path: fixture(rel)) }

    private func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-prep-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The demo genome, decompressed (plain: memory-mapped, .fai built on first use).
    private func plainGenome(in dir: String) throws -> String {
        let path = dir + "/genome.fa"
        try Data(try fixtureBytes("genome.fa.gz")).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func quiet(_ o: PreprocessOptions) -> Preprocessor { Preprocessor(options: o, log: { _ in }) }

    private func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h ^= UInt64(b); h = h &* 0x100_0000_01b3 }
        return h
    }

    /// Rows of a dataset as Basset's h5 digest was made: letters (N for code 4, 0 for code 5), tab, labels.
    private func rowLines(_ x: EncodedSequences, _ y: LabelMatrix) -> [String] {
        (0..<x.count).map { i in
            String(x[i].map { $0 == BaseCode.zero ? "0" : BaseCode.letter($0) })
                + "\t" + (0..<y.columns).map { String(y[i, $0]) }.joined()
        }
    }

    func testDemoTFABsMatchBassetExactlyAndHDF5RoundTrips() throws {
        let dir = try tempDir()
        let genome = try plainGenome(in: dir)
        let digests = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("basset_h5_rows.json"))) as! [String: Any]
        for tfab in Self.tfabs {
            var o = PreprocessOptions(peaksDirectory: fixture("peaks/\(tfab)"), genomePath: genome, outputPath: "\(dir)/out/\(tfab).h5")
            o.chromSizesPath = fixture("chrom.sizes")
            o.fastaOutputPath = "\(dir)/out/\(tfab).fa"
            let summary = try quiet(o).run()
            // Basset's merged BED, activity table and bedtools FASTA, byte for byte.
            XCTAssert(try ByteSource.readAll(path: "\(dir)/out/\(tfab).bed") == fixtureBytes("merged/\(tfab).bed.gz"), "\(tfab) BED")
            XCTAssert(try ByteSource.readAll(path: "\(dir)/out/\(tfab)_act.txt") == fixtureBytes("merged/\(tfab)_act.txt.gz"), "\(tfab) act")
            XCTAssert(try ByteSource.readAll(path: "\(dir)/out/\(tfab).fa") == fixtureBytes("merged/\(tfab).fa.gz"), "\(tfab) FASTA")
            // The HDF5, read back by our stage-1 reader: train ∪ test equals Basset's rows.
            let ds = try BassetH5.read(path: o.outputPath)
            let expected = digests[tfab] as! [String: Any]
            XCTAssertEqual(ds.trainIn.count + ds.testIn.count, expected["rows"] as? Int, tfab)
            XCTAssertEqual(ds.testIn.count, expected["test"] as? Int, "\(tfab): floor(5 %) as the original")
            XCTAssertEqual(summary.testCount, ds.testIn.count)
            XCTAssertNil(ds.validIn)
            XCTAssertEqual(ds.sequenceLength, 101)
            XCTAssertEqual(ds.targetLabels, summary.cellTypes)
            XCTAssertEqual(ds.targetLabels, ds.targetLabels.sorted())
            let rows = (rowLines(ds.trainIn, ds.trainOut) + rowLines(ds.testIn, ds.testOut)).sorted()
            XCTAssertEqual(String(fnv1a64(Array(rows.joined(separator: "\n").utf8)), radix: 16), expected["fnv1a64"] as? String,
                           "\(tfab): train+test rows differ from Basset's HDF5")
            // Test headers name the test rows' features.
            let bedLines = String(decoding: try ByteSource.readAll(path: "\(dir)/out/\(tfab).bed"), as: UTF8.self).split(separator: "\n")
            let names = Set(bedLines.map { l -> String in let f = l.split(separator: "\t"); return "\(f[0]):\(f[1])-\(f[2])(\(f[5]))" })
            XCTAssertEqual(ds.testHeaders.count, ds.testIn.count)
            XCTAssert(ds.testHeaders.allSatisfy { names.contains($0) })
            XCTAssertEqual(summary.nBases, rows.reduce(0) { $0 + $1.filter { $0 == "N" }.count })
        }
        // Same seed, same file; the .fai was built once and is reused.
        XCTAssertTrue(FileManager.default.fileExists(atPath: genome + ".fai"))
    }

    func testCompressedGenomeSeedsChromosomeSplitValidationAndNOptions() throws {
        let dir = try tempDir()
        let tfab = "CTCF.ENCAB101SYN"
        var o = PreprocessOptions(peaksDirectory: fixture("peaks/\(tfab)"), genomePath: fixture("genome.fa.gz"), outputPath: "\(dir)/a.h5")
        let a = try quiet(o).compute()
        o.outputPath = "\(dir)/b.h5"
        let b = try quiet(o).compute()
        XCTAssertEqual(a.dataset, b.dataset, "deterministic for a seed")
        XCTAssert(a.bedText == (try fixtureBytes("merged/\(tfab).bed.gz")), "gzip genome, lengths from streaming")
        o.seed = 2
        XCTAssertNotEqual(try quiet(o).compute().dataset.testHeaders, a.dataset.testHeaders)

        // Held-out chromosome + validation fraction.
        o.testSplit = .chromosomes(["chrX"])
        o.validFraction = 0.1
        let c = try quiet(o).compute()
        XCTAssertEqual(c.dataset.testIn.count, 806)
        XCTAssert(c.dataset.testHeaders.allSatisfy { $0.hasPrefix("chrX:") })
        let rest = 3674 - 806
        XCTAssertEqual(c.dataset.validIn?.count, rest / 10)
        XCTAssertEqual(c.dataset.trainIn.count, rest - rest / 10)
        try quiet(o).write(c)
        let back = try BassetH5.read(path: o.outputPath)
        XCTAssertEqual(back.validIn?.count, rest / 10)
        XCTAssertEqual(back, c.dataset)

        // N as all-zero columns; dropping N-rich features.
        o = PreprocessOptions(peaksDirectory: fixture("peaks/\(tfab)"), genomePath: fixture("genome.fa.gz"), outputPath: "\(dir)/n.h5")
        o.nEncoding = .zeros
        let z = try quiet(o).compute()
        XCTAssertFalse(z.dataset.trainIn.codes.contains(BaseCode.n))
        XCTAssertEqual(z.summary.nBases, a.summary.nBases)
        o.maxNFraction = 0
        let d = try quiet(o).compute()
        XCTAssertEqual(d.summary.droppedForN, a.summary.featuresWithN)
        XCTAssertEqual(d.summary.mergedFeatures, 3674 - a.summary.featuresWithN)
        XCTAssertEqual(d.bedText.split(separator: 0x0A).count, d.summary.mergedFeatures)
    }

    func testSummitCentringAndChromosomeFilters() throws {
        let dir = try tempDir()
        let peaks = dir + "/peaks"
        try FileManager.default.createDirectory(atPath: peaks, withIntermediateDirectories: true)
        try write(dir + "/g.fa", ">chr1\n" + String(repeating: "ACGTACGTAC", count: 100) + "\n>chrY\nACGTACGTAC\n>chr1_random\nACGTACGTAC\n")
        try write(peaks + "/A.bed", "chr1\t100\t300\tp\t1\t.\t1\t1\t1\t10\nchrY\t0\t5\tp\t1\t.\t1\t1\t1\t2\nchr1_random\t1\t4\tp\t1\t.\t1\t1\t1\t-1\n")
        try write(peaks + "/B.narrowPeak", "chr1\t600\t700\tp\t1\t-\t1\t1\t1\t-1\n")
        var o = PreprocessOptions(peaksDirectory: peaks, genomePath: dir + "/g.fa", outputPath: dir + "/o.h5")
        o.sequenceLength = 10
        o.testSplit = .fraction(0)
        o.primaryOnly = true
        o.center = .summit
        let r = try quiet(o).compute()
        XCTAssertEqual(String(decoding: r.bedText, as: UTF8.self),
                       "chr1\t105\t115\t.\t1\t+\t0\nchr1\t645\t655\t.\t1\t-\t1\n")
        XCTAssertEqual(r.summary.peaksFilteredByChromosome, 2)
        XCTAssertEqual(r.dataset.trainIn.count, 2)
        o.primaryOnly = false
        o.ignoreChrY = true
        o.center = .midpoint
        let m = try quiet(o).compute()
        XCTAssertEqual(m.summary.peaksFilteredByChromosome, 1)
        XCTAssertEqual(m.features.count, 3)
        XCTAssertEqual(m.features[0].start, 195)
        // The minus-strand feature is reverse complemented: chr1:645-655 = "ACGTACGTAC"[5...] …
        XCTAssertEqual(m.dataset.trainIn.count + m.dataset.testIn.count, 3)
    }

    // MARK: bad input

    private func expectFailure(_ o: PreprocessOptions, _ needle: String, usage: Bool = false,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try quiet(o).run(), file: file, line: line) { e in
            XCTAssert("\(e)".contains(needle), "\(e)", file: file, line: line)
            XCTAssertEqual(e is PreprocessUsageError, usage, "\(e)", file: file, line: line)
            XCTAssertFalse("\(e)".contains("\n"), "one-line message", file: file, line: line)
        }
        for p in [o.outputPath, o.bedOutputPath, o.activityOutputPath] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: p), "nothing half-written: \(p)", file: file, line: line)
        }
        let dir = URL(fileURLWithPath: o.outputPath).deletingLastPathComponent().path
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.contains(".tmp-") } ?? []
        XCTAssertEqual(leftovers, [], file: file, line: line)
    }

    private func smallCase() throws -> (dir: String, peaks: String, options: PreprocessOptions) {
        let dir = try tempDir()
        let peaks = dir + "/peaks"
        try FileManager.default.createDirectory(atPath: peaks, withIntermediateDirectories: true)
        try write(dir + "/g.fa", ">chr1\n" + String(repeating: "ACGTNACGTA\n", count: 20) + ">chr2\nACGTACGTACGTACGTACGT\n")
        try write(peaks + "/A.bed", "chr1\t10\t60\nchr2\t2\t18\n")
        try write(peaks + "/B.bed", "chr1\t100\t150\n")
        var o = PreprocessOptions(peaksDirectory: peaks, genomePath: dir + "/g.fa", outputPath: dir + "/out/T.A.h5")
        o.sequenceLength = 10
        o.testSplit = .fraction(0)
        return (dir, peaks, o)
    }

    func testSmallCaseWorks() throws {
        let (_, _, o) = try smallCase()
        let s = try quiet(o).run()
        XCTAssertEqual(s.mergedFeatures, 3)
        XCTAssertEqual(s.nBases, 2)  // one N per 10 bases of chr1, two chr1 features
        XCTAssertEqual(s.featuresWithN, 2)
        XCTAssertEqual(try BassetH5.read(path: o.outputPath).trainIn.count, 3)
        var strict = o
        strict.maxNFraction = 0.05
        let r = try quiet(strict).compute()
        XCTAssertEqual(r.summary.droppedForN, 2)
        XCTAssertEqual(String(decoding: r.bedText, as: UTF8.self), "chr2\t5\t15\t.\t1\t+\t0\n")
        XCTAssertEqual(r.dataset.trainIn.string(0), "CGTACGTACG")
    }

    func testMalformedLineNamesFileAndLine() throws {
        let (_, peaks, o) = try smallCase()
        try write(peaks + "/B.bed", "chr1\t100\t150\nchr1\t100\n")
        expectFailure(o, "B.bed:2: expected at least 3")
    }

    func testStartNotBelowEndAndNegative() throws {
        let (_, peaks, o) = try smallCase()
        try write(peaks + "/B.bed", "chr1\t150\t100\n")
        expectFailure(o, "B.bed:1: start (150) is not below end (100)")
        try write(peaks + "/B.bed", "# x\nchr1\t-1\t100\n")
        expectFailure(o, "B.bed:2: negative start coordinate -1")
    }

    func testDuplicateCellTypesAndEmptyFiles() throws {
        let (_, peaks, o) = try smallCase()
        try write(peaks + "/B.bed", "")
        expectFailure(o, "B.bed: no peaks (empty file)")
        try write(peaks + "/B.bed", "chr1\t100\t150\n")
        try Data(try fixtureBytes("peaks/MAX.ENCAB103SYN/K562.bed.gz").prefix(0)).write(to: URL(fileURLWithPath: peaks + "/B.rep2.bed.gz"))
        expectFailure(o, "cell type 'B' also comes from")
    }

    func testPeakOffChromosomeEnd() throws {
        let (_, peaks, o) = try smallCase()
        try write(peaks + "/B.bed", "chr2\t10\t25\n")
        expectFailure(o, "B.bed:1: peak chr2:10-25 runs past the end of chr2 (length 20")
    }

    func testUnknownChromosomesErrorOrSkip() throws {
        var (_, peaks, o) = try smallCase()
        try write(peaks + "/B.bed", "chr1\t100\t150\nchr7\t1\t5\nchr7\t6\t9\nchrUn\t1\t5\n")
        expectFailure(o, "peaks on chromosomes absent from the genome: chr7 (2 peaks, first at \(peaks)/B.bed:2), chrUn (1 peaks")
        o.skipUnknownChromosomes = true
        let s = try quiet(o).run()
        XCTAssertEqual(s.skippedUnknown, ["chr7": 2, "chrUn": 1])
        XCTAssertEqual(s.mergedFeatures, 3)
    }

    func testCharactersOutsideACGTN() throws {
        let (dir, _, o) = try smallCase()
        try write(dir + "/g.fa", ">chr1\n" + String(repeating: "ACGTNACGTA\n", count: 3) + "ACGTNRCGTA\n" + String(repeating: "ACGTNACGTA\n", count: 16) + ">chr2\nACGTACGTACGTACGTACGT\n")
        expectFailure(o, "g.fa: chr1:36: character 'R' is not one of ACGTN")
    }

    func testFaiNotMatchingFasta() throws {
        let (dir, _, o) = try smallCase()
        try write(dir + "/g.fa.fai", "chr1\t200\t6\t10\t11\nchr2\t20\t300\t20\t21\n")
        expectFailure(o, "g.fa.fai: does not match")
    }

    func testChromSizesDisagreeingWithGenome() throws {
        var (dir, _, o) = try smallCase()
        try write(dir + "/sizes", "chr1\t200\nchr2\t25\n")
        o.chromSizesPath = dir + "/sizes"
        expectFailure(o, "sizes:2: chr2 has length 25 here but 20")
        try write(dir + "/sizes", "chr1 two hundred\n")
        expectFailure(o, "sizes:1: expected")
    }

    func testUsageErrors() throws {
        var (_, _, o) = try smallCase()
        o.testSplit = .fraction(0.6)
        o.validFraction = 0.5
        expectFailure(o, "must leave some training data", usage: true)
        o.validFraction = 0
        o.testSplit = .chromosomes(["chr9"])
        expectFailure(o, "--test-chromosomes: chr9 not in", usage: true)
        o.testSplit = .fraction(0.05)
        o.sequenceLength = 0
        expectFailure(o, "--seq-length must be positive", usage: true)
        o.sequenceLength = 10
        o.outputPath = o.outputStem + ".bed"
        expectFailure(o, "--out must name an .h5", usage: true)
    }

    func testSequenceLongerThanChromosome() throws {
        var (_, peaks, o) = try smallCase()
        try write(peaks + "/A.bed", "chr2\t2\t18\n")
        try write(peaks + "/B.bed", "chr2\t3\t18\n")
        o.sequenceLength = 50
        expectFailure(o, "chr2 (20 bp) is shorter than --seq-length 50")
    }
}
