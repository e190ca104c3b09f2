import Foundation
import NeuralNet
import XCTest
@testable import SigTFB

/// DeLong against an independent O(m·n) numpy implementation (bench/reference/make_delong_fixture.py),
/// calibration on null data, power on a planted cell-type-specific signal.
final class SignatureTests: XCTestCase {
    func testDeLongMatchesIndependentImplementation() throws {
        let doc = try loadJSON("golden/delong_fixture.json")
        for name in ["small", "random"] {
            let c = doc[name] as! [String: Any]
            let y = ints(c["labels"]).map { UInt8($0) }
            let d = try XCTUnwrap(DeLong.paired(labels: y, scoresA: doubles(c["scores_a"]), scoresB: doubles(c["scores_b"])))
            for (got, key) in [(d.aucA, "auc_a"), (d.aucB, "auc_b"), (d.varA, "var_a"), (d.varB, "var_b"),
                               (d.covariance, "cov_ab"), (d.varianceDelta, "var_delta"), (d.z, "z"), (d.p, "p")] {
                let want = (c[key] as! NSNumber).doubleValue
                XCTAssertEqual(got, want, accuracy: 1e-12 + 1e-10 * abs(want), "\(name) \(key)")
            }
            XCTAssertEqual(Metrics.auroc(labels: y, scores: doubles(c["scores_a"]).map { Float($0) })!, d.aucA, accuracy: 1e-12)
        }
    }

    func testMacroWithOneCellTypeIsDeLong() throws {
        let doc = try loadJSON("golden/delong_fixture.json")
        let c = doc["random"] as! [String: Any]
        let y = ints(c["labels"]).map { UInt8($0) }
        let p = Stage2Predictions(cellTypes: ["X"], labels: [y], told: [doubles(c["scores_a"]).map { Float($0) }],
                                  notTold: [doubles(c["scores_b"]).map { Float($0) }])
        let s = try Signature.compute(tf: "T", ab: "A", predictions: p, bootstrapReplicates: 200, seed: 3)
        XCTAssertEqual(s.macro.pValue, (c["p"] as! NSNumber).doubleValue, accuracy: 1e-9)
        XCTAssertEqual(s.perCellType["X"]!.pValue, s.macro.pValue, accuracy: 1e-12)
        XCTAssertLessThan(s.macro.ci[0], s.macro.deltaAUROC)
        XCTAssertGreaterThan(s.macro.ci[1], s.macro.deltaAUROC)
        XCTAssertTrue(s.tsv.contains("MACRO"))
    }

    /// Simulated TF-AB: binding in cell type c depends on a shared sequence score f and, when
    /// `specific` > 0, a cell-type-specific score g_c. Told scores see f + g_c, not-told scores see f.
    func simulate(n: Int, cellTypes N: Int, specific: Double, rng: inout SeededRandom) -> Stage2Predictions {
        var labels: [[UInt8]] = Array(repeating: [], count: N), told: [[Float]] = Array(repeating: [], count: N)
        var not: [[Float]] = Array(repeating: [], count: N)
        for _ in 0..<n {
            let f = rng.normal()
            let noiseNot = rng.normal() * 0.5
            for c in 0..<N {
                let g = rng.normal()
                let logit = f + specific * g
                labels[c].append(rng.uniform() < 1 / (1 + exp(-logit)) ? 1 : 0)
                told[c].append(Float(f + specific * g + rng.normal() * 0.5))
                not[c].append(Float(f + noiseNot))
            }
        }
        return Stage2Predictions(cellTypes: (0..<N).map { "CT\($0)" }, labels: labels, told: told, notTold: not)
    }

    func testNullGivesRoughlyUniformPValues() throws {
        var rng = SeededRandom(seed: 11)
        var ps: [Double] = []
        for _ in 0..<200 {
            let p = simulate(n: 150, cellTypes: 3, specific: 0, rng: &rng)
            ps.append(try Signature.compute(tf: "T", ab: "A", predictions: p, bootstrapReplicates: 1, seed: 1).macro.pValue)
        }
        let below05 = Double(ps.filter { $0 < 0.05 }.count) / 200
        let below50 = Double(ps.filter { $0 < 0.5 }.count) / 200
        XCTAssertLessThan(below05, 0.10, "false-positive rate at 0.05 should be near 0.05, got \(below05)")
        XCTAssertGreaterThan(below05, 0.005)
        XCTAssertEqual(below50, 0.5, accuracy: 0.12, "median of null p-values should be near 0.5")
        XCTAssertTrue(ps.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
    }

    func testPlantedSignalIsDetected() throws {
        var rng = SeededRandom(seed: 5)
        let p = simulate(n: 150, cellTypes: 3, specific: 1.0, rng: &rng)
        let s = try Signature.compute(tf: "T", ab: "A", predictions: p, bootstrapReplicates: 300, seed: 2)
        XCTAssertLessThan(s.macro.pValue, 0.01)
        XCTAssertGreaterThan(s.macro.deltaAUROC, 0)
        XCTAssertGreaterThan(s.macro.ci[0], 0)
        XCTAssertEqual(s.cellTypes.count, 3)
        let data = try Stage1Outputs.jsonEncoder().encode(s)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testOneClassCellTypeIsLeftOutWithWarning() throws {
        let p = Stage2Predictions(cellTypes: ["A", "B"], labels: [[0, 1, 0, 1], [1, 1, 1, 1]],
                                  told: [[0.1, 0.9, 0.2, 0.8], [0.5, 0.5, 0.5, 0.5]], notTold: [[0.3, 0.6, 0.4, 0.5], [0.5, 0.5, 0.5, 0.5]])
        let s = try Signature.compute(tf: "T", ab: "A", predictions: p, bootstrapReplicates: 50, seed: 1)
        XCTAssertEqual(s.cellTypes, ["A"])
        XCTAssertTrue(s.warnings.contains { $0.contains("cell type B") })
    }

    /// A cell type whose told AUROC is significantly below not told is flagged (a training failure,
    /// not a signature); a significant rise is not.
    func testSignificantNegativeDeltaIsFlagged() throws {
        var rng = SeededRandom(seed: 9)
        let n = 200
        let y = (0..<n).map { _ in UInt8(rng.below(2)) }
        let good = y.map { Float($0) + Float(rng.uniform()) * 0.8 }     // AUROC ≈ 1
        let noise = y.map { _ in Float(rng.uniform()) }                  // AUROC ≈ 0.5
        let worse = Stage2Predictions(cellTypes: ["X"], labels: [y], told: [noise], notTold: [good])
        let s = try Signature.compute(tf: "T", ab: "A", predictions: worse, bootstrapReplicates: 20, seed: 1)
        XCTAssertLessThan(s.perCellType["X"]!.deltaAUROC, 0)
        XCTAssertTrue(s.warnings.contains { $0.contains("cell type X") && $0.contains("training failure") }, "\(s.warnings)")
        let better = Stage2Predictions(cellTypes: ["X"], labels: [y], told: [good], notTold: [noise])
        let t = try Signature.compute(tf: "T", ab: "A", predictions: better, bootstrapReplicates: 20, seed: 1)
        XCTAssertFalse(t.warnings.contains { $0.contains("training failure") }, "\(t.warnings)")
    }
}
