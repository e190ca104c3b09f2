import Genomics
import NeuralNet
import XCTest
@testable import SigTFB

/// Parity of Net_Stage2's head with PyTorch: values produced once by
/// bench/reference/make_golden.py (stage2_golden.json; features given directly).
final class Stage2GoldenTests: XCTestCase {
    let headOrder = ["fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "fc2.weight", "fc2.bias",
                     "fc3.weight", "fc3.bias", "bn3.weight", "bn3.bias", "fc4.weight", "fc4.bias"]

    struct Golden {
        var doc: [String: Any]
        var model: Stage2Model
        var features: [Float]
        var codes: [Float]
        var targets: [Int32]
    }

    func tensors(_ any: Any?) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in any as! [String: Any] {
            let e = v as! [String: Any]
            out[k] = Tensor(shape: ints(e["shape"]), data: floats(e["data"]))
        }
        return out
    }

    func golden() throws -> Golden {
        let doc = try loadJSON("golden/stage2_golden.json")
        let C = doc["channels"] as! Int, N = doc["cell_types"] as! Int
        let arch = Stage2Architecture(channels: C, cellTypes: N, preConcat: doc["pre_concat"] as! Int,
                                      hidden: doc["hidden"] as! Int, dropout: 0)
        let s1 = Stage1Model(architecture: Stage1Architecture(channels: C, cellTypes: N), convStd: 0.1, linearStd: 0.1, seed: 1)
        let t = tensors(doc["params"])
        let model = try Stage2Model(architecture: arch, stage1: s1, head: namedParameters(doc["params"], order: headOrder),
                                    bn1: Stage2Model.batchNorm("bn1", features: arch.preConcat, from: t),
                                    bn3: Stage2Model.batchNorm("bn3", features: arch.hidden, from: t), freezeStage1: true)
        return Golden(doc: doc, model: model, features: (doc["features"] as! [Any]).flatMap { floats($0) },
                      codes: (doc["cell_type_codes"] as! [Any]).flatMap { floats($0) },
                      targets: ints(doc["targets"]).map { Int32($0) })
    }

    func testEvalForwardMatchesPyTorch() throws {
        let g = try golden()
        let p = g.model.probabilities(features: g.features, codes: g.codes)
        let lp = (g.doc["logprobs_eval_mode"] as! [Any]).map { floats($0) }
        assertClose(p, lp.map { expf($0[1]) }, rel: 1e-5, abs: 1e-7, "eval-mode P(bound)")
        let ws = Stage2Workspace(architecture: g.model.architecture, rows: 16)
        var rng = SeededRandom(seed: 0)
        g.features.withUnsafeBufferPointer { f in g.codes.withUnsafeBufferPointer { c in
            ws.forward(model: g.model, features: f.baseAddress!, codes: c.baseAddress!, rows: 16, train: false, rng: &rng)
        } }
        assertClose(ws.logProbs, lp.flatMap { $0 }, rel: 1e-5, abs: 1e-6, "eval-mode log-probs")
        XCTAssertEqual(g.model.bn1.numBatchesTracked, 0, "eval forward must not touch running stats")
    }

    func testTrainForwardMatchesPyTorch() throws {
        let g = try golden()
        let ws = Stage2Workspace(architecture: g.model.architecture, rows: 16)
        var rng = SeededRandom(seed: 0)
        let before = g.model.bn3
        g.features.withUnsafeBufferPointer { f in g.codes.withUnsafeBufferPointer { c in
            ws.forward(model: g.model, features: f.baseAddress!, codes: c.baseAddress!, rows: 16, train: true, rng: &rng,
                       updateRunning: false)
        } }
        assertClose(ws.logProbs, (g.doc["logprobs_train_mode"] as! [Any]).flatMap { floats($0) }, rel: 1e-5, abs: 1e-6,
                    "train-mode log-probs")
        assertClose(ws.hiddenActivations, (g.doc["hidden_train_mode"] as! [Any]).flatMap { floats($0) }, rel: 1e-5, abs: 1e-6,
                    "train-mode fc3_g")
        XCTAssertEqual(g.model.bn3, before)
    }

    func testThreeNesterovStepsMatchPyTorch() throws {
        do {
            let g = try golden()
            let sgd = g.doc["sgd"] as! [String: Any]
            let opt = SGD(learningRate: Float(sgd["lr"] as! Double), momentum: Float(sgd["momentum"] as! Double),
                          weightDecay: Float(sgd["weight_decay"] as! Double), nesterov: sgd["nesterov"] as! Bool)
            let trainer = Stage2Trainer(model: g.model, optimizer: opt, threads: 2, seed: 1)
            var losses: [Float] = []
            for _ in 0..<(g.doc["steps"] as! Int) {
                losses.append(Float(trainer.step(features: g.features, codes: g.codes, targets: g.targets)))
            }
            assertClose(losses, floats(g.doc["losses"]), rel: 1e-5, abs: 1e-7, "losses")
            let after = tensors(g.doc["params_after"])
            for name in headOrder {
                assertClose(g.model.head[name]!.data, after[name]!.data, rel: 1e-5, abs: 2e-6, "\(name) after 3 steps")
            }
            assertClose(g.model.bn1.runningMean, after["bn1.running_mean"]!.data, rel: 1e-5, abs: 1e-6, "bn1.running_mean")
            assertClose(g.model.bn1.runningVar, after["bn1.running_var"]!.data, rel: 1e-5, abs: 1e-6, "bn1.running_var")
            assertClose(g.model.bn3.runningMean, after["bn3.running_mean"]!.data, rel: 1e-5, abs: 1e-6, "bn3.running_mean")
            assertClose(g.model.bn3.runningVar, after["bn3.running_var"]!.data, rel: 1e-5, abs: 1e-6, "bn3.running_var")
            XCTAssertEqual(g.model.bn1.numBatchesTracked, 3)
            XCTAssertEqual(g.model.bn3.numBatchesTracked, 3)
            let p = g.model.probabilities(features: g.features, codes: g.codes)
            assertClose(p, (g.doc["logprobs_eval_mode_after"] as! [Any]).map { expf(floats($0)[1]) }, rel: 1e-5, abs: 1e-6,
                        "eval after steps")
        }
    }

    /// The fine-tune path (stage-1 conv trained through the head): loss and every gradient against
    /// PyTorch autograd (bench/stage2/make_stage2_finetune_golden.py), one and two threads.
    func testFineTuneConvGradientMatchesPyTorch() throws {
        let doc = try loadJSON("golden/stage2_finetune_gradients.json")
        let C = doc["channels"] as! Int, N = doc["cell_types"] as! Int, L = doc["length"] as! Int
        let all = doc["params"] as! [String: Any]
        var stage1Dict: [String: Any] = [:]
        for (k, v) in all where k.hasPrefix("model_stage1.") { stage1Dict[String(k.dropFirst("model_stage1.".count))] = v }
        let seqs = encode(doc["sequences"] as! [String])
        let codes = (doc["cell_type_codes"] as! [Any]).flatMap { floats($0) }
        let targets = ints(doc["targets"]).map { Int32($0) }
        let expected = doc["gradients"] as! [String: Any]
        for threads in [1, 2] {
            let s1 = try Stage1Model(architecture: Stage1Architecture(channels: C, cellTypes: N, sequenceLength: L),
                                     parameters: namedParameters(stage1Dict, order: ["conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]))
            let arch = Stage2Architecture(channels: C, cellTypes: N, preConcat: doc["pre_concat"] as! Int, hidden: doc["hidden"] as! Int,
                                          dropout: 0, sequenceLength: L, convWidth: s1.architecture.convWidth)
            let t = tensors(all)
            let model = try Stage2Model(architecture: arch, stage1: s1, head: namedParameters(all, order: headOrder),
                                        bn1: Stage2Model.batchNorm("bn1", features: arch.preConcat, from: t),
                                        bn3: Stage2Model.batchNorm("bn3", features: arch.hidden, from: t), freezeStage1: false)
            let trainer = Stage2Trainer(model: model, optimizer: SGD(learningRate: 1e-3, momentum: 0, weightDecay: 0, nesterov: false),
                                        threads: threads, seed: 1)
            let loss = trainer.step(sequences: seqs, rows: Array(0..<seqs.count), codes: codes, targets: targets)
            XCTAssertEqual(loss, doc["loss"] as! Double, accuracy: 1e-5, "loss (\(threads) threads)")
            let got = trainer.lastGradients
            for name in ["model_stage1.conv1.weight", "model_stage1.conv1.bias"] + headOrder {
                let g = try XCTUnwrap(got[name], "no gradient for \(name)")
                assertClose(g.data, floats(expected[name]), rel: 1e-4, abs: 1e-6, "\(name) gradient (\(threads) threads)")
            }
            XCTAssertGreaterThan(got["model_stage1.conv1.weight"]!.data.map { abs($0) }.max()!, 1e-4, "the conv gradient must not vanish")
        }
    }
}
