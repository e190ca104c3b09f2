import Genomics
import XCTest
@testable import Motifs

final class FilterPWMBuilderTests: XCTestCase {
    static let motif = "GATTACAGCG"

    /// 400 random sequences of length 101, the motif planted in the even ones; a few N's.
    static func plantedSequences() -> (EncodedSequences, planted: Int) {
        var rng = TestRandom(seed: 42)
        var seqs = EncodedSequences(length: 101)
        var planted = 0
        for i in 0..<400 {
            var s = Array(rng.randomDNA(101))
            if i % 2 == 0 {
                let at = 7 + rng.below(78)   // reachable by filter 0 (motif at filter positions 7..<17)
                for (k, ch) in motif.enumerated() { s[at + k] = ch }
                planted += 1
            }
            if i % 37 == 5 { s[rng.below(101)] = "N" }
            seqs.append(codes: MotifTestSupport.codes(String(s)))
        }
        return (seqs, planted)
    }

    /// Filter 0 matches the motif at positions 7..<17 (+1 match, −1 mismatch); filter 1 random;
    /// filter 2 never fires.
    static func filters() -> ConvFilters {
        let C = 3, W = 24
        var w = [Float](repeating: 0, count: C * 4 * W)
        let codes = MotifTestSupport.codes(motif)
        for (j, code) in codes.enumerated() {
            for b in 0..<4 { w[(0 * 4 + b) * W + 7 + j] = b == Int(code) ? 1 : -1 }
        }
        var rng = TestRandom(seed: 3)
        for k in 0..<W { for b in 0..<4 { w[(1 * 4 + b) * W + k] = Float(rng.uniform() - 0.5) } }
        for k in 0..<W { for b in 0..<4 { w[(2 * 4 + b) * W + k] = -1 } }
        return ConvFilters(weights: w, bias: [0, 0.1, -1], count: C, width: W)
    }

    func testActivationsMatchBruteForce() {
        let (seqs, _) = Self.plantedSequences()
        let f = Self.filters()
        for s in [0, 5, 42] {   // 5 and 42 hold an N
            let act = FilterPWMBuilder.activations(filters: f, sequences: seqs, index: s)
            XCTAssertEqual(act.count, 78 * 3)
            let codes = Array(seqs[s])
            for p in [0, 13, 77] {
                for c in 0..<3 {
                    var x = f.bias[c]
                    for k in 0..<24 {
                        let code = Int(codes[p + k])
                        if code < 4 { x += f.weight(filter: c, base: code, position: k) } else if code == 4 {
                            x += 0.25 * (0..<4).reduce(Float(0)) { $0 + f.weight(filter: c, base: $1, position: k) }
                        }
                    }
                    XCTAssertEqual(act[p * 3 + c], max(0, x), accuracy: 1e-5)
                }
            }
        }
    }

    func testRecoversPlantedConsensus() {
        let (seqs, planted) = Self.plantedSequences()
        let r = FilterPWMBuilder.build(filters: Self.filters(), sequences: seqs)
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r[0].maxActivation, 10)
        XCTAssertEqual(r[0].threshold, 5)
        let cons = Array(r[0].pwm.consensus)
        XCTAssertEqual(String(cons[7..<17]), Self.motif)
        XCTAssertGreaterThanOrEqual(r[0].sequencesWithSite, planted)
        XCTAssertLessThan(r[0].sequencesWithSite, planted + 40)
        XCTAssertEqual(r[0].siteCount, r[0].qualifyingSiteCount)
        XCTAssertEqual(r[0].pwm.siteCount, Double(r[0].siteCount))
        XCTAssertEqual(r[0].pwm.id, "filter_0")
        XCTAssertEqual(r[0].pwm.width, 24)
        XCTAssertGreaterThan(r[0].pwm.totalInformationContent(), 17)
        // Counts: every site adds one per position.
        XCTAssertEqual(r[0].counts[0..<4].reduce(0, +), Double(r[0].siteCount), accuracy: 1e-9)
        // Filter 2 never fires: no sites, background PWM.
        XCTAssertEqual(r[2].siteCount, 0)
        XCTAssertEqual(r[2].maxActivation, 0)
        XCTAssertEqual(r[2].pwm.totalInformationContent(), 0, accuracy: 1e-12)
        XCTAssertGreaterThan(r[1].siteCount, 0)
        XCTAssertGreaterThan(r[1].meanActivation, 0)
    }

    func testMaxSitesAndDeterminism() {
        let (seqs, _) = Self.plantedSequences()
        let f = Self.filters()
        let a = FilterPWMBuilder.build(filters: f, sequences: seqs, options: FilterPWMOptions(maxSites: 25, blockCount: 1))
        let b = FilterPWMBuilder.build(filters: f, sequences: seqs, options: FilterPWMOptions(maxSites: 25, blockCount: 7))
        for c in 0..<3 {
            XCTAssertEqual(a[c].counts, b[c].counts)
            XCTAssertEqual(a[c].pwm, b[c].pwm)
            XCTAssertEqual(a[c].sequencesWithSite, b[c].sequencesWithSite)
            XCTAssertEqual(a[c].meanActivation, b[c].meanActivation, accuracy: 1e-9)
        }
        XCTAssertEqual(a[0].siteCount, 25)
        XCTAssertGreaterThan(a[0].qualifyingSiteCount, 25)
        // The 25 best sites of filter 0 are perfect matches: the motif has probability one.
        let cons = Array(a[0].pwm.consensus)
        XCTAssertEqual(String(cons[7..<17]), Self.motif)
        for j in 7..<17 { XCTAssertEqual(a[0].pwm.column(j).max()!, 1, accuracy: 1e-12) }
        // Uncapped, block count does not matter either.
        let u1 = FilterPWMBuilder.build(filters: f, sequences: seqs, options: FilterPWMOptions(blockCount: 1))
        let u2 = FilterPWMBuilder.build(filters: f, sequences: seqs, options: FilterPWMOptions(blockCount: 64))
        for c in 0..<3 { XCTAssertEqual(u1[c].counts, u2[c].counts) }
    }

    func testPseudocountAndFraction() {
        let (seqs, _) = Self.plantedSequences()
        let strict = FilterPWMBuilder.build(filters: Self.filters(), sequences: seqs,
                                            options: FilterPWMOptions(activationFraction: 1.0, pseudocount: 1))
        // Only perfect matches; the pseudocount keeps every probability positive.
        XCTAssertTrue(strict[0].pwm.probabilities.allSatisfy { $0 > 0 })
        XCTAssertEqual(strict[0].counts[7 * 4 + 2], Double(strict[0].siteCount))
    }
}
