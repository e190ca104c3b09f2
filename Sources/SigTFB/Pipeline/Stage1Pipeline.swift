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

    /// The search space with the parameters given on the command line fixed (all of them, with the
    /// original's defaults for the others, when there is no validation to tune on).
    public static func searchSpace(options o: PipelineOptions) throws -> SearchSpace {
        try FixedHyperparameters.apply(try searchSpace(), fixed: o.fixedParameters, fixAll: o.data.division == .three)
    }

    static func hyperparameters(_ t: Trial, seed: UInt64, maxEpochs: Int?, data: DataOptions = DataOptions()) -> Stage1Hyperparameters {
        var hp = Stage1Hyperparameters()
        hp.learningRate = TuningLoop.double(t, "learning_rate")
        hp.weightDecay = TuningLoop.double(t, "weight_decay")
        hp.convStd = TuningLoop.double(t, "conv_std")
        hp.linearStd = TuningLoop.double(t, "linear_std")
        hp.channels = TuningLoop.int(t, "num_channels")
        hp.batchSize = TuningLoop.int(t, "batch_size")
        hp.epochs = min(TuningLoop.int(t, "num_epochs"), maxEpochs ?? Int.max)
        hp.seed = seed
        hp.sampler = data.sampler
        hp.loss = data.loss
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
    /// `shuffleNegatives`: each batch also holds a dinucleotide-shuffled copy of every sequence,
    /// unbound in every cell type (and, for the one-loss variant, counted for the same cell type).
    /// `bothStrands`: validation predictions are averaged over both strands.
    static func train(dataset: BassetDataset, rows: [Int], validation: EvaluationSplit?, hp: Stage1Hyperparameters,
                      objective o: TuningObjective, patience: Int, threads: Int, log: (String) -> Void,
                      shouldStop: ((Int, Double) -> Bool)?, shuffleNegatives: Bool = false,
                      bothStrands: Bool = false) throws -> (model: Stage1Model, curve: [Double], bestEpoch: Int, best: Double?, stopped: String?) {
        let arch = Stage1Architecture(channels: hp.channels, cellTypes: dataset.cellTypeCount, sequenceLength: dataset.sequenceLength)
        let model = Stage1Model(architecture: arch, convStd: hp.convStd, linearStd: hp.linearStd, seed: hp.seed)
        let trainer = Stage1Trainer(model: model, optimizer: Adam(learningRate: Float(hp.learningRate), weightDecay: Float(hp.weightDecay)),
                                    loss: hp.loss, threads: threads)
        if hp.loss == .oneLoss && hp.sampler != .balanced {
            throw PipelineError("the one-loss variant counts each sequence's sampled cell type, so it needs the balanced sampler (--customSampler True)")
        }
        var balanced: BalancedPairSampler? = nil
        var shuffled: ShuffledSampler? = nil
        switch hp.sampler {
        case .balanced:
            balanced = try BalancedPairSampler(labels: dataset.trainOut, indices: rows, pairsPerBatch: hp.batchSize,
                                               seed: hp.seed &+ 0x5A5A, cellTypeNames: dataset.targetLabels)
        case .shuffle:
            shuffled = try ShuffledSampler(indices: rows, batchSize: min(hp.batchSize, rows.count), seed: hp.seed &+ 0x5A5A)
        }
        var shuffleRNG = SeededRandom.derived(seed: hp.seed, stream: 0xD1C0)
        let N = dataset.cellTypeCount
        var curve: [Double] = []
        var best: (Int, Double, NamedParameters)? = nil
        var stopped: String? = nil
        for epoch in 1...max(1, hp.epochs) {
            let batches = balanced != nil ? balanced!.epoch() : shuffled!.epoch()
            for (s, b) in batches.enumerated() {
                var targets = dataset.trainOut.gather(rows: b.rows)
                let l: Double
                if shuffleNegatives {
                    let batch = DinucleotideShuffle.batchWithShuffledCopies(dataset.trainIn, rows: b.rows, rng: &shuffleRNG)
                    targets += [UInt8](repeating: 0, count: b.rows.count * N)
                    l = trainer.step(batch, rows: Array(0..<(2 * b.rows.count)), targets: targets, cellTypes: b.cellTypes.map { $0 + $0 })
                } else {
                    l = trainer.step(dataset.trainIn, rows: b.rows, targets: targets, cellTypes: b.cellTypes)
                }
                if !l.isFinite || !trainer.parametersFinite { throw TrainingDiverged(epoch: epoch, step: s + 1) }
                try Interruption.check()
            }
            guard let v = validation else { continue }
            let value = objective(StrandAveraging.evaluateStage1(model, on: v, cellTypes: dataset.targetLabels, threads: threads,
                                                                 bothStrands: bothStrands).report, o)
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
        /// `--baseline`: the constant baseline beside the model.
        public var baseline: ConstantBaseline?
        /// False under `--typeChIP three` (best.value is then not a validation objective).
        public var hasValidation = true
    }

    public static func run(options o: PipelineOptions, log: @escaping (String) -> Void) throws -> Result {
        let start = Date()
        let locks = try o.lockOutputs()
        defer { locks.forEach { $0.release() } }
        let file = try BassetH5.read(path: o.chipData)
        log("read \(o.chipData): \(file.trainIn.count) training, \(file.testIn.count) test sequences, cell types \(file.targetLabels.joined(separator: ", "))")
        let plan = try DataPlan.prepare(dataset: file, options: o, log: log)
        let dataset = plan.dataset
        let both = o.data.reverseComplement.averagesPredictions
        let space = try searchSpace(options: o)
        let opts = FixedHyperparameters.tuningOptions(o, space: space, log: log)
        // Without validation (--typeChIP three) the single trial already trains the final model.
        var trialModel: (trial: Int, model: Stage1Model)? = nil
        let (tuner, notes) = try TuningLoop.run(space: space, options: opts, stage: 1, log: log) { trial, rule in
            let t0 = Date()
            let hp = hyperparameters(trial, seed: o.seed, maxEpochs: o.maxEpochs, data: o.data)
            let split = try plan.split(trial: trial.index)
            let r = try train(dataset: dataset, rows: split.train, validation: split.validation, hp: hp, objective: o.objective,
                              patience: o.patience, threads: o.threads, log: log, shouldStop: rule,
                              shuffleNegatives: o.data.dinucleotideShuffle, bothStrands: both)
            if split.validation == nil { trialModel = (trial.index, r.model) }
            return .init(value: r.best ?? 0, curve: r.curve, bestEpoch: r.bestEpoch, stopped: r.stopped, seconds: Date().timeIntervalSince(t0))
        }
        guard let best = try tuner.best()?.observed else { throw PipelineError("every stage-1 trial failed; no model to train") }
        try TuningLoop.writeOriginalOutputs(tuner: tuner, best: best, objective: o.objective, notes: notes, dir: o.hyperparameterPath,
                                            validated: plan.hasValidation)
        var hp = hyperparameters(best, seed: o.seed, maxEpochs: o.maxEpochs, data: o.data)
        // With early stopping, the final run (no validation set left) stops at the best trial's best epoch.
        if plan.hasValidation, o.patience > 0 || o.curveRule, let n = notes[best.index], n.bestEpoch > 0 { hp.epochs = n.bestEpoch }
        let finalRows = plan.finalRows
        let finalModel: Stage1Model
        if let m = trialModel, m.trial == best.index {
            finalModel = m.model
        } else {
            log("final stage-1 model: \(hp.epochs) epochs on \(finalRows.count) training sequences")
            finalModel = try train(dataset: dataset, rows: finalRows, validation: nil, hp: hp, objective: o.objective,
                                   patience: 0, threads: o.threads, log: log, shouldStop: nil,
                                   shuffleNegatives: o.data.dinucleotideShuffle).model
        }
        let testSplit = EvaluationSplit(sequences: dataset.testIn, labels: dataset.testOut)
        let test = StrandAveraging.evaluateStage1(finalModel, on: testSplit, cellTypes: dataset.targetLabels, threads: o.threads,
                                                  bothStrands: both).report
        let dir = ((o.saveModelPath as NSString).appendingPathComponent(o.tf) as NSString).appendingPathComponent(o.ab)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = (dir as NSString).appendingPathComponent("\(o.tf).\(o.ab).safetensors")
        try Stage1Checkpoint.save(finalModel, cellTypes: dataset.targetLabels, hyperparameters: hp,
                                  trainingData: .init(file: o.chipData, sha256: Stage1Checkpoint.fingerprint(file), sequences: finalRows.count),
                                  to: path)
        try plan.writeSummary(to: dir)
        let N = dataset.cellTypeCount, n = dataset.testIn.count
        let baseline = try plan.writeBaseline(to: dir, trainRows: finalRows,
                                              testLabels: (0..<N).map { c in (0..<n).map { dataset.testOut[$0, c] } }) {
            let probs = StrandAveraging.probabilitiesStage1(finalModel, sequences: dataset.testIn, threads: o.threads, bothStrands: both)
            return ["model": (0..<N).map { c in (0..<n).map { probs[$0 * N + c] } }]
        }
        let seconds = Date().timeIntervalSince(start)
        struct Doc: Encodable {
            var stage = 1
            var tf: String, ab: String
            var objective: String
            var bestValidation: Double?
            var bestTrial: Int
            var finalEpochs: Int
            var trials: Int
            var earlyStopping: [String: String]
            var test: MultiLabelReport
            var baseline: ConstantBaseline?
            var data: DataPlan.Summary
            var wallSeconds: Double
            enum CodingKeys: String, CodingKey {
                case stage, tf, ab, objective, bestValidation = "best_validation", bestTrial = "best_trial", finalEpochs = "final_epochs"
                case trials, earlyStopping = "early_stopping", test, baseline, data, wallSeconds = "wall_seconds"
            }
        }
        let doc = Doc(tf: o.tf, ab: o.ab, objective: o.objective.rawValue, bestValidation: plan.hasValidation ? best.value! : nil,
                      bestTrial: best.index, finalEpochs: hp.epochs, trials: tuner.trials.count,
                      earlyStopping: ["patience": String(o.patience), "curve_rule": o.curveRule ? String(o.curveMargin) : "off"],
                      test: test, baseline: baseline, data: try plan.summary(), wallSeconds: seconds)
        try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(doc), to: (o.saveModelPath as NSString).appendingPathComponent("\(o.tf)/\(o.ab)/metrics.json"))
        return Result(best: best, finalEpochs: hp.epochs, test: test, modelPath: path, seconds: seconds, baseline: baseline,
                      hasValidation: plan.hasValidation)
    }
}
