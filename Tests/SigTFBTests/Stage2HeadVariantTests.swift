import Foundation
import Genomics
import NeuralNet
import Storage
import XCTest
@testable import SigTFB

/// The stage-2 head variants (`--num_hidden_layers` / `--modelname`, issue #10): L = 0
/// (Net_NoLayers: fc4 right after the concatenation) and L = 2 (fc3/bn3, then fc3_2/bn3_2) against
/// PyTorch (bench/reference/make_head_variant_golden.py: forward, gradients, SGD Nesterov steps,
/// BatchNorm running stats, the fine-tune path), and checkpoints of L = 0, 1, 2.
final class Stage2HeadVariantTests: XCTestCase {
    func tensors(_ any: Any?) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in any as! [String: Any] {
            let e = v as! [String: Any]
            out[k] = Tensor(shape: ints(e["shape"]), data: floats(e["data"]))
        }
        return out
    }

    func rowsOf(_ any: Any?) -> [Float] { (any as! [Any]).flatMap { floats($0) } }

    /// The head of a golden file as a model (frozen stage 1: features are given).
    func headModel(_ h: [String: Any], layers L: Int) throws -> Stage2Model {
        let C = h["channels"] as! Int, N = h["cell_types"] as! Int
        let arch = Stage2Architecture(channels: C, cellTypes: N, preConcat: h["pre_concat"] as! Int, hidden: h["hidden"] as! Int,
                                      dropout: 0, hiddenLayers: L)
        let s1 = Stage1Model(architecture: Stage1Architecture(channels: C, cellTypes: N), convStd: 0.1, linearStd: 0.1, seed: 1)
        let t = tensors(h["params"])
        return try Stage2Model(architecture: arch, stage1: s1, head: namedParameters(h["params"], order: arch.headParameterShapes.map(\.0)),
                               bn1: Stage2Model.batchNorm("bn1", features: arch.preConcat, from: t),
                               hiddenNorms: arch.hiddenNormNames.map { try Stage2Model.batchNorm($0, features: arch.hidden, from: t) },
                               freezeStage1: true)
    }

    func testArchitectureNamesAndTheOriginalLayout() {
        let one = Stage2Architecture(channels: 8, cellTypes: 3, preConcat: 5, hidden: 6)
        XCTAssertEqual(one.hiddenLayers, 1)
        XCTAssertEqual(one.headParameterShapes.map(\.0), ["fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "fc2.weight", "fc2.bias",
                                                           "fc3.weight", "fc3.bias", "bn3.weight", "bn3.bias", "fc4.weight", "fc4.bias"])
        XCTAssertEqual(one.headParameterShapes.map(\.1), [[5, 3], [5], [5], [5], [1, 5], [1], [6, 9], [6], [6], [6], [2, 6], [2]])
        let zero = Stage2Architecture(channels: 8, cellTypes: 3, preConcat: 5, hidden: 6, hiddenLayers: 0)
        XCTAssertEqual(zero.headParameterShapes.map(\.0), ["fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "fc2.weight", "fc2.bias",
                                                            "fc4.weight", "fc4.bias"])
        XCTAssertEqual(zero.headParameterShapes[6].1, [2, 9])
        XCTAssertEqual(zero.hiddenNormNames, [])
        let three = Stage2Architecture(channels: 8, cellTypes: 3, preConcat: 5, hidden: 6, hiddenLayers: 3)
        XCTAssertEqual(Array(three.headParameterShapes.map(\.0)[6...]),
                       ["fc3.weight", "fc3.bias", "bn3.weight", "bn3.bias", "fc3_2.weight", "fc3_2.bias", "bn3_2.weight", "bn3_2.bias",
                        "fc3_3.weight", "fc3_3.bias", "bn3_3.weight", "bn3_3.bias", "fc4.weight", "fc4.bias"])
        XCTAssertEqual(three.headParameterShapes.first { $0.0 == "fc3_2.weight" }!.1, [6, 6])
        XCTAssertEqual(three.hiddenNormNames, ["bn3", "bn3_2", "bn3_3"])
        XCTAssertNil(three.problem)
        XCTAssertNotNil(Stage2Architecture(channels: 8, cellTypes: 3, preConcat: 5, hidden: 6, hiddenLayers: 9).problem)
        XCTAssertNotNil(Stage2Architecture(channels: 8, cellTypes: 3, preConcat: 5, hidden: 6, hiddenLayers: -1).problem)
        // Random initialisation of L = 1 draws exactly as before the variants (same names, order, RNG use).
        let s1 = Stage1Model(architecture: Stage1Architecture(channels: 8, cellTypes: 3), convStd: 0.1, linearStd: 0.1, seed: 1)
        let m = Stage2Model(architecture: one, stage1: s1, linearStd: 0.3, freezeStage1: true, seed: 5)
        var rng = SeededRandom(seed: 5)
        XCTAssertEqual(m.head["fc1.weight"]!, Tensor(normal: [5, 3], std: 0.3, rng: &rng))
        XCTAssertEqual(m.hiddenNorms.count, 1)
    }

    func testGoldenForwardGradientsAndNesterovStepsMatchPyTorch() throws {
        for L in [0, 2] {
            let doc = try loadJSON("golden/stage2_head_L\(L)_golden.json")
            XCTAssertEqual(doc["num_hidden_layers"] as? Int, L)
            let h = doc["head"] as! [String: Any]
            let model = try headModel(h, layers: L)
            let features = rowsOf(h["features"]), codes = rowsOf(h["cell_type_codes"])
            let targets = ints(h["targets"]).map { Int32($0) }
            let B = targets.count
            let names = model.architecture.headParameterShapes.map(\.0)
            XCTAssertEqual(Set(names), Set((h["gradients"] as! [String: Any]).keys), "L = \(L): parameter names")

            // Eval forward.
            let lpEval = (h["logprobs_eval_mode"] as! [Any]).map { floats($0) }
            assertClose(model.probabilities(features: features, codes: codes), lpEval.map { expf($0[1]) }, rel: 1e-5, abs: 1e-7,
                        "L = \(L): eval P(bound)")
            // Train forward (batch statistics, running stats untouched) and one backward.
            let ws = Stage2Workspace(architecture: model.architecture, rows: B)
            var rng = SeededRandom(seed: 0)
            let norms = model.hiddenNorms
            features.withUnsafeBufferPointer { f in codes.withUnsafeBufferPointer { c in
                ws.forward(model: model, features: f.baseAddress!, codes: c.baseAddress!, rows: B, train: true, rng: &rng, updateRunning: false)
            } }
            assertClose(ws.logProbs, rowsOf(h["logprobs_train_mode"]), rel: 1e-5, abs: 1e-6, "L = \(L): train-mode log-probs")
            assertClose(ws.hiddenActivations, rowsOf(h["hidden_train_mode"]), rel: 1e-5, abs: 1e-6, "L = \(L): input of fc4")
            XCTAssertEqual(model.hiddenNorms, norms)
            let counts = model.head.tensors.map(\.count)
            let grads = counts.map { n -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
            }
            defer { grads.forEach { $0.deallocate() } }
            let loss = ws.lossAndBackward(model: model, targets: targets, gradients: grads)
            XCTAssertEqual(Float(loss), Float(h["loss"] as! Double), accuracy: 1e-5 * Float(abs(h["loss"] as! Double)), "L = \(L): loss")
            let expected = h["gradients"] as! [String: Any]
            for (j, name) in names.enumerated() {
                assertClose(Array(UnsafeBufferPointer(start: grads[j], count: counts[j])), floats(expected[name]), rel: 1e-5, abs: 1e-6,
                            "L = \(L): d loss / d \(name)")
            }
            assertClose(Array(ws.gradFeatures[0..<(B * model.architecture.channels)]), rowsOf(h["grad_features"]), rel: 1e-5, abs: 1e-7,
                        "L = \(L): d loss / d features")

            // Three SGD Nesterov steps with weight decay: parameters and every BatchNorm's running stats.
            let sgd = h["sgd"] as! [String: Any]
            let opt = SGD(learningRate: Float(sgd["lr"] as! Double), momentum: Float(sgd["momentum"] as! Double),
                          weightDecay: Float(sgd["weight_decay"] as! Double), nesterov: sgd["nesterov"] as! Bool)
            let trainer = Stage2Trainer(model: model, optimizer: opt, threads: 2, seed: 1)
            var losses: [Float] = []
            for _ in 0..<(h["steps"] as! Int) { losses.append(Float(trainer.step(features: features, codes: codes, targets: targets))) }
            assertClose(losses, floats(h["losses"]), rel: 1e-5, abs: 1e-7, "L = \(L): losses")
            let after = tensors(h["params_after"])
            for name in names {
                assertClose(model.head[name]!.data, after[name]!.data, rel: 1e-5, abs: 2e-6, "L = \(L): \(name) after 3 steps")
            }
            for prefix in ["bn1"] + model.architecture.hiddenNormNames {
                let bn = model.batchNorm(named: prefix)!
                assertClose(bn.runningMean, after["\(prefix).running_mean"]!.data, rel: 1e-5, abs: 1e-6, "L = \(L): \(prefix).running_mean")
                assertClose(bn.runningVar, after["\(prefix).running_var"]!.data, rel: 1e-5, abs: 1e-6, "L = \(L): \(prefix).running_var")
                XCTAssertEqual(bn.numBatchesTracked, 3, "L = \(L): \(prefix).num_batches_tracked")
            }
            XCTAssertEqual(Set(after.keys), Set(model.stateDict.map(\.0).filter { !$0.hasPrefix("model_stage1.") }), "L = \(L): state_dict names")
            assertClose(model.probabilities(features: features, codes: codes),
                        (h["logprobs_eval_mode_after"] as! [Any]).map { expf(floats($0)[1]) }, rel: 1e-5, abs: 1e-6, "L = \(L): eval after steps")
        }
    }

    /// The fine-tune path (stage-1 conv trained through the head) for L = 0 and 2: loss and every
    /// gradient against PyTorch autograd, one and two threads.
    func testFineTuneGradientsMatchPyTorch() throws {
        for L in [0, 2] {
            let doc = try loadJSON("golden/stage2_head_L\(L)_golden.json")["finetune"] as! [String: Any]
            let C = doc["channels"] as! Int, N = doc["cell_types"] as! Int, Lseq = doc["length"] as! Int
            let all = doc["params"] as! [String: Any]
            var stage1Dict: [String: Any] = [:]
            for (k, v) in all where k.hasPrefix("model_stage1.") { stage1Dict[String(k.dropFirst("model_stage1.".count))] = v }
            let seqs = encode(doc["sequences"] as! [String])
            let codes = rowsOf(doc["cell_type_codes"])
            let targets = ints(doc["targets"]).map { Int32($0) }
            let expected = doc["gradients"] as! [String: Any]
            for threads in [1, 2] {
                let s1 = try Stage1Model(architecture: Stage1Architecture(channels: C, cellTypes: N, sequenceLength: Lseq),
                                         parameters: namedParameters(stage1Dict, order: ["conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]))
                let arch = Stage2Architecture(channels: C, cellTypes: N, preConcat: doc["pre_concat"] as! Int, hidden: doc["hidden"] as! Int,
                                              dropout: 0, sequenceLength: Lseq, convWidth: s1.architecture.convWidth, hiddenLayers: L)
                let t = tensors(all)
                let model = try Stage2Model(architecture: arch, stage1: s1, head: namedParameters(all, order: arch.headParameterShapes.map(\.0)),
                                            bn1: Stage2Model.batchNorm("bn1", features: arch.preConcat, from: t),
                                            hiddenNorms: arch.hiddenNormNames.map { try Stage2Model.batchNorm($0, features: arch.hidden, from: t) },
                                            freezeStage1: false)
                let trainer = Stage2Trainer(model: model, optimizer: SGD(learningRate: 1e-3, momentum: 0, weightDecay: 0, nesterov: false),
                                            threads: threads, seed: 1)
                let loss = trainer.step(sequences: seqs, rows: Array(0..<seqs.count), codes: codes, targets: targets)
                XCTAssertEqual(loss, doc["loss"] as! Double, accuracy: 1e-5, "L = \(L): loss (\(threads) threads)")
                let got = trainer.lastGradients
                XCTAssertEqual(Set(got.names), Set(expected.keys), "L = \(L): the trainable set")
                for name in got.names {
                    assertClose(got[name]!.data, floats(expected[name]), rel: 1e-4, abs: 1e-6, "L = \(L): \(name) gradient (\(threads) threads)")
                }
                XCTAssertGreaterThan(got["model_stage1.conv1.weight"]!.data.map { abs($0) }.max()!, 1e-4, "the conv gradient must not vanish")
            }
        }
    }

    /// Safetensors + sidecar of L = 0, 1, 2: PyTorch names in state_dict order, the architecture's
    /// `num_hidden_layers`, an exact round trip; a sidecar without the key reads as L = 1.
    func testCheckpointsRoundTripForEveryVariant() throws {
        let dir = scratchDirectory("s2head")
        let s1 = Stage1Model(architecture: Stage1Architecture(channels: 8, cellTypes: 2, sequenceLength: 40, convWidth: 6),
                             convStd: 0.3, linearStd: 0.1, seed: 3)
        let stage1Names = s1.parameters.names.map { "model_stage1." + $0 }
        func bnNames(_ p: String) -> [String] { ["\(p).weight", "\(p).bias", "\(p).running_mean", "\(p).running_var", "\(p).num_batches_tracked"] }
        let branch = ["fc1.weight", "fc1.bias"] + bnNames("bn1") + ["fc2.weight", "fc2.bias"]
        let expectedNames: [Int: [String]] = [
            0: stage1Names + branch + ["fc4.weight", "fc4.bias"],
            1: stage1Names + branch + ["fc3.weight", "fc3.bias"] + bnNames("bn3") + ["fc4.weight", "fc4.bias"],
            2: stage1Names + branch + ["fc3.weight", "fc3.bias"] + bnNames("bn3") + ["fc3_2.weight", "fc3_2.bias"] + bnNames("bn3_2")
                + ["fc4.weight", "fc4.bias"],
        ]
        for L in [0, 1, 2] {
            let arch = Stage2Architecture(channels: 8, cellTypes: 2, preConcat: 3, hidden: 4, dropout: 0.01, sequenceLength: 40, convWidth: 6,
                                          hiddenLayers: L)
            let m = Stage2Model(architecture: arch, stage1: s1, linearStd: 0.2, freezeStage1: true, seed: 1)
            m.bn1.runningMean = [0.1, 0.2, 0.3]; m.bn1.numBatchesTracked = 7
            for k in m.hiddenNorms.indices {
                m.hiddenNorms[k].runningVar = [1.5, 0.5, 2, Float(k + 1)]; m.hiddenNorms[k].numBatchesTracked = 3 + k
            }
            var hp = Stage2Hyperparameters(); hp.numHiddenLayers = L
            let path = dir + "/m\(L).safetensors"
            try Stage2Checkpoint.save(m, cellTypes: ["CT_A", "CT_B"], hyperparameters: hp, to: path)
            let stored = try Safetensors.read(path: path).tensors
            XCTAssertEqual(stored.map(\.name).sorted(), expectedNames[L]!.sorted(), "L = \(L)")
            XCTAssertEqual(m.stateDict.map(\.0), expectedNames[L]!, "L = \(L): state_dict order")
            let side = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m\(L).json"))) as! [String: Any]
            XCTAssertEqual((side["architecture"] as! [String: Any])["num_hidden_layers"] as? Int, L)
            XCTAssertEqual((side["hyperparameters"] as! [String: Any])["num_hidden_layers"] as? Int, L)
            let (back, sidecar) = try Stage2Checkpoint.load(path: path)
            XCTAssertEqual(back.architecture, arch)
            XCTAssertEqual(sidecar.hyperparameters.numHiddenLayers, L)
            XCTAssertEqual(back.head, m.head); XCTAssertEqual(back.bn1, m.bn1); XCTAssertEqual(back.hiddenNorms, m.hiddenNorms)
            let f: [Float] = (0..<(5 * 8)).map { Float($0 % 7) * 0.3 }
            let g: [Float] = [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
            XCTAssertEqual(back.probabilities(features: f, codes: g), m.probabilities(features: f, codes: g), "L = \(L)")
        }
        // A sidecar written before the variants (no num_hidden_layers anywhere) is the original's head.
        let sidePath = dir + "/m1.json"
        var side = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sidePath))) as! [String: Any]
        var a = side["architecture"] as! [String: Any]; a.removeValue(forKey: "num_hidden_layers"); side["architecture"] = a
        var h = side["hyperparameters"] as! [String: Any]; h.removeValue(forKey: "num_hidden_layers"); side["hyperparameters"] = h
        try JSONSerialization.data(withJSONObject: side).write(to: URL(fileURLWithPath: sidePath))
        let (old, oldSide) = try Stage2Checkpoint.load(path: dir + "/m1.safetensors")
        XCTAssertEqual(old.architecture.hiddenLayers, 1); XCTAssertEqual(oldSide.hyperparameters.numHiddenLayers, 1)
        // A sidecar claiming more hidden layers than the tensors hold, or too many, is refused with the reason.
        a["num_hidden_layers"] = 2; side["architecture"] = a
        try JSONSerialization.data(withJSONObject: side).write(to: URL(fileURLWithPath: sidePath))
        XCTAssertThrowsError(try Stage2Checkpoint.load(path: dir + "/m1.safetensors")) { XCTAssertTrue("\($0)".contains("fc3_2.weight"), "\($0)") }
        a["num_hidden_layers"] = 9; side["architecture"] = a
        try JSONSerialization.data(withJSONObject: side).write(to: URL(fileURLWithPath: sidePath))
        XCTAssertThrowsError(try Stage2Checkpoint.load(path: dir + "/m1.safetensors")) { XCTAssertTrue("\($0)".contains("num_hidden_layers"), "\($0)") }
    }

    /// The committed evidence checkpoints (bench/reference/make_stage2_safetensors_evidence.sh:
    /// `sigtfb stage2 --num_hidden_layers 0/1/2`, checked in PyTorch with load_state_dict(strict=True)
    /// by check_stage2_safetensors.py) load with their head and give the predictions stored beside them.
    func testEvidenceCheckpointsLoadAndReproduceTheirPredictions() throws {
        let seqs = try Prediction.readFasta(path: fixturePath("golden/safetensors/stage2/sequences.fa"))
        for L in [0, 1, 2] {
            let (m, side) = try Stage2Checkpoint.load(path: fixturePath("golden/safetensors/stage2/L\(L).safetensors"))
            XCTAssertEqual(m.architecture.hiddenLayers, L)
            XCTAssertEqual(side.hyperparameters.numHiddenLayers, L)
            var o = Prediction.Options(); o.threads = 1
            let got = try Prediction.probabilities(model: m, sequences: seqs, options: o)
            let rows = try String(contentsOfFile: fixturePath("golden/safetensors/stage2/L\(L).predictions.tsv"), encoding: .utf8)
                .split(separator: "\n").dropFirst()
            let want = rows.flatMap { $0.split(separator: "\t").dropFirst().map { Float($0)! } }
            assertClose(got.flatMap { $0 }, want, rel: 1e-5, abs: 1e-6, "L = \(L): predictions")
            let check = try loadJSON("golden/safetensors/stage2/L\(L).pytorch_check.json")
            XCTAssertEqual(check["pass"] as? Bool, true)
            XCTAssertEqual(check["state_dict"] as? [String], m.stateDict.map(\.0), "L = \(L): PyTorch's state_dict order")
        }
    }

    /// Stage2Pipeline with `numHiddenLayers` 2 writes that head; the same tuning state is not resumed
    /// for another head; out-of-range counts are refused before anything is read.
    func testPipelineBuildsTheHeadAndDoesNotResumeAnotherOne() throws {
        let d = Stage2PipelineTests.tinyDataset(n: 120, test: 40, seed: 5)
        let dir = scratchDirectory("s2headpipe")
        let h5 = dir + "/T.A.h5"
        try BassetH5.write(d, to: h5)
        var o1 = PipelineOptions(tf: "T", ab: "A", chipData: h5, hyperparameterPath: dir + "/hp1", saveModelPath: dir + "/m1")
        o1.trials = 1; o1.maxEpochs = 1; o1.threads = 2; o1.bootstrapReplicates = 20
        o1.fixedParameters = ["num_channels": .int(8), "batch_size": .int(16)]
        let r1 = try Stage1Pipeline.run(options: o1, log: { _ in })
        var o2 = o1
        o2.hyperparameterPath = dir + "/hp2"; o2.saveModelPath = dir + "/m2"; o2.numHiddenLayers = 2
        o2.fixedParameters = [:]
        var logged: [String] = []
        let r2 = try Stage2Pipeline.run(options: o2, stage1Path: r1.modelPath, log: { logged.append($0) })
        XCTAssertTrue(logged.contains("stage-2 head: 2 hidden layers of neurons_per_layer after the concatenation"), "\(logged)")
        XCTAssertEqual(try Stage2Checkpoint.load(path: r2.modelPath).model.architecture.hiddenLayers, 2)
        XCTAssertEqual(try Stage2Checkpoint.load(path: dir + "/hp2/" + Stage2Pipeline.bestModelFile).model.architecture.hiddenLayers, 2)
        var o3 = o2; o3.numHiddenLayers = 1
        XCTAssertThrowsError(try Stage2Pipeline.run(options: o3, stage1Path: r1.modelPath, log: { _ in })) {
            XCTAssertTrue("\($0)".contains("num_hidden_layers 2, not 1"), "\($0)")
        }
        o3.numHiddenLayers = 9
        XCTAssertThrowsError(try Stage2Pipeline.run(options: o3, stage1Path: r1.modelPath, log: { _ in })) {
            XCTAssertTrue("\($0)".contains("between 0 and 8"), "\($0)")
        }
        // Rerunning with the same head resumes (nothing left to tune) and gives the same model.
        let again = try Stage2Pipeline.run(options: o2, stage1Path: r1.modelPath, log: { _ in })
        XCTAssertEqual(try Stage2Checkpoint.load(path: again.modelPath).model.head, try Stage2Checkpoint.load(path: r2.modelPath).model.head)
    }

    /// Training end to end for L = 0, 2, 3 (frozen and fine-tuned, dropout on): finite, deterministic,
    /// the loss goes down, and the fine-tuned conv moves.
    func testTrainingRunsForEveryVariant() throws {
        let d = Stage2PipelineTests.tinyDataset(n: 160, test: 8, seed: 4)
        let s1 = Stage2PipelineTests.stage1(d)
        for L in [0, 2, 3] {
            for freeze in [true, false] {
                var hp = Stage2Hyperparameters()
                hp.numHiddenLayers = L; hp.freezePretrainedModel = freeze; hp.epochs = 4; hp.batchSize = 32
                hp.learningRate = 0.05; hp.linearStd = 0.1; hp.dropoutProb = 0.05; hp.neuronsPerLayer = 6; hp.neuronsPerLayerPreConcat = 3
                func train() throws -> Stage2RunResult {
                    try Stage2Training.run(trainSequences: d.trainIn, trainLabels: d.trainOut, trainRows: Array(0..<d.trainIn.count),
                                           validation: nil, cellTypes: d.targetLabels, stage1: s1, hyperparameters: hp,
                                           objective: .auroc, threads: 2)
                }
                let r = try train(), again = try train()
                let what = "L = \(L), freeze \(freeze)"
                XCTAssertEqual(r.model.architecture.hiddenLayers, L, what)
                XCTAssertEqual(r.model.head, again.model.head, "\(what): deterministic")
                XCTAssertTrue(r.epochs.allSatisfy { $0.trainLoss.isFinite }, what)
                XCTAssertLessThan(r.epochs.last!.trainLoss, r.epochs.first!.trainLoss, what)
                XCTAssertEqual(r.model.hiddenNorms.map(\.numBatchesTracked), [Int](repeating: 4 * 5, count: L), what)
                XCTAssertEqual(r.model.stage1.parameters == s1.parameters, freeze, "\(what): the stage-1 conv moves only when fine-tuned")
            }
        }
    }
}
