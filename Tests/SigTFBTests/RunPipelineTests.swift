import Foundation
import XCTest
@testable import SigTFB

final class RunPipelineTests: XCTestCase {
    func tempDir() -> String {
        scratchDirectory("sigtfb-run")
    }

    func testNamesFromThePeaksDirectory() {
        XCTAssertTrue(RunLayout.names(fromPeaksDirectory: "/x/peaks/CEBPB/ENCAB102SYN")! == ("CEBPB", "ENCAB102SYN"))
        XCTAssertTrue(RunLayout.names(fromPeaksDirectory: "/x/peaks/CEBPB.ENCAB102SYN/")! == ("CEBPB", "ENCAB102SYN"))
    }

    func testUpToDateComparesModificationTimes() throws {
        let d = tempDir()
        let a = (d as NSString).appendingPathComponent("in"), b = (d as NSString).appendingPathComponent("out")
        try "x".write(toFile: a, atomically: true, encoding: .utf8)
        try "y".write(toFile: b, atomically: true, encoding: .utf8)
        let fm = FileManager.default
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -100)], ofItemAtPath: a)
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -50)], ofItemAtPath: b)
        XCTAssertTrue(RunPipeline.upToDate(outputs: [b], inputs: [a]))
        try fm.setAttributes([.modificationDate: Date()], ofItemAtPath: a)
        XCTAssertFalse(RunPipeline.upToDate(outputs: [b], inputs: [a]), "input newer than output")
        XCTAssertFalse(RunPipeline.upToDate(outputs: [b, b + ".missing"], inputs: []), "an output is missing")
        XCTAssertFalse(RunPipeline.upToDate(outputs: [b], inputs: [a + ".missing"]), "an input is missing")
    }


    func testWholePipelineOnTinyDataThenRerunSkipsEverything() throws {
        let root = tempDir()
        let peaks = try tinyPeaks(root)
        let out = (root as NSString).appendingPathComponent("run")
        var o = RunOptions(peaksDirectory: peaks, genomePath: fixturePath("preprocess/genome.fa.gz"), outputDirectory: out,
                           tf: "CEBPB", ab: "ENCAB102SYN")
        o.chromSizesPath = fixturePath("preprocess/chrom.sizes")
        o.trials = 1; o.maxEpochs = 1; o.bootstrapReplicates = 20; o.threads = 2
        o.motifDatabasePath = fixturePath("motifs/small.meme")
        let m1 = try RunPipeline.run(options: o, log: { _ in })
        XCTAssertEqual(m1.steps.map(\.name), ["preprocess", "stage1", "stage2", "motifs", "report"])
        XCTAssertEqual(m1.steps.map(\.status), Array(repeating: .done, count: 5), m1.steps.map { "\($0.name): \($0.message ?? "")" }.joined(separator: "; "))
        let L = RunLayout(directory: out, tf: "CEBPB", ab: "ENCAB102SYN")
        for f in [L.h5, L.activity, L.stage1Model, L.stage2Model, L.signatureJSON, L.motifsJSON, L.report, L.manifest] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: f), f)
        }
        let saved = try XCTUnwrap(RunManifest.load(L.manifest))
        XCTAssertEqual(saved.steps.first { $0.name == "stage1" }?.status, .done)
        // A run stopped right after it wrote its initial run.json (interrupted here; SIGKILL has the
        // same effect) must not make the next run redo the steps it never reached: a redone
        // preprocess would make the tuning states stale.
        Interruption.request(SIGINT)
        XCTAssertThrowsError(try RunPipeline.run(options: o, log: { _ in })) { XCTAssertTrue($0 is Interrupted, "\($0)") }
        Interruption.reset()
        let stopped = try XCTUnwrap(RunManifest.load(L.manifest))
        XCTAssertEqual(stopped.steps.map { $0.options != nil }, [true, true, true, true, false], "\(stopped.steps.map(\.options))")
        // Rerun: every step but the report is up to date.
        let m2 = try RunPipeline.run(options: o, log: { _ in })
        XCTAssertEqual(m2.steps.map(\.status), [.upToDate, .upToDate, .upToDate, .upToDate, .done])
        let html = try String(contentsOfFile: L.report, encoding: .utf8)
        XCTAssertTrue(html.contains("Told vs not told"))
        XCTAssertTrue(html.contains("Influence per cell type"))
        XCTAssertFalse(html.lowercased().contains("http"))
        XCTAssertEqual(RunLayout.discover(directory: out)?.tf, "CEBPB")
    }
}
