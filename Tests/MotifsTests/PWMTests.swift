import XCTest
@testable import Motifs

final class PWMTests: XCTestCase {
    func testInformationContentOfKnownColumns() {
        let pwm = PWM(id: "x", rows: [[1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0, 0], [0.7, 0.1, 0.1, 0.1]])
        let ic = pwm.informationContent()
        XCTAssertEqual(ic[0], 2, accuracy: 1e-12)
        XCTAssertEqual(ic[1], 0, accuracy: 1e-12)
        XCTAssertEqual(ic[2], 1, accuracy: 1e-12)
        let h = -(0.7 * log2(0.7) + 3 * 0.1 * log2(0.1))
        XCTAssertEqual(ic[3], 2 - h, accuracy: 1e-12)
        XCTAssertEqual(pwm.totalInformationContent(), 3 + 2 - h, accuracy: 1e-12)
    }

    func testSmallSampleCorrectionAndBackground() {
        var pwm = PWM(id: "x", rows: [[1, 0, 0, 0]], siteCount: 10)
        let e = 3 / (2 * log(2.0) * 10)
        XCTAssertEqual(pwm.informationContent(correctSmallSample: true)[0], 2 - e, accuracy: 1e-12)
        pwm.siteCount = 0
        XCTAssertEqual(pwm.informationContent(correctSmallSample: true)[0], 2, accuracy: 1e-12)
        // Relative entropy against a non-uniform background.
        let skew = PWM(id: "y", rows: [[1, 0, 0, 0]], background: [0.5, 0.5 / 3, 0.5 / 3, 0.5 / 3])
        XCTAssertEqual(skew.informationContent()[0], 1, accuracy: 1e-12)
    }

    func testReverseComplement() {
        let pwm = PWM(id: "x", rows: [[0.7, 0.1, 0.1, 0.1], [0.1, 0.2, 0.3, 0.4]], background: [0.3, 0.2, 0.2, 0.3])
        let rc = pwm.reverseComplement
        XCTAssertEqual(rc.rows[0], [0.4, 0.3, 0.2, 0.1])
        XCTAssertEqual(rc.rows[1], [0.1, 0.1, 0.1, 0.7])
        XCTAssertEqual(rc.background, [0.3, 0.2, 0.2, 0.3])
        XCTAssertEqual(rc.reverseComplement, pwm)
    }

    func testNormalisationCountsAndSites() {
        let pwm = PWM(id: "x", rows: [[2, 2, 0, 0]])
        XCTAssertEqual(pwm.rows[0], [0.5, 0.5, 0, 0])
        let fromCounts = PWM(id: "c", counts: [8, 0, 0, 0], pseudocount: 4)
        XCTAssertEqual(fromCounts.rows[0], [9.0 / 12, 1.0 / 12, 1.0 / 12, 1.0 / 12])
        XCTAssertEqual(fromCounts.siteCount, 8)
        let fromSites = PWM(id: "s", sites: ["AC", "AG", "AN"])
        XCTAssertEqual(fromSites.siteCount, 3)
        XCTAssertEqual(fromSites.rows[0], [1, 0, 0, 0])
        XCTAssertEqual(fromSites[1, 1], 1.25 / 3, accuracy: 1e-12)
    }

    func testTrimmingAndConsensus() {
        let u = [0.25, 0.25, 0.25, 0.25]
        let pwm = PWM(id: "x", rows: [u, u, [1, 0, 0, 0], u, [0, 0.6, 0.2, 0.2], [0.1, 0.1, 0.4, 0.4], u])
        XCTAssertEqual(pwm.trimmedRange(minimumIC: 0.25), 2..<6)
        let t = pwm.trimmed(minimumIC: 0.25)
        XCTAssertEqual(t.width, 4)
        XCTAssertEqual(t.rows[0], [1, 0, 0, 0])
        XCTAssertEqual(pwm.consensus, "NNANCgN")
        let flat = PWM(id: "f", rows: [u, u])
        XCTAssertEqual(flat.trimmedRange(), 0..<0)
        XCTAssertEqual(flat.trimmed().width, 2)
    }
}
