import Foundation
import XCTest
@testable import Genomics

/// Our merge, activity table and sequences against the byte-exact outputs of Basset's own
/// `preprocess_features.py -m 30 -s 101` and `bedtools getfasta -s` on the demo data.
final class BassetExactnessTests: XCTestCase {
    struct Merged {
        var features: [MergedPeak]
        var cellTypes: [String]
        var chromNames: [String]
    }

    /// Reads the fixture peaks of one TF-AB and merges them with chromosomes in `chrom.sizes` order.
    func merge(_ tfab: String) throws -> Merged {
        let sizes = String(decoding: try Fixtures.bytes("chrom.sizes"), as: UTF8.self)
            .split(separator: "\n").map { $0.split(separator: "\t") }
        let chromNames = sizes.map { String($0[0]) }
        let lengths = sizes.map { Int($0[1])! }
        let (files, _) = try PeakDirectory.list(Fixtures.path("peaks/\(tfab)"))
        var names = ChromosomeNames()
        var points = [PeakPoint]()
        for (cell, f) in files.enumerated() {
            for p in try PeakFileParser.parse(path: f.path, names: &names) {
                let rank = try XCTUnwrap(chromNames.firstIndex(of: names[p.chrom]))
                points.append(PeakPoint(chrom: rank, strand: p.strand,
                                        center: PeakPoint.midpoint(start: p.start, end: p.end), cell: cell))
            }
        }
        let merger = BassetMerger(featureSize: 101, mergeOverlap: 30)
        return Merged(features: merger.merge(points, chromLengths: lengths.map { $0 }),
                      cellTypes: files.map(\.cellType), chromNames: chromNames)
    }

    func testMergedBedAndActivityTableAreByteIdentical() throws {
        for tfab in Fixtures.tfabs {
            let m = try merge(tfab)
            let bed = ActivityTable.bedText(m.features, chromNames: m.chromNames)
            let act = ActivityTable.tableText(m.features, chromNames: m.chromNames, cellTypes: m.cellTypes)
            let expectedBed = try Fixtures.bytes("merged/\(tfab).bed.gz")
            let expectedAct = try Fixtures.bytes("merged/\(tfab)_act.txt.gz")
            XCTAssertEqual(bed.count, expectedBed.count, "\(tfab) BED size")
            XCTAssert(bed == expectedBed, "\(tfab): merged BED differs from Basset's; first difference at byte \(firstDifference(bed, expectedBed))")
            XCTAssert(act == expectedAct, "\(tfab): activity table differs from Basset's; first difference at byte \(firstDifference(act, expectedAct))")
        }
    }

    func testSequencesMatchBedtoolsGetfastaPlainAndCompressed() throws {
        let dir = try makeTempDir(self)
        let plain = dir + "/genome.fa"
        try writeFile(plain, try Fixtures.bytes("genome.fa.gz"))
        let indexed = try Genome(path: plain)
        XCTAssertTrue(FileManager.default.fileExists(atPath: plain + ".fai"), "the .fai is built when missing")
        XCTAssertEqual(String(decoding: try ByteSource.readAll(path: plain + ".fai"), as: UTF8.self),
                       "chr1\t900000\t6\t60\t61\nchr2\t660000\t915012\t60\t61\nchrX\t440000\t1586018\t60\t61\n",
                       "same index as samtools faidx")
        let streamed = try Genome(path: Fixtures.path("genome.fa.gz"))
        XCTAssertTrue(streamed.isCompressed)
        XCTAssertEqual(streamed.names, indexed.names)
        XCTAssertEqual(streamed.lengths, indexed.lengths)
        for tfab in Fixtures.tfabs {
            let m = try merge(tfab)
            XCTAssertEqual(m.chromNames, indexed.names)
            let regions = m.features.map { GenomeRegion(chrom: $0.chrom, start: $0.start, end: $0.end, strand: $0.strand) }
            let expected = try Fixtures.bytes("merged/\(tfab).fa.gz")
            for genome in [indexed, streamed] {
                let letters = try genome.letters(of: regions)
                var fasta = [UInt8]()
                for (i, f) in m.features.enumerated() {
                    fasta.append(contentsOf: ">\(ActivityTable.header(chrom: m.chromNames[f.chrom], start: f.start, end: f.end, strand: f.strand))\n".utf8)
                    fasta.append(contentsOf: letters[(i * 101)..<((i + 1) * 101)])
                    fasta.append(0x0A)
                }
                XCTAssert(fasta == expected, "\(tfab) (\(genome.isCompressed ? "gzip" : "plain")): FASTA differs from bedtools getfasta -s at byte \(firstDifference(fasta, expected))")
            }
        }
    }

    func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    }
}
