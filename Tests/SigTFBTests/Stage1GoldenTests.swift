import Genomics
import NeuralNet
import XCTest
@testable import SigTFB

/// Parity with PyTorch: values produced once by bench/reference/make_golden.py.
final class Stage1GoldenTests: XCTestCase {
    let order = ["conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]

    func golden() throws -> (doc: [String: Any], model: Stage1Model, sequences: EncodedSequences) {
        let doc = try loadJSON("golden/stage1_golden.json")
        let arch = Stage1Architecture(channels: doc["channels"] as! Int, cellTypes: doc["cell_types"] as! Int,
                                      sequenceLength: doc["length"] as! Int)
        let model = try Stage1Model(architecture: arch, parameters: namedParameters(doc["params"], order: order))
        return (doc, model, encode(doc["sequences"] as! [String]))
    }

    func testForwardMatchesPyTorch() throws {
        let (doc, model, seqs) = try golden()
        XCTAssertEqual(seqs.count, 64)
        XCTAssertGreaterThan(seqs.codes.filter { $0 == BaseCode.n }.count, 0, "golden set should exercise N")
        XCTAssertGreaterThan(seqs.codes.filter { $0 == BaseCode.zero }.count, 0, "golden set should exercise zero columns")
        let oneThread = (model.logits(seqs, threads: 1), model.pooledFeatures(seqs, threads: 1))
        for threads in [1, 2, 3] {
            let logits = model.logits(seqs, threads: threads)
            assertClose(logits, (doc["logits"] as! [Any]).flatMap { floats($0) }, "logits (\(threads) threads)")
            let pooled = model.pooledFeatures(seqs, threads: threads)
            assertClose(pooled, (doc["pooled"] as! [Any]).flatMap { floats($0) }, "pooled (\(threads) threads)")
            // Blocks go to whichever thread is free; every sequence's outputs must not depend on it.
            XCTAssertEqual(logits, oneThread.0, "\(threads) threads")
            XCTAssertEqual(pooled, oneThread.1, "\(threads) threads")
        }
        let bases: [Character] = Array("ACGT")
        func sequence(_ i: Int) -> String {
            String((0..<101).map { (k: Int) -> Character in bases[(i * 7 + k * k * 3 + k / 5) % 4] })
        }
        let many = encode((0..<700).map(sequence))
        XCTAssertEqual(model.logits(many, threads: 2), model.logits(many, threads: 1))
        XCTAssertEqual(model.logits(many, threads: 3), model.logits(many, threads: 1))
    }

    func testThreeAdamStepsMatchPyTorch() throws {
        for case let run as [String: Any] in (try golden().doc["training"] as! [Any]) {
            let (_, model, seqs) = try golden()
            let lossName = run["loss"] as! String
            let loss: MultiLabelLoss = lossName == "one_loss" ? .oneLoss : lossName == "bce" ? .bce : .basset
            let betas = doubles(run["betas"])
            let adam = Adam(learningRate: Float(run["lr"] as! Double), weightDecay: Float(run["weight_decay"] as! Double),
                            beta1: Float(betas[0]), beta2: Float(betas[1]), eps: Float(run["eps"] as! Double))
            for threads in [1, 2] {
                let m = try Stage1Model(architecture: model.architecture, parameters: model.parameters)
                let trainer = Stage1Trainer(model: m, optimizer: adam, loss: loss, threads: threads)
                let rows = ints(run["sequence_indices"])
                let targets = (run["labels"] as! [Any]).flatMap { ints($0).map { UInt8($0) } }
                let cts = run["cell_type_ids"].map { ints($0).map { Int32($0) } }
                var losses: [Double] = []
                for _ in 0..<(run["steps"] as! Int) {
                    losses.append(trainer.step(seqs, rows: rows, targets: targets, cellTypes: cts))
                }
                assertClose(losses.map { Float($0) }, floats(run["losses"]), "\(lossName) losses (\(threads) threads)")
                let after = namedParameters(run["params_after"], order: order)
                for name in order {
                    assertClose(m.parameters[name]!.data, after[name]!.data, rel: 1e-5, abs: 1e-6,
                                "\(lossName) \(name) after 3 steps (\(threads) threads)")
                }
            }
        }
    }

    /// Adam's first steps are nearly sign-only, so the raw gradients are checked too
    /// (bench/reference/make_gradient_golden.py).
    func testGradientsMatchPyTorch() throws {
        let grads = try loadJSON("golden/stage1_gradients.json")["cases"] as! [[String: Any]]
        let runs = try golden().doc["training"] as! [[String: Any]]
        XCTAssertEqual(grads.count, runs.count)
        for (run, expected) in zip(runs, grads) {
            let (_, model, seqs) = try golden()
            let lossName = run["loss"] as! String
            let loss: MultiLabelLoss = lossName == "one_loss" ? .oneLoss : lossName == "bce" ? .bce : .basset
            for threads in [1, 2] {
                let trainer = Stage1Trainer(model: model, optimizer: Adam(learningRate: 0), loss: loss, threads: threads)
                let value = trainer.computeGradients(seqs, rows: ints(run["sequence_indices"]),
                                                     targets: (run["labels"] as! [Any]).flatMap { ints($0).map { UInt8($0) } },
                                                     cellTypes: run["cell_type_ids"].map { ints($0).map { Int32($0) } })
                XCTAssertEqual(value, expected["value"] as! Double, accuracy: 1e-5 * abs(value))
                let g = expected["gradients"] as! [String: Any]
                for name in order {
                    assertClose(trainer.lastGradients[name]!.data, floats(g[name]), rel: 1e-4, abs: 1e-6,
                                "\(lossName) gradient of \(name) (\(threads) threads)")
                }
            }
        }
    }
}
