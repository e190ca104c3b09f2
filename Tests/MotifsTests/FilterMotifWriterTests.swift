import Foundation
import XCTest
@testable import Motifs

final class FilterMotifWriterTests: XCTestCase {
    func testMEMEAndSummary() throws {
        let (seqs, _) = FilterPWMBuilderTests.plantedSequences()
        let results = FilterPWMBuilder.build(filters: FilterPWMBuilderTests.filters(), sequences: seqs)
        let comparator = MotifComparator(database: MotifTestSupport.jaspar.motifs)
        let matches = comparator.compareAll(results.map { $0.pwm.trimmed() }, top: 3)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("motifs-writer-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try FilterMotifWriter.write(results, matches: matches, to: dir)
        let meme = try MEMEFile(contentsOf: out.meme)
        XCTAssertEqual(meme.motifs.map(\.id), ["filter_0", "filter_1", "filter_2"])
        XCTAssertEqual(meme.motifs[0].siteCount, Double(results[0].siteCount))
        XCTAssertEqual(meme.motifs[0].width, 24)
        let lines = try String(contentsOf: out.summary, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0].map(String.init), FilterMotifWriter.summaryColumns)
        XCTAssertTrue(lines.allSatisfy { $0.count == FilterMotifWriter.summaryColumns.count })
        XCTAssertEqual(lines[1][0], "0")
        XCTAssertEqual(lines[1][1], Substring(String(results[0].siteCount)))
        XCTAssertTrue(lines[1][3].contains("GATTACAGCG"))
        XCTAssertNotEqual(lines[1][4], "NA")
        XCTAssertEqual(lines[3][1], "0")
        XCTAssertEqual(lines[3][4], "NA")   // no sites, no match
    }
}
