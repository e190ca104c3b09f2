import XCTest
@testable import Motifs

final class MotifComparatorTests: XCTestCase {
    static let db = MotifTestSupport.jaspar.motifs
    static let comparator = MotifComparator(database: db)

    func testColumnSimilarity() {
        let a: [Double] = [1, 0, 0, 0], u: [Double] = [0.25, 0.25, 0.25, 0.25]
        XCTAssertEqual(MotifComparator.columnSimilarity(a[...], a[...], similarity: .pearson), 1, accuracy: 1e-12)
        XCTAssertEqual(MotifComparator.columnSimilarity(a[...], u[...], similarity: .pearson), 0)
        XCTAssertEqual(MotifComparator.columnSimilarity(a[...], [0, 1, 0, 0][...], similarity: .pearson), -1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(MotifComparator.columnSimilarity(a[...], [0, 1, 0, 0][...], similarity: .euclidean), -2.0.squareRoot(), accuracy: 1e-12)
    }

    func testBenjaminiHochberg() {
        let q = MotifComparator.benjaminiHochberg([0.01, 0.04, 0.03, 0.5])
        XCTAssertEqual(q[0], 0.04, accuracy: 1e-12)
        XCTAssertEqual(q[1], 0.04 * 4 / 3, accuracy: 1e-12)
        XCTAssertEqual(q[2], 0.04 * 4 / 3, accuracy: 1e-12)
        XCTAssertEqual(q[3], 0.5, accuracy: 1e-12)
    }

    func testSelfMatchAtOffsetZero() throws {
        let ctcf = try XCTUnwrap(Self.db.first { $0.id == "MA0139.2" })
        let m = Self.comparator.compare(ctcf, top: 5)
        XCTAssertEqual(m.count, 5)
        XCTAssertEqual(m[0].targetID, "MA0139.2")
        XCTAssertEqual(m[0].targetName, "CTCF")
        XCTAssertEqual(m[0].offset, 0)
        XCTAssertEqual(m[0].strand, .forward)
        XCTAssertEqual(m[0].overlap, 15)
        XCTAssertLessThan(m[0].pValue, 1e-8)
        XCTAssertLessThan(m[0].qValue, 1e-5)
        XCTAssertEqual(m[0].eValue, m[0].pValue * 879, accuracy: 1e-15)
        XCTAssertEqual(m[0].score, 15, accuracy: 1e-9)
        XCTAssertTrue(zip(m, m.dropFirst()).allSatisfy { $0.pValue <= $1.pValue })
    }

    func testReverseComplementMatchesMinusStrand() throws {
        let ctcf = try XCTUnwrap(Self.db.first { $0.id == "MA0139.2" })
        let m = Self.comparator.compare(ctcf.reverseComplement, top: 1)
        XCTAssertEqual(m[0].targetID, "MA0139.2")
        XCTAssertEqual(m[0].strand, .reverse)
        XCTAssertEqual(m[0].offset, 0)
        // A shifted piece inside wider random flanks is found at its offset.
        let u = [0.25, 0.25, 0.25, 0.25]
        let noisy = (0..<4).map { _ in u } + ctcf.rows + (0..<5).map { _ in u }
        let m2 = Self.comparator.compare(PWM(id: "q", rows: noisy), top: 1)
        XCTAssertEqual(m2[0].targetID, "MA0139.2")
        XCTAssertEqual(m2[0].offset, 4)
        XCTAssertEqual(m2[0].strand, .forward)
    }

    func testPlantedSitesRankTheirMotifFirst() throws {
        // PWMs estimated from 150 sites sampled from a JASPAR motif, embedded in 24 columns of
        // random flanks like a filter PWM, find that motif first among all 879.
        var rng = TestRandom(seed: 2024)
        for id in ["MA0139.2", "MA0466.4", "MA0114.5"] {
            let target = try XCTUnwrap(Self.db.first { $0.id == id })
            let left = (24 - target.width) / 2
            let sites = (0..<150).map { _ in
                rng.randomDNA(left) + rng.sample(target) + rng.randomDNA(24 - target.width - left)
            }
            let q = PWM(id: "planted", sites: sites)
            let m = Self.comparator.compare(q, top: 3)
            XCTAssertEqual(m[0].targetID, id, "\(id): top matches \(m.map { "\($0.targetID) \($0.targetName) p=\($0.pValue)" })")
            XCTAssertEqual(m[0].offset, left)
            XCTAssertLessThan(m[0].qValue, 0.01)
        }
    }

    func testRandomQueryIsNotSignificant() {
        var rng = TestRandom(seed: 5)
        let sites = (0..<200).map { _ in rng.randomDNA(12) }
        let m = Self.comparator.compare(PWM(id: "noise", sites: sites), top: 1)
        XCTAssertGreaterThan(m[0].qValue, 0.05)
    }

    func testEuclideanAndSingleStrand() throws {
        let ctcf = try XCTUnwrap(Self.db.first { $0.id == "MA0139.2" })
        let ed = MotifComparator(database: Self.db, options: MotifComparatorOptions(similarity: .euclidean))
        let m = ed.compare(ctcf, top: 1)
        XCTAssertEqual(m[0].targetID, "MA0139.2")
        XCTAssertEqual(m[0].score, 0, accuracy: 1e-12)
        let fwd = MotifComparator(database: Self.db, options: MotifComparatorOptions(bothStrands: false))
        let r = fwd.compare(ctcf.reverseComplement, top: 1)
        XCTAssertNotEqual(r[0].targetID, "MA0139.2")
        let all = Self.comparator.compareAll([ctcf, ctcf.reverseComplement], top: 1)
        XCTAssertEqual(all.map { $0[0].strand }, [.forward, .reverse])
    }
}
