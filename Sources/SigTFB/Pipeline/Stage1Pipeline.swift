import Foundation
import Genomics
import NeuralNet
import Storage
import Tuning

/// `sigtfb stage1`: the original's `stage1_pipeline.py` — tune CNN_Multilabel with Bayesian
/// optimisation over the original search space, train the final model on the whole training
/// set with the best parameters, evaluate it on the test set.
public enum Stage1Pipeline {
    /// The original's stage-1 search space (names and bounds as `stage1_pipeline.py`).
    public static func searchSpace() throws -> SearchSpace {
        try SearchSpace(parameters: [
            .range(name: "learning_rate", low: 1e-6, high: 1e-3, logScale: true),
            .range(name: "weight_decay", low: 1e-10, high: 1e-3, logScale: true),
            .range(name: "conv_std", low: 1e-7, high: 1e-3, logScale: true),
            .range(name: "linear_std", low: 1e-5, high: 1e-2, logScale: true),
            .range(name: "num_channels", low: 16, high: 100, valueType: .int),
            .choice(name: "batch_size", values: [.int(64), .int(128), .int(256)], ordered: true),
            .range(name: "num_epochs", low: 50, high: 200, valueType: .int),
        ])
    }

    static func hyperparameters(_ t: Trial, seed: UInt64, maxEpochs: Int?) -> Stage1Hyperparameters {
        var hp = Stage1Hyperparameters()
        hp.learningRate = TuningLoop.double(t, "learning_rate")
        hp.weightDecay = TuningLoop.double(t, "weight_decay")
        hp.convStd = TuningLoop.double(t, "conv_std")
        hp.linearStd = TuningLoop.double(t, "linear_std")
        hp.channels = TuningLoop.int(t, "num_channels")
        hp.batchSize = TuningLoop.int(t, "batch_size")
        hp.epochs = min(TuningLoop.int(t, "num_epochs"), maxEpochs ?? Int.max)
        hp.seed = seed
        return hp
    }

    static func objective(_ r: MultiLabelReport, _ o: TuningObjective) -> Double {
        switch o {
        case .auroc: return r.macro.auroc ?? 0.5
        case .auprc: return r.macro.auprc ?? 0
        case .accuracy: return r.macro.accuracy
        case .hamming: return r.hammingScore
        }
    }

    /// A stage-1 run with validation after every epoch, patience and the curve rule; returns the
    /// best epoch's model. Without `validation`, trains `hp.epochs` epochs and returns the last model.
    static func train(dataset: BassetDataset, rows: [Int], validation: EvaluationSplit?, hp: Stage1Hyperparameters,
                      objective o: TuningObjective, patience: Int, threads: Int, log: (String) -> Void,
                      shouldStop: ((Int, Double) -> Bool)?) throws -> (model: Stage1Model, curve: [Double], bestEpoch: Int, best: Double?, stopped: String?) {
        let arch = Stage1Architecture(channels: hp.channels, cellTypes: dataset.cellTypeCount, sequenceLength: dataset.sequenceLength)
        let model = Stage1Model(architecture: arch, convStd: hp.convStd, linearStd: hp.linearStd, seed: hp.seed)
        let trainer = Stage1Trainer(model: model, optimizer: Adam(learningRate: Float(hp.learningRate), weightDecay: Float(hp.weightDecay)),
                                    loss: hp.loss, threads: threads)
        var sampler = try BalancedPairSampler(labels: dataset.trainOut, indices: rows, pairsPerBatch: hp.batchSize,
                                              seed: hp.seed &+ 0x5A5A, cellTypeNames: dataset.targetLabels)
        let N = dataset.cellTypeCount
        var curve: [Double] = []
        var best: (Int, Double, NamedParameters)? = nil
        var stopped: String? = nil
        for epoch in 1...max(1, hp.epochs) {
            for (s, b) in sampler.epoch().enumerated() {
                var targets = [UInt8](); targets.reserveCapacity(b.rows.count * N)
                for r in b.rows { for c in 0..<N { targets.append(dataset.trainOut[r, c]) } }
                let l = trainer.step(dataset.trainIn, rows: b.rows, targets: targets, cellTypes: b.cellTypes)
                if !l.isFinite || !model.parameters.allFinite { throw TrainingDiverged(epoch: epoch, step: s + 1) }
                try Interruption.check()
            }
            guard let v = validation else { continue }
            let value = objective(Stage1Training.evaluate(model, on: v, cellTypes: dataset.targetLabels, threads: threads).report, o)
            if best == nil || value > best!.1 { best = (epoch, value, model.parameters) }
            curve.append(best!.1)
            if epoch % 10 == 0 { log(String(format: "  epoch %d/%d  valid %@ %.4f (best %.4f)", epoch, hp.epochs, o.rawValue, value, best!.1)) }
            if patience > 0 && epoch - best!.0 >= patience { stopped = "patience"; break }
            if let shouldStop, shouldStop(epoch, best!.1) { stopped = "curve rule"; break }
        }
        if let b = best {
            return (try Stage1Model(architecture: arch, parameters: b.2), curve, b.0, b.1, stopped)
        }
        return (model, curve, hp.epochs, nil, nil)
    }

    public struct Result {
        public var best: Trial
        public var finalEpochs: Int
        public var test: MultiLabelReport
        public var modelPath: String
        public var seconds: Double
    }

    public static func run(options o: PipelineOptions, log: @escaping (String) -> Void) throws -> Result {
        let start = Date()
        let locks = try o.lockOutputs()
        defer { locks.forEach { $0.release() } }
        let dataset = try BassetH5.read(path: o.chipData)
        log("read \(o.chipData): \(dataset.trainIn.count) training, \(dataset.testIn.count) test sequences, cell types \(dataset.targetLabels.joined(separator: ", "))")
        let (trainRows, validRows) = TrainValidationSplit.split(count: dataset.trainIn.count, validationFraction: o.validationFraction, seed: o.seed)
        let validation = EvaluationSplit(sequences: dataset.trainIn, labels: dataset.trainOut, rows: validRows)
        let space = try searchSpace()
        let (tuner, notes) = try TuningLoop.run(space: space, options: o, stage: 1, log: log) { trial, rule in
            let t0 = Date()
            let hp = hyperparameters(trial, seed: o.seed, maxEpochs: o.maxEpochs)
            let r = try train(dataset: dataset, rows: trainRows, validation: validation, hp: hp, objective: o.objective,
                              patience: o.patience, threads: o.threads, log: log, shouldStop: rule)
            return .init(value: r.best ?? 0, curve: r.curve, bestEpoch: r.bestEpoch, stopped: r.stopped, seconds: Date().timeIntervalSince(t0))
        }
        guard let best = try tuner.best()?.observed else { throw PipelineError("every stage-1 trial failed; no model to train") }
        try TuningLoop.writeOriginalOutputs(tuner: tuner, best: best, objective: o.objective, notes: notes, dir: o.hyperparameterPath)
        var hp = hyperparameters(best, seed: o.seed, maxEpochs: o.maxEpochs)
        // With early stopping, the final run (no validation set left) stops at the best trial's best epoch.
        if o.patience > 0 || o.curveRule, let n = notes[best.index], n.bestEpoch > 0 { hp.epochs = n.bestEpoch }
        log("final stage-1 model: \(hp.epochs) epochs on all \(dataset.trainIn.count) training sequences")
        let final = try train(dataset: dataset, rows: Array(0..<dataset.trainIn.count), validation: nil, hp: hp, objective: o.objective,
                              patience: 0, threads: o.threads, log: log, shouldStop: nil)
        let test = Stage1Training.evaluate(final.model, on: EvaluationSplit(sequences: dataset.testIn, labels: dataset.testOut),
                                           cellTypes: dataset.targetLabels, threads: o.threads).report
        let dir = ((o.saveModelPath as NSString).appendingPathComponent(o.tf) as NSString).appendingPathComponent(o.ab)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = (dir as NSString).appendingPathComponent("\(o.tf).\(o.ab).safetensors")
        try Stage1Checkpoint.save(final.model, cellTypes: dataset.targetLabels, hyperparameters: hp,
                                  trainingData: .init(file: o.chipData, sha256: Stage1Checkpoint.fingerprint(dataset), sequences: dataset.trainIn.count),
                                  to: path)
        let seconds = Date().timeIntervalSince(start)
        struct Doc: Encodable {
            var stage = 1
            var tf: String, ab: String
            var objective: String
            var bestValidation: Double
            var bestTrial: Int
            var finalEpochs: Int
            var trials: Int
            var earlyStopping: [String: String]
            var test: MultiLabelReport
            var wallSeconds: Double
            enum CodingKeys: String, CodingKey {
                case stage, tf, ab, objective, bestValidation = "best_validation", bestTrial = "best_trial", finalEpochs = "final_epochs"
                case trials, earlyStopping = "early_stopping", test, wallSeconds = "wall_seconds"
            }
        }
        let doc = Doc(tf: o.tf, ab: o.ab, objective: o.objective.rawValue, bestValidation: best.value!, bestTrial: best.index,
                      finalEpochs: hp.epochs, trials: tuner.trials.count,
                      earlyStopping: ["patience": String(o.patience), "curve_rule": o.curveRule ? String(o.curveMargin) : "off"],
                      test: test, wallSeconds: seconds)
        try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(doc), to: (o.saveModelPath as NSString).appendingPathComponent("\(o.tf)/\(o.ab)/metrics.json"))
        return Result(best: best, finalEpochs: hp.epochs, test: test, modelPath: path, seconds: seconds)
    }
}
