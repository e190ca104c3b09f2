import Foundation
import XCTest

/// The `sigtfb` executable as a user runs it: files written, JSON shapes, exit codes, messages.
final class CLITests: XCTestCase {
    @discardableResult
    func run(_ args: [String]) throws -> (code: Int32, out: String, err: String) { try SigTFBExecutable.run(args) }

    func tempDir() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-cli-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return d
    }

    func testTrainStage1WritesModelMetricsAndCurveThenEvaluateAgrees() throws {
        let out = tempDir()
        let h5 = fixturePath("h5/ctcf_small.h5")
        let r = try run(["train-stage1", "--chip-data", h5, "--out", out, "--num-channels", "8", "--epochs", "2",
                         "--batch-size", "16", "--seed", "3", "--threads", "2"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("epoch 2/2"), "progress on stderr: \(r.err)")
        for f in ["model.safetensors", "model.json", "metrics.json", "epochs.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(f)"), f)
        }
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/metrics.json"))) as! [String: Any]
        for split in ["validation", "test"] {
            let s = metrics[split] as! [String: Any]
            let macro = s["macro"] as! [String: Any]
            XCTAssertNotNil(macro["auroc"]); XCTAssertNotNil(macro["auprc"])
            let per = s["per_cell_type"] as! [String: [String: Any]]
            XCTAssertEqual(Set(per.keys), ["GM12878", "HepG2", "K562"])
            for (_, v) in per { for k in ["auroc", "auprc", "positives", "negatives"] { XCTAssertNotNil(v[k], k) } }
        }
        let csv = try String(contentsOfFile: "\(out)/epochs.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "epoch,train_loss,validation_loss,validation_auroc,validation_auprc,seconds")
        XCTAssertEqual(csv.count, 3)
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/model.json"))) as! [String: Any]
        XCTAssertEqual((sidecar["training_data"] as! [String: Any])["sha256"] as? String != nil, true)
        XCTAssertEqual(sidecar["seed"] as? Int, 3)

        let e = try run(["evaluate", "--model", "\(out)/model.safetensors", "--chip-data", h5, "--out", "\(out)/eval.json"])
        XCTAssertEqual(e.code, 0, e.err)
        let again = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/eval.json"))) as! [String: Any]
        let t1 = (metrics["test"] as! [String: Any])["macro"] as! [String: Any]
        let t2 = (again["test"] as! [String: Any])["macro"] as! [String: Any]
        XCTAssertEqual(t1["auroc"] as! Double, t2["auroc"] as! Double, accuracy: 1e-9, "evaluate reproduces the saved model's test metrics")
    }

    func testUsageErrorsExitTwoAndDataErrorsExitOneWithOneLineMessages() throws {
        let out = tempDir()
        let usage = try run(["train-stage1", "--chip-data", "x.h5", "--out", out, "--epochs", "0"])
        XCTAssertEqual(usage.code, 2)
        XCTAssertTrue(usage.err.contains("--epochs"), usage.err)
        let unknown = try run(["train-stage1", "--no-such-flag"])
        XCTAssertEqual(unknown.code, 2)
        let badSampler = try run(["train-stage1", "--chip-data", "x.h5", "--out", out, "--sampler", "maybe"])
        XCTAssertEqual(badSampler.code, 2)
        let missing = try run(["train-stage1", "--chip-data", "/nonexistent/data.h5", "--out", out])
        XCTAssertEqual(missing.code, 1)
        XCTAssertEqual(missing.err.split(separator: "\n").count, 1, missing.err)
        XCTAssertTrue(missing.err.contains("/nonexistent/data.h5: no such file"), missing.err)
        let bad = try run(["train-stage1", "--chip-data", fixturePath("h5/bad_label.h5"), "--out", out])
        XCTAssertEqual(bad.code, 1)
        XCTAssertTrue(bad.err.contains("labels must be 0 or 1"), bad.err)
        XCTAssertFalse(bad.err.contains("Fatal error"), bad.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/model.safetensors"), "nothing written on failure")
    }

    /// `bench`'s options are checked before any work: too few sequences held for inference's
    /// batch of 1,024 once crashed (training sampled from none; inference read past the data).
    func testBenchRejectsBadOptions() throws {
        for (args, word) in [(["--held", "0"], "--held"), (["--held", "1000"], "--held"), (["--seconds", "0"], "--seconds"),
                             (["--only", "foo"], "--only"), (["--channels", "16,x"], "--channels"), (["--calls", "0"], "--calls")] {
            let r = try run(["bench"] + args)
            XCTAssertEqual(r.code, 2, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains(word), "\(args): \(r.err)")
            XCTAssertTrue(r.out.isEmpty, "\(args): no JSON on failure")
        }
        let ok = try run(["bench", "--held", "1024", "--only", "infer", "--channels", "8", "--calls", "2", "--threads", "2"])
        XCTAssertEqual(ok.code, 0, ok.err)
        let json = try JSONSerialization.jsonObject(with: Data(ok.out.utf8)) as! [String: Any]
        XCTAssertEqual((json["infer"] as! [[String: Any]]).count, 1)
    }
}
