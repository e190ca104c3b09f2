import Foundation
import NeuralNet
import Storage
import XCTest
@testable import SigTFB

/// Checks that tags open and close in order (void elements and `/>` aside); returns the first problem.
func htmlNestingProblem(_ html: String) -> String? {
    let void: Set<String> = ["meta", "br", "img", "input", "hr", "link", "area", "base", "col", "wbr", "source"]
    var stack: [String] = []
    var i = html.startIndex
    while let lt = html[i...].firstIndex(of: "<") {
        guard let gt = html[lt...].firstIndex(of: ">") else { return "unterminated tag" }
        let tag = html[html.index(after: lt)..<gt]
        i = html.index(after: gt)
        if tag.hasPrefix("!") || tag.hasPrefix("?") { continue }
        if tag.hasPrefix("/") {
            let name = tag.dropFirst().split(separator: " ").first.map(String.init)?.lowercased() ?? ""
            guard let top = stack.popLast() else { return "</\(name)> closes nothing" }
            if top != name { return "</\(name)> closes <\(top)>" }
            continue
        }
        let name = tag.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map(String.init)?.lowercased() ?? ""
        if tag.hasSuffix("/") || void.contains(name) { continue }
        stack.append(name)
    }
    return stack.isEmpty ? nil : "unclosed <\(stack.last!)>"
}

final class ReportTests: XCTestCase {
    func tempDir() -> String {
        scratchDirectory("sigtfb-report")
    }

    /// A run directory as `train-stage1` leaves it: data/TF.AB.h5 + stage1/model.safetensors, metrics.json, epochs.csv.
    func tinyRun() throws -> String {
        let dir = tempDir()
        let data = (dir as NSString).appendingPathComponent("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let h5 = (data as NSString).appendingPathComponent("CTCF.ENCABTEST.h5")
        try FileManager.default.copyItem(atPath: fixturePath("h5/ctcf_small.h5"), toPath: h5)
        let dataset = try BassetH5.read(path: h5)
        var hp = Stage1Hyperparameters()
        hp.channels = 8; hp.batchSize = 16; hp.epochs = 3; hp.seed = 7
        let r = try Stage1Training.run(dataset: dataset, hyperparameters: hp, threads: 2)
        let s1 = (dir as NSString).appendingPathComponent("stage1")
        try FileManager.default.createDirectory(atPath: s1, withIntermediateDirectories: true)
        try Stage1Checkpoint.save(r.model, cellTypes: dataset.targetLabels, hyperparameters: hp,
                                  trainingData: .init(file: h5, sha256: Stage1Checkpoint.fingerprint(dataset), sequences: dataset.trainIn.count),
                                  to: (s1 as NSString).appendingPathComponent("model.safetensors"))
        try Stage1Outputs.writeMetrics(validation: r.validation, test: r.test, to: (s1 as NSString).appendingPathComponent("metrics.json"))
        try Stage1Outputs.writeEpochs(r.epochs, to: (s1 as NSString).appendingPathComponent("epochs.csv"))
        return dir
    }

    func testReportOfATinyRunIsSelfContainedAndSaysWhatIsMissing() throws {
        let dir = try tinyRun()
        let path = try RunReport.write(directory: dir, options: { var o = RunReportOptions(); o.threads = 2; return o }())
        XCTAssertEqual(path, (dir as NSString).appendingPathComponent("report.html"))
        let html = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.hasSuffix("</html>\n"))
        XCTAssertNil(htmlNestingProblem(html), "HTML nesting: \(htmlNestingProblem(html) ?? "")")
        // Sections.
        for id in ["pipeline", "data", "tuning", "stage1", "signature", "motifs"] {
            XCTAssertTrue(html.contains("<section id=\"\(id)\">"), "section \(id) missing")
        }
        XCTAssertTrue(html.contains("CTCF"))
        XCTAssertTrue(html.contains("ROC (test set)"))
        XCTAssertTrue(html.contains("Precision–recall (test set)"))
        XCTAssertTrue(html.contains("Stage 1: loss"), "training curves from epochs.csv")
        // Steps that have not run are named, not faked.
        XCTAssertTrue(html.contains("Stage 2 has not run"))
        XCTAssertTrue(html.contains("The motif analysis has not run"))
        // Self-contained: nothing external, no scripts.
        XCTAssertFalse(html.lowercased().contains("http"), "no URLs")
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("src="))
        XCTAssertFalse(html.contains("@import"))
        var rest = html[...]
        while let r = rest.range(of: "url(") {
            XCTAssertEqual(rest[r.upperBound...].first, "#", "only in-page url(#id) references")
            rest = rest[r.upperBound...]
        }
        // One cell type colour per cell type, consistent: the first cell type's colour appears in the
        // summary, the table and the curves.
        XCTAssertGreaterThan(html.components(separatedBy: ReportPalette.color(0)).count - 1, 3)
    }

    func testReportCurvesMatchTheMetrics() {
        let y: [UInt8] = [1, 0, 1, 1, 0, 0, 1, 0]
        let s: [Float] = [0.9, 0.8, 0.7, 0.7, 0.3, 0.7, 0.2, 0.1]
        let roc = Curves.roc(labels: y, scores: s)
        XCTAssertEqual(roc.first!.x, 0); XCTAssertEqual(roc.first!.y, 0)
        XCTAssertEqual(roc.last!.x, 1); XCTAssertEqual(roc.last!.y, 1)
        var area = 0.0
        for i in 1..<roc.count { area += (roc[i].x - roc[i - 1].x) * (roc[i].y + roc[i - 1].y) / 2 }
        XCTAssertEqual(area, Metrics.auroc(labels: y, scores: s)!, accuracy: 1e-12)
        let pr = Curves.precisionRecall(labels: y, scores: s)
        XCTAssertEqual(pr.last!.x, 1)
        var ap = 0.0
        for i in 1..<pr.count { ap += (pr[i].x - pr[i - 1].x) * pr[i].y }
        XCTAssertEqual(ap, Metrics.averagePrecision(labels: y, scores: s)!, accuracy: 1e-12)
        XCTAssertEqual(Curves.thin(Array(repeating: (x: 0.0, y: 0.0), count: 1000), maximum: 50).count, 50)
        XCTAssertTrue(Curves.roc(labels: [1, 1], scores: [0.2, 0.3]).isEmpty)
    }

    func testFormatting() {
        XCTAssertEqual(ReportFormat.escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;")
        XCTAssertEqual(ReportFormat.count(1234567), "1\u{2009}234\u{2009}567")
        XCTAssertEqual(ReportFormat.signed(-0.0451), "\u{2212}0.045")
        XCTAssertEqual(ReportFormat.signed(0.0451), "+0.045")
        XCTAssertEqual(ReportFormat.pValue(0.0123), "0.012")
        XCTAssertEqual(ReportFormat.pValue(3.2e-7), "3.2 × 10<sup>\u{2212}7</sup>")
        XCTAssertEqual(ReportFormat.metric(nil), "—")
        let t = Ticks.nice(0, 1, count: 5)
        XCTAssertEqual(t.count, 6); XCTAssertEqual(t.first, 0); XCTAssertEqual(t.last!, 1, accuracy: 1e-12)
        XCTAssertEqual(Ticks.label(0.4, step: 0.2), "0.4")
        XCTAssertEqual(Ticks.label(-0.005, step: 0.005), "\u{2212}0.005")
    }

    func testMissingRunDirectoryIsAOneLineError() {
        XCTAssertThrowsError(try RunReport.render(directory: "/nonexistent/run")) { e in
            XCTAssertTrue("\(e)".contains("not found"))
        }
        let empty = tempDir()
        XCTAssertThrowsError(try RunReport.render(directory: empty)) { e in
            XCTAssertTrue("\(e)".contains("no sigtfb run found"))
        }
    }

    /// Renders the report in headless Chromium and checks the screenshot is not blank.
    func testReportRendersInChromium() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("chromium is not installed (apt-get install -y chromium); the rendering check is skipped")
        }
        let dir = try tinyRun()
        let path = try RunReport.write(directory: dir)
        let png = (dir as NSString).appendingPathComponent("report.png")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(dir)/chromium-profile",
                       "--screenshot=\(png)", "--window-size=1200,3000", "file://\(path)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "chromium failed")
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG")
        // A blank 1200×3000 page compresses to a few kB of nearly constant bytes; charts and text do not.
        XCTAssertGreaterThan(data.count, 60_000, "the screenshot looks blank (\(data.count) bytes)")
        XCTAssertGreaterThan(Set(data).count, 250, "the screenshot looks blank")
    }
}
