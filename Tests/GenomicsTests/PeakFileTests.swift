import Foundation
import XCTest
@testable import Genomics

final class PeakFileTests: XCTestCase {
    func parse(_ text: String, summit: Bool = false) throws -> ([PeakRecord], ChromosomeNames) {
        var names = ChromosomeNames()
        let peaks = try PeakFileParser.parse(Array(text.utf8), path: "cells/K562.bed", names: &names, readSummit: summit)
        return (peaks, names)
    }

    func assertError(_ text: String, line: Int?, contains: String, summit: Bool = false,
                     file: StaticString = #filePath, lineNo: UInt = #line) {
        XCTAssertThrowsError(try parse(text, summit: summit), file: file, line: lineNo) { error in
            guard let e = error as? GenomicsError else { return XCTFail("unexpected \(error)", file: file, line: lineNo) }
            XCTAssertEqual(e.file, "cells/K562.bed", file: file, line: lineNo)
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: lineNo)
            XCTAssert(e.description.contains(contains), "\(e)", file: file, line: lineNo)
            XCTAssert(e.description.hasPrefix("cells/K562.bed:\(line.map(String.init) ?? "")"), "\(e)", file: file, line: lineNo)
        }
    }

    func testNarrowPeakBed3CommentsTrackBrowserAndCRLF() throws {
        let text = """
            track name=peaks\r
            browser position chr1:1-100
            # comment
            chr1\t100\t300\tp1\t900\t.\t5.0\t10\t8\t60

            chr2\t5\t10\r
            chr1\t50\t70\tx\t0\t-
            chr1 7 9
            """
        let (peaks, names) = try parse(text)
        XCTAssertEqual(peaks.count, 4)
        XCTAssertEqual(names.names, ["chr1", "chr2"])
        XCTAssertEqual(peaks[0], PeakRecord(chrom: 0, start: 100, end: 300, strand: .plus, summit: -1, line: 4))
        XCTAssertEqual(peaks[1], PeakRecord(chrom: 1, start: 5, end: 10, strand: .plus, summit: -1, line: 6))
        XCTAssertEqual(peaks[2].strand, .minus)
        XCTAssertEqual(peaks[3].start, 7)
        let (withSummit, _) = try parse("chr1\t100\t300\tp\t1\t.\t1\t1\t1\t60\nchr1\t1\t9\tp\t1\t.\t1\t1\t1\t-1\n", summit: true)
        XCTAssertEqual(withSummit.map(\.summit), [60, -1])
    }

    func testMalformedLinesNameFileAndLine() {
        assertError("chr1\t1\t5\nchr1\t7\n", line: 2, contains: "expected at least 3")
        assertError("chr1\tabc\t5\n", line: 1, contains: "column 2 (start) is not an integer: 'abc'")
        assertError("chr1\t1\t5x\n", line: 1, contains: "column 3 (end) is not an integer")
        assertError("chr1\t1\t\n", line: 1, contains: "column 3 (end) is empty")
        assertError("\t1\t5\n", line: 1, contains: "empty chromosome name")
    }

    func testStartNotBelowEnd() {
        assertError("chr1\t10\t20\nchr1\t500\t400\n", line: 2, contains: "start (500) is not below end (400)")
        assertError("chr1\t5\t5\n", line: 1, contains: "start (5) is not below end (5)")
    }

    func testNegativeCoordinates() {
        assertError("chr1\t-5\t20\n", line: 1, contains: "negative start coordinate -5")
        assertError("chr1\t5\t-2\n", line: 1, contains: "negative end coordinate -2")
    }

    func testSummitNeedsColumnTenInsideThePeak() {
        assertError("chr1\t1\t50\n", line: 1, contains: "--center summit needs narrowPeak column 10", summit: true)
        assertError("chr1\t0\t50\tp\t1\t.\t1\t1\t1\t50\n", line: 1, contains: "summit offset 50 lies outside the peak", summit: true)
    }

    func testEmptyFileGivesNoPeaks() throws {
        XCTAssertEqual(try parse("").0.count, 0)
        XCTAssertEqual(try parse("# only a comment\n\n").0.count, 0)
    }

    func testDirectoryListingCellTypesSortedAndDuplicatesRejected() throws {
        let dir = try makeTempDir(self)
        for name in ["K562.bed", "HepG2.narrowPeak.gz", "A549.optimal.bed.gz", "README.txt", ".hidden.bed"] {
            try writeFile(dir + "/" + name, "chr1\t1\t5\n")
        }
        let (files, ignored) = try PeakDirectory.list(dir)
        XCTAssertEqual(files.map(\.cellType), ["A549", "HepG2", "K562"])
        XCTAssertEqual(ignored, ["README.txt"])
        try writeFile(dir + "/K562.rep2.bed", "chr1\t1\t5\n")
        XCTAssertThrowsError(try PeakDirectory.list(dir)) { e in
            XCTAssert("\(e)".contains("cell type 'K562' also comes from"), "\(e)")
        }
        let empty = try makeTempDir(self)
        XCTAssertThrowsError(try PeakDirectory.list(empty)) { e in XCTAssert("\(e)".contains("no peak files"), "\(e)") }
        XCTAssertThrowsError(try PeakDirectory.list(empty + "/nope")) { e in XCTAssert("\(e)".contains("not found"), "\(e)") }
    }

    func testGzipAndMultiMemberPeakFiles() throws {
        let dir = try makeTempDir(self)
        let text = Array("chr1\t10\t20\nchr1\t30\t40\n".utf8)
        try writeFile(dir + "/A.bed.gz", gzipMember(Array(text[0..<11])) + gzipMember(Array(text[11...])))
        var names = ChromosomeNames()
        let peaks = try PeakFileParser.parse(path: dir + "/A.bed.gz", names: &names)
        XCTAssertEqual(peaks.map(\.start), [10, 30])
        // A truncated gzip file is an error, not silently fewer peaks.
        let gz = gzipMember(text)
        try writeFile(dir + "/B.bed.gz", Array(gz[0..<(gz.count - 10)]))
        XCTAssertThrowsError(try PeakFileParser.parse(path: dir + "/B.bed.gz", names: &names)) { e in
            XCTAssert("\(e)".contains("B.bed.gz"), "\(e)")
        }
    }
}

final class BassetMergerTests: XCTestCase {
    let merger = BassetMerger(featureSize: 101, mergeOverlap: 30)

    func testMidpointUsesFloorDivision() {
        XCTAssertEqual(PeakPoint.midpoint(start: 100, end: 201), 150)
        XCTAssertEqual(PeakPoint.midpoint(start: 100, end: 200), 150)
        XCTAssertEqual(PeakPoint.midpoint(start: -3, end: 0), -2)  // Python 2: -3/2 == -2
    }

    func testSingleFeatureExtensionAndCaps() {
        let out = merger.merge([PeakPoint(chrom: 0, strand: .plus, center: 1000, cell: 1),
                                PeakPoint(chrom: 0, strand: .plus, center: 10, cell: 0),
                                PeakPoint(chrom: 0, strand: .minus, center: 1990, cell: 0)],
                               chromLengths: [2000])
        XCTAssertEqual(out.map { [$0.start, $0.end] }, [[0, 101], [950, 1051], [1899, 2000]])
        XCTAssertEqual(out.map(\.strand), [.plus, .plus, .minus])
        XCTAssertEqual(out[1].activity.members, [1])
    }

    func testWeightedMergeRoundsHalfUp() {
        // Mids 1000 (weight 2) and 1060 (weight 2): overlap 41 ≥ 30, merged mid int(0.5 + 1030) = 1030.
        var out = merger.merge([PeakPoint(chrom: 0, strand: .plus, center: 1000, cell: 0),
                                PeakPoint(chrom: 0, strand: .plus, center: 1060, cell: 1)], chromLengths: [nil])
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0].start, 980)
        XCTAssertEqual(out[0].activity.members, [0, 1])
        // Mids 1000 (one peak) and 1001: avg 1000.5 → 1001 (int(0.5 + avg)).
        out = merger.merge([PeakPoint(chrom: 0, strand: .plus, center: 1000, cell: 0),
                            PeakPoint(chrom: 0, strand: .plus, center: 1001, cell: 1)], chromLengths: [nil])
        XCTAssertEqual(out[0].start, 1001 - 50)
        // Overlap 29 < 30: kept apart.
        out = merger.merge([PeakPoint(chrom: 0, strand: .plus, center: 1000, cell: 0),
                            PeakPoint(chrom: 0, strand: .plus, center: 1072, cell: 1)], chromLengths: [nil])
        XCTAssertEqual(out.count, 2)
    }

    func testActivityAboveSixtyFourCellTypes() {
        var s = ActivitySet([3, 70, 200])
        s.formUnion(ActivitySet([64, 3]))
        XCTAssertEqual(s.members, [3, 64, 70, 200])
        XCTAssertEqual(s.count, 4)
        XCTAssertTrue(s.contains(200))
        XCTAssertFalse(s.contains(199))
    }
}
