import Foundation
import Genomics
import NeuralNet
import Storage
import Tuning

/// `sigtfb stage2`: the original's `stage2_pipeline.py` + `stage2_trainfull.py` — tune Net_Stage2
/// over the original search space on top of a stage-1 model, train the final model on the whole
/// training set, evaluate told vs not told on the test set and compute the signature.
public enum Stage2Pipeline {
    /// The original's stage-2 search space (names and bounds as `stage2_pipeline.py`).
    public static func searchSpace() throws -> SearchSpace {
        try SearchSpace(parameters: [
            .range(name: "learning_rate", low: 1e-6, high: 1e-1, logScale: true),
            .range(name: "weight_decay", low: 1e-10, high: 1e-1, logScale: true),
            .range(name: "conv_std", low: 1e-7, high: 1e-1, logScale: true),
            .range(name: "linear_std", low: 1e-5, high: 1e-1, logScale: true),
            .range(name: "num_channels", low: 16, high: 100, valueType: .int),
            .choice(name: "batch_size", values: [.int(64), .int(128), .int(256)], ordered: true),
            .range(name: "num_epochs", low: 50, high: 200, valueType: .int),
            .range(name: "neurons_per_layer", low: 1, high: 100, valueType: .int),
            .range(name: "neurons_per_layer_pre_concat", low: 1, high: 100, valueType: .int),
            .choice(name: "freeze_pretrained_model", values: [.bool(true), .bool(false)]),
            .range(name: "dropout_prob", low: 1e-6, high: 1e-3, logScale: true),
            .range(name: "momentum_rate", low: 1e-6, high: 1e-1, logScale: true),
        ])
    }

    static func hyperparameters(_ t: Trial, options o: PipelineOptions) -> Stage2Hyperparameters {
        var hp = Stage2Hyperparameters()
        hp.learningRate = TuningLoop.double(t, "learning_rate")
        hp.weightDecay = TuningLoop.double(t, "weight_decay")
        hp.convStd = TuningLoop.double(t, "conv_std")
        hp.linearStd = TuningLoop.double(t, "linear_std")
        hp.numChannels = TuningLoop.int(t, "num_channels")
        hp.batchSize = TuningLoop.int(t, "batch_size")
        hp.epochs = min(TuningLoop.int(t, "num_epochs"), o.maxEpochs ?? Int.max)
        hp.neuronsPerLayer = TuningLoop.int(t, "neurons_per_layer")
        hp.neuronsPerLayerPreConcat = TuningLoop.int(t, "neurons_per_layer_pre_concat")
        if case .bool(let b) = t.parameters["freeze_pretrained_model"]! { hp.freezePretrainedModel = b }
        hp.dropoutProb = TuningLoop.double(t, "dropout_prob")
        hp.momentumRate = TuningLoop.double(t, "momentum_rate")
        hp.seed = o.seed
        hp.encoding = o.encoding
        hp.patience = o.patience
        return hp
    }

    public struct Result {
        public var best: Trial
        public var finalEpochs: Int
        public var signature: SignatureResult
        public var modelPath: String
        public var seconds: Double
    }

    public static func run(options o: PipelineOptions, stage1Path: String, log: @escaping (String) -> Void) throws -> Result {
        let start = Date()
        let dataset = try BassetH5.read(path: o.chipData)
        let (stage1, side1) = try Stage1Checkpoint.load(path: stage1Path)
        guard side1.cellTypes == dataset.targetLabels else {
            throw PipelineError("\(stage1Path): the stage-1 model's cell types (\(side1.cellTypes.joined(separator: ","))) differ from \(o.chipData)'s (\(dataset.targetLabels.joined(separator: ",")))")
        }
        guard stage1.architecture.sequenceLength == dataset.sequenceLength else {
            throw PipelineError("\(stage1Path): the stage-1 model expects sequences of length \(stage1.architecture.sequenceLength), \(o.chipData) has \(dataset.sequenceLength)")
        }
        log("read \(o.chipData): \(dataset.trainIn.count) training, \(dataset.testIn.count) test sequences; stage-1 model \(stage1Path) (\(stage1.architecture.channels) channels)")
        let cellTypes = dataset.targetLabels
        let (trainRows, validRows) = TrainValidationSplit.split(count: dataset.trainIn.count, validationFraction: o.validationFraction, seed: o.seed)
        let validation = EvaluationSplit(sequences: dataset.trainIn, labels: dataset.trainOut, rows: validRows)
        let (tuner, notes) = try TuningLoop.run(space: try searchSpace(), options: o, stage: 2, log: log) { trial, rule in
            let t0 = Date()
            let hp = hyperparameters(trial, options: o)
            let r = try Stage2Training.run(trainSequences: dataset.trainIn, trainLabels: dataset.trainOut, trainRows: trainRows,
                                           validation: validation, cellTypes: cellTypes, stage1: stage1, hyperparameters: hp,
                                           objective: o.objective, threads: o.threads, log: nil, shouldStop: rule)
            let curve = r.epochs.reduce(into: [Double]()) { acc, e in acc.append(max(acc.last ?? -1, e.validationObjective ?? 0)) }
            return .init(value: r.bestValidation ?? 0, curve: curve, bestEpoch: r.bestEpoch, stopped: r.stoppedEarly,
                         seconds: Date().timeIntervalSince(t0))
        }
        guard let best = try tuner.best()?.observed else { throw PipelineError("every stage-2 trial failed; no model to train") }
        try TuningLoop.writeOriginalOutputs(tuner: tuner, best: best, objective: o.objective, notes: notes, dir: o.hyperparameterPath)
        var hp = hyperparameters(best, options: o)
        if o.patience > 0 || o.curveRule, let n = notes[best.index], n.bestEpoch > 0 { hp.epochs = n.bestEpoch }
        hp.patience = 0
        log("final stage-2 model: \(hp.epochs) epochs on all \(dataset.trainIn.count) training sequences (\(hp.freezePretrainedModel ? "frozen" : "fine-tuned") stage 1)")
        let final = try Stage2Training.run(trainSequences: dataset.trainIn, trainLabels: dataset.trainOut,
                                           trainRows: Array(0..<dataset.trainIn.count), validation: nil, cellTypes: cellTypes,
                                           stage1: stage1, hyperparameters: hp, objective: o.objective, threads: o.threads, log: nil)
        let testRows = Array(0..<dataset.testIn.count)
        let pred = Stage2Training.predict(final.model, sequences: dataset.testIn, labels: dataset.testOut, rows: testRows,
                                          cellTypes: cellTypes, encoding: hp.encoding, seed: o.seed, threads: o.threads)
        let s1Report = Stage1Training.evaluate(stage1, on: EvaluationSplit(sequences: dataset.testIn, labels: dataset.testOut),
                                               cellTypes: cellTypes, threads: o.threads).report
        var s1: [String: Double?] = [:]
        for c in cellTypes { s1[c] = s1Report.perCellType[c]?.auroc }
        let signature = try Signature.compute(tf: o.tf, ab: o.ab, predictions: pred, stage1AUROC: s1,
                                              bootstrapReplicates: o.bootstrapReplicates, seed: o.seed)
        let dir = ((o.saveModelPath as NSString).appendingPathComponent(o.tf) as NSString).appendingPathComponent(o.ab)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = (dir as NSString).appendingPathComponent("\(o.tf).\(o.ab).safetensors")
        try Stage2Checkpoint.save(final.model, cellTypes: cellTypes, hyperparameters: hp, to: path)
        try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(signature), to: (dir as NSString).appendingPathComponent("signature.json"))
        try AtomicFile.write(signature.tsv, to: (dir as NSString).appendingPathComponent("signature.tsv"))
        let seconds = Date().timeIntervalSince(start)
        struct Doc: Encodable {
            var stage = 2
            var tf: String, ab: String
            var objective: String
            var objectiveDefinition: String
            var bestValidation: Double
            var bestTrial: Int
            var finalEpochs: Int
            var trials: Int
            var encoding: String
            var earlyStopping: [String: String]
            var test: [String: [String: Double]]
            var testMacro: [String: Double]
            var stage1Test: MultiLabelReport
            var wallSeconds: Double
            enum CodingKeys: String, CodingKey {
                case stage, tf, ab, objective, objectiveDefinition = "objective_definition", bestValidation = "best_validation"
                case bestTrial = "best_trial", finalEpochs = "final_epochs", trials, encoding, earlyStopping = "early_stopping"
                case test, testMacro = "test_macro", stage1Test = "stage1_test", wallSeconds = "wall_seconds"
            }
        }
        var test: [String: [String: Double]] = [:]
        for name in signature.cellTypes {
            let c = signature.perCellType[name]!
            test[name] = ["auroc_told": c.aurocTold, "auroc_not_told": c.aurocNotTold, "auprc_told": c.auprcTold, "auprc_not_told": c.auprcNotTold]
        }
        let m = signature.macro
        let doc = Doc(tf: o.tf, ab: o.ab, objective: o.objective.rawValue,
                      objectiveDefinition: "validation metric averaged over cell types and over both modes (told, not told)",
                      bestValidation: best.value!, bestTrial: best.index, finalEpochs: hp.epochs, trials: tuner.trials.count,
                      encoding: hp.encoding.rawValue,
                      earlyStopping: ["patience": String(o.patience), "curve_rule": o.curveRule ? String(o.curveMargin) : "off"],
                      test: test, testMacro: ["auroc_told": m.aurocTold, "auroc_not_told": m.aurocNotTold,
                                              "auprc_told": m.auprcTold, "auprc_not_told": m.auprcNotTold],
                      stage1Test: s1Report, wallSeconds: seconds)
        try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(doc), to: (dir as NSString).appendingPathComponent("metrics.json"))
        return Result(best: best, finalEpochs: hp.epochs, signature: signature, modelPath: path, seconds: seconds)
    }
}
