import XCTest
@testable import SigTFB

/// Metric definitions against values computed once with scikit-learn
/// (bench/reference/make_metric_golden.py).
final class MetricsTests: XCTestCase {
    func testBinaryMetricsMatchScikitLearnIncludingTies() throws {
        let doc = try loadJSON("golden/metrics_golden.json")
        let cases = doc["binary"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(cases.count, 8)
        for c in cases {
            let name = c["name"] as! String
            let y = ints(c["labels"]).map { UInt8($0) }
            let s = floats(c["scores"])
            XCTAssertEqual(Metrics.auroc(labels: y, scores: s)!, c["auroc"] as! Double, accuracy: 1e-12, "\(name) AUROC")
            XCTAssertEqual(Metrics.averagePrecision(labels: y, scores: s)!, c["auprc"] as! Double, accuracy: 1e-12, "\(name) AUPRC")
        }
    }

    func testSingleClassGivesUndefinedNotASubstitute() throws {
        let doc = try loadJSON("golden/metrics_golden.json")
        for c in doc["single_class"] as! [[String: Any]] {
            let y = ints(c["labels"]).map { UInt8($0) }
            XCTAssertNil(Metrics.auroc(labels: y, scores: floats(c["scores"])), c["name"] as! String)
        }
        let report = MultiLabelReport(labels: [1, 0, 1, 1, 1, 0], probabilities: [0.9, 0.1, 0.8, 0.7, 0.6, 0.2],
                                      cellTypes: ["A", "B"])
        XCTAssertNil(report.perCellType["A"]!.auroc)
        XCTAssertNil(report.macro.auroc)
        XCTAssertEqual(report.perCellType["B"]!.auroc, 1.0)
        XCTAssertTrue(report.warnings.contains { $0.contains("cell type A") && $0.contains("NaN") }, "\(report.warnings)")
        // Undefined values are written as null, and the JSON is valid.
        let json = String(decoding: try Stage1Outputs.jsonEncoder().encode(report), as: UTF8.self)
        XCTAssertTrue(json.contains("\"auroc\" : null"), json)
    }

    func testMultiLabelSummaryMatchesScikitLearnAndTheOriginal() throws {
        let m = (try loadJSON("golden/metrics_golden.json"))["multilabel"] as! [String: Any]
        let labels = (m["labels"] as! [Any]).flatMap { ints($0).map { UInt8($0) } }
        let scores = (m["scores"] as! [Any]).flatMap { floats($0) }
        let N = ints((m["labels"] as! [Any])[0]).count
        let names = (0..<N).map { "ct\($0)" }
        let r = MultiLabelReport(labels: labels, probabilities: scores, cellTypes: names)
        XCTAssertEqual(r.hammingScore, m["hamming_score"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(r.exactMatch, m["exact_match"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(r.macro.auroc!, m["auroc_macro"] as! Double, accuracy: 1e-9)
        XCTAssertEqual(r.macro.auprc!, m["auprc_macro"] as! Double, accuracy: 1e-9)
        XCTAssertEqual(r.macro.precision, m["precision_macro"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(r.macro.recall, m["recall_macro"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(r.macro.f1, m["f1_macro"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(r.macro.accuracy, m["accuracy_macro"] as! Double, accuracy: 1e-12)
        let acc = doubles(m["accuracy_per_cell_type"]), f1 = doubles(m["f1_per_cell_type"])
        for (i, name) in names.enumerated() {
            XCTAssertEqual(r.perCellType[name]!.accuracy, acc[i], accuracy: 1e-12)
            XCTAssertEqual(r.perCellType[name]!.f1, f1[i], accuracy: 1e-12)
        }
    }
}
