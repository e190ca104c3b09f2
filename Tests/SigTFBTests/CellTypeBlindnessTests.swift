import Foundation
import Genomics
import NeuralNet
import Storage
import Tuning
import XCTest
@testable import SigTFB

/// Issue 6: stage-2 model selection must not pick a model whose cell-type branch has died (told and
/// not-told predictions identical), which reports "no signature" whatever the data. Such a model
/// is chosen only when nothing else was found.
final class CellTypeBlindnessTests: XCTestCase {
    func testSensitivityIsTheLargestToldVersusNotToldDifference() {
        let same: [[Float]] = [[0.2, 0.7, 0.4], [0.2, 0.7, 0.4]]
        var p = Stage2Predictions(cellTypes: ["a", "b"], labels: [[0, 1, 0], [1, 0, 0]], told: same, notTold: same)
        XCTAssertEqual(p.cellTypeSensitivity, 0)
        XCTAssertTrue(p.isCellTypeBlind)
        p.told[1][2] = 0.65
        XCTAssertEqual(p.cellTypeSensitivity, 0.25, accuracy: 1e-6)
        XCTAssertFalse(p.isCellTypeBlind)
        p.told[1][2] = 0.4 + 5e-4   // below the tolerance: still blind
        XCTAssertTrue(p.isCellTypeBlind)
    }

    /// A dead cell-type branch (tiny linear_std, strong weight decay) is flagged; a live one is not.
    func testTrainingReportsWhetherTheModelUsesTheCellType() throws {
        let d = Stage2PipelineTests.tinyDataset(n: 400, test: 10, seed: 5)
        let s1 = Stage2PipelineTests.stage1(d)
        let (train, valid) = TrainValidationSplit.split(count: d.trainIn.count, validationFraction: 0.25, seed: 2)
        let v = EvaluationSplit(sequences: d.trainIn, labels: d.trainOut, rows: valid)
        func run(linearStd: Double, weightDecay: Double) throws -> Stage2RunResult {
            var hp = Stage2Hyperparameters()
            hp.linearStd = linearStd; hp.weightDecay = weightDecay; hp.epochs = 6; hp.learningRate = 0.05
            hp.momentumRate = 0.5; hp.batchSize = 64; hp.neuronsPerLayer = 16; hp.neuronsPerLayerPreConcat = 4; hp.seed = 3
            return try Stage2Training.run(trainSequences: d.trainIn, trainLabels: d.trainOut, trainRows: train, validation: v,
                                          cellTypes: d.targetLabels, stage1: s1, hyperparameters: hp, objective: .auprc, threads: 2)
        }
        let dead = try run(linearStd: 1e-5, weightDecay: 0.1)
        XCTAssertTrue(dead.isCellTypeBlind, "sensitivity \(dead.cellTypeSensitivity ?? -1)")
        let live = try run(linearStd: 0.3, weightDecay: 0)
        XCTAssertFalse(live.isCellTypeBlind, "sensitivity \(live.cellTypeSensitivity ?? -1)")
        // The returned model is the one the flag describes.
        let p = Stage2Training.predict(live.model, sequences: d.trainIn, labels: d.trainOut, rows: valid, cellTypes: d.targetLabels,
                                       encoding: .oneHotHalfNotTold, seed: 3, threads: 2)
        XCTAssertEqual(p.cellTypeSensitivity, live.cellTypeSensitivity!, accuracy: 1e-6)
    }

    func testBestTrialSkipsIneligibleTrialsUnlessAllAre() throws {
        let space = try SearchSpace(parameters: [.range(name: "x", low: 0, high: 1)])
        let tuner = try Tuner(space: space, seed: 1, direction: .maximize)
        let trials = try tuner.ask(count: 3)
        for (t, v) in zip(trials, [0.9, 0.7, 0.8]) { try tuner.tell(trial: t.index, value: v) }
        func note(_ v: Double, _ bad: Bool) -> TrialNote {
            TrialNote(bestEpoch: 1, epochsRun: 1, stopped: nil, seconds: 0, validation: v, ineligible: bad ? "cell-type blind" : nil)
        }
        var notes: [Int: TrialNote] = [0: note(0.9, true), 1: note(0.7, false), 2: note(0.8, false)]
        XCTAssertEqual(TuningLoop.bestTrial(tuner: tuner, notes: notes)?.index, 2)
        notes[2] = note(0.8, true)
        XCTAssertEqual(TuningLoop.bestTrial(tuner: tuner, notes: notes)?.index, 1)
        notes[1] = note(0.7, true)
        // Every trial ineligible: the best own validation value.
        XCTAssertEqual(TuningLoop.bestTrial(tuner: tuner, notes: notes)?.index, 0)
        XCTAssertEqual(TuningLoop.bestTrial(tuner: tuner, notes: [:])?.index, 0)
    }

    /// `--start-at-centre`: the first trial is the centre of the space (the original's start) instead
    /// of the configuration known to train.
    func testSearchCanStartAtTheCentre() throws {
        let d = Stage2PipelineTests.tinyDataset(n: 120, test: 20, seed: 7)
        let dir = scratchDirectory("s2centre")
        try BassetH5.write(d, to: dir + "/T.A.h5")
        try Stage1Checkpoint.save(Stage2PipelineTests.stage1(d), cellTypes: d.targetLabels, hyperparameters: nil, trainingData: nil,
                                  to: dir + "/s1.safetensors")
        for (centre, method) in [(true, "center"), (false, "given")] {
            var o = PipelineOptions(tf: "T", ab: "A", chipData: dir + "/T.A.h5", hyperparameterPath: dir + "/hp-\(centre)",
                                    saveModelPath: dir + "/m-\(centre)")
            o.trials = 1; o.maxEpochs = 1; o.threads = 1; o.bootstrapReplicates = 10
            o.knownGoodFirstTrial = !centre
            _ = try Stage2Pipeline.run(options: o, stage1Path: dir + "/s1.safetensors", log: { _ in })
            let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/hp-\(centre)/tuning-state.json"))) as! [String: Any]
            let first = (state["trials"] as! [[String: Any]])[0]
            XCTAssertEqual(first["method"] as? String, method)
            let lr = (first["parameters"] as! [String: Any])["learning_rate"] as! Double
            XCTAssertEqual(lr, centre ? (1e-6 * 1e-1).squareRoot() : 0.05, accuracy: 1e-9)
        }
    }
}
