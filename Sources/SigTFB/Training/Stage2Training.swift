import Foundation
import Genomics
import NeuralNet
import Storage

/// How the cell type is given to stage 2 (the original's `--Encoding_Random`). "Not told" is
/// always the all-zero code.
public enum CellTypeEncoding: String, Codable, Sendable, CaseIterable {
    /// "E" (the original's default): one-hot of the instance's cell type for the first half of
    /// each training batch, the all-zero "not told" code for the second half.
    case oneHotHalfNotTold = "E"
    /// "C": one-hot for every training instance (the model never sees "not told" in training).
    case oneHot = "C"
    /// "A" (null control): a fixed random vector per cell type (integers 1–99, as the original's
    /// loader drew them), half told / half not told (the original told every instance under A).
    case randomPerCellType = "A"
    /// "B" (null control): one random vector shared by all cell types — carries no cell-type
    /// information. (The original's loader used the all-zero vector, identical to "not told".)
    case sharedRandom = "B"
    /// "D" (null control): a fresh random vector per instance (integers 1–99, as A) — carries no
    /// cell-type information. (Described but never implemented in the original.)
    case randomPerInstance = "D"

    var halfNotTold: Bool { self != .oneHot }
}

/// Produces the cell-type codes (length N) for an encoding, seeded.
public struct CellTypeCoder: Sendable {
    public let encoding: CellTypeEncoding
    public let cellTypes: Int
    var fixed: [[Float]]

    public init(encoding: CellTypeEncoding, cellTypes N: Int, seed: UInt64) {
        self.encoding = encoding
        cellTypes = N
        var rng = SeededRandom.derived(seed: seed, stream: 0xC0DE)
        switch encoding {
        case .oneHot, .oneHotHalfNotTold:
            fixed = (0..<N).map { c in (0..<N).map { $0 == c ? 1 : 0 } }
        case .randomPerCellType:
            fixed = (0..<N).map { _ in (0..<N).map { _ in Float(1 + rng.below(99)) } }
        case .sharedRandom:
            let v = (0..<N).map { _ in Float(rng.uniform()) }
            fixed = Array(repeating: v, count: N)
        case .randomPerInstance:
            fixed = []
        }
    }

    /// Appends the "told" code of cell type `c` to `out`.
    public func appendTold(_ c: Int, to out: inout [Float], rng: inout SeededRandom) {
        if encoding == .randomPerInstance {
            for _ in 0..<cellTypes { out.append(Float(1 + rng.below(99))) }
        } else {
            out.append(contentsOf: fixed[c])
        }
    }

    public func appendNotTold(to out: inout [Float]) {
        out.append(contentsOf: repeatElement(0, count: cellTypes))
    }
}

/// The objective a tuning run maximises on the validation split.
public enum TuningObjective: String, Codable, Sendable, CaseIterable {
    /// Macro AUROC.
    case auroc
    /// Macro AUPRC (average precision) — the default, named truthfully (the original labelled it "AUC").
    case auprc
    /// Accuracy at 0.5 (stage 1: mean over cell types; stage 2: over instances) — the original stage 1's choice.
    case accuracy
    /// Hamming score at 0.5 (stage 1: the original's; stage 2: same as accuracy, each instance has one label).
    case hamming
}

/// Hyperparameters of a stage-2 run (names as the original's search space).
public struct Stage2Hyperparameters: Codable, Sendable, Equatable {
    public var learningRate: Double = 1e-2
    public var weightDecay: Double = 0
    /// Inert in stage 2 (the original re-draws the stage-1 conv, then loads the checkpoint over it); kept for parity.
    public var convStd: Double = 1e-3
    public var linearStd: Double = 1e-2
    /// Inert in stage 2 (the stage-1 checkpoint fixes C); kept for parity with the search space.
    public var numChannels: Int = 0
    public var batchSize: Int = 128
    public var epochs: Int = 50
    public var neuronsPerLayer: Int = 32
    public var neuronsPerLayerPreConcat: Int = 8
    public var freezePretrainedModel: Bool = true
    public var dropoutProb: Double = 1e-4
    public var momentumRate: Double = 0.09
    public var seed: UInt64 = 1
    public var encoding: CellTypeEncoding = .oneHotHalfNotTold
    /// Early stopping: stop after this many epochs without improvement of the validation objective (0 = off).
    public var patience: Int = 0
    /// `num_hidden_layers`: hidden blocks after the concatenation (`Stage2Architecture.hiddenLayers`;
    /// 1 = the original's Net_Stage2, 0 = Net_NoLayers). Not tuned. Absent from older sidecars, and then 1.
    public var numHiddenLayers: Int = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate", weightDecay = "weight_decay", convStd = "conv_std", linearStd = "linear_std"
        case numChannels = "num_channels", batchSize = "batch_size", epochs = "num_epochs", neuronsPerLayer = "neurons_per_layer"
        case neuronsPerLayerPreConcat = "neurons_per_layer_pre_concat", freezePretrainedModel = "freeze_pretrained_model"
        case dropoutProb = "dropout_prob", momentumRate = "momentum_rate", seed, encoding, patience
        case numHiddenLayers = "num_hidden_layers"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        convStd = try c.decode(Double.self, forKey: .convStd)
        linearStd = try c.decode(Double.self, forKey: .linearStd)
        numChannels = try c.decode(Int.self, forKey: .numChannels)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        epochs = try c.decode(Int.self, forKey: .epochs)
        neuronsPerLayer = try c.decode(Int.self, forKey: .neuronsPerLayer)
        neuronsPerLayerPreConcat = try c.decode(Int.self, forKey: .neuronsPerLayerPreConcat)
        freezePretrainedModel = try c.decode(Bool.self, forKey: .freezePretrainedModel)
        dropoutProb = try c.decode(Double.self, forKey: .dropoutProb)
        momentumRate = try c.decode(Double.self, forKey: .momentumRate)
        seed = try c.decode(UInt64.self, forKey: .seed)
        encoding = try c.decode(CellTypeEncoding.self, forKey: .encoding)
        patience = try c.decode(Int.self, forKey: .patience)
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 1
    }
}

/// Stage-2 predictions on a set of sequences: for each cell type, P(bound) told and not told.
public struct Stage2Predictions: Sendable {
    public var cellTypes: [String]
    /// `[N][n]` 0/1.
    public var labels: [[UInt8]]
    /// `[N][n]` told.
    public var told: [[Float]]
    /// `[N][n]` not told (the same vector for every cell type under encodings E/A/B/C; D draws per instance).
    public var notTold: [[Float]]

    /// Validation objective: the mean over cell types *and both modes* of the metric, so a model
    /// is chosen for doing well both told and not told (a weak not-told mode would inflate ΔAUROC).
    public func objective(_ kind: TuningObjective) -> Double {
        var values: [Double] = []
        for c in cellTypes.indices {
            for s in [told[c], notTold[c]] {
                switch kind {
                case .auroc: values.append(Metrics.auroc(labels: labels[c], scores: s) ?? 0.5)
                case .auprc: values.append(Metrics.averagePrecision(labels: labels[c], scores: s) ?? 0)
                case .accuracy, .hamming:
                    var ok = 0
                    for i in s.indices where (s[i] > 0.5) == (labels[c][i] != 0) { ok += 1 }
                    values.append(s.isEmpty ? 0 : Double(ok) / Double(s.count))
                }
            }
        }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// The largest |P(bound | told) − P(bound | not told)| over all (sequence, cell type) pairs:
    /// how much the model's predictions depend on the cell-type code at all. 0 for a model whose
    /// cell-type branch has died (e.g. tiny `linear_std` with strong weight decay), which cannot show
    /// a signature whatever the data.
    public var cellTypeSensitivity: Double {
        var m = 0.0
        for c in told.indices {
            let t = told[c], n = notTold[c]
            for i in t.indices { m = max(m, Double(abs(t[i] - n[i]))) }
        }
        return m
    }

    /// Below this `cellTypeSensitivity` a model counts as cell-type blind: no prediction moves by
    /// more than 0.1 percentage point when the cell type is told.
    public static let blindTolerance = 1e-3

    /// True when the model ignores the cell-type code (`cellTypeSensitivity` < `blindTolerance`).
    public var isCellTypeBlind: Bool { cellTypeSensitivity < Self.blindTolerance }
}

/// One row of a stage-2 learning curve.
public struct Stage2EpochRecord: Codable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationObjective: Double?
    public var seconds: Double
    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", validationObjective = "validation_objective", seconds
    }
}

/// What a stage-2 run produced.
public struct Stage2RunResult {
    /// The model of the best validation epoch (the last epoch without validation).
    public var model: Stage2Model
    public var epochs: [Stage2EpochRecord]
    public var bestEpoch: Int
    public var bestValidation: Double?
    /// Why training ended early ("patience", "curve rule"), nil when it ran all epochs.
    public var stoppedEarly: String?
    /// `cellTypeSensitivity` of the returned model on the validation split (nil without validation).
    public var cellTypeSensitivity: Double?
    /// The returned model ignores the cell-type code on validation (every validated epoch was blind).
    public var isCellTypeBlind: Bool { (cellTypeSensitivity ?? 1) < Stage2Predictions.blindTolerance }
}

/// Stage-2 training as the original (`stage2_utils.train`): shuffled batches of sequences, each
/// instance given a random cell type and that cell type's label, the first half of the batch
/// told and the second half not told (encoding E), NLL loss, SGD with Nesterov momentum.
/// Additions: validation after every epoch, early stopping on patience, an external stop rule.
public enum Stage2Training {
    /// - Parameters:
    ///   - validation: sequences and labels to score after every epoch (nil: no validation).
    ///   - shouldStop: called after each validated epoch with (epoch, best objective so far);
    ///     returning true ends the run (the cross-trial curve rule).
    public static func run(trainSequences: EncodedSequences, trainLabels: LabelMatrix, trainRows: [Int],
                           validation: EvaluationSplit?, cellTypes: [String], stage1: Stage1Model,
                           hyperparameters hp: Stage2Hyperparameters, objective: TuningObjective, threads: Int,
                           log: ((String) -> Void)? = nil,
                           shouldStop: ((Int, Double) -> Bool)? = nil) throws -> Stage2RunResult {
        let N = cellTypes.count
        guard trainRows.count >= 2 else { throw TrainingDataError("the stage-2 training split has \(trainRows.count) sequences; BatchNorm needs batches of at least 2") }
        let s1 = try Stage1Model(architecture: stage1.architecture, parameters: stage1.parameters)
        let a1 = s1.architecture
        let arch = Stage2Architecture(channels: a1.channels, cellTypes: N, preConcat: hp.neuronsPerLayerPreConcat,
                                      hidden: hp.neuronsPerLayer, dropout: hp.dropoutProb,
                                      sequenceLength: a1.sequenceLength, convWidth: a1.convWidth, hiddenLayers: hp.numHiddenLayers)
        if let p = arch.problem { throw ModelError("stage-2 hyperparameters: \(p)") }
        let model = Stage2Model(architecture: arch, stage1: s1, linearStd: hp.linearStd,
                                freezeStage1: hp.freezePretrainedModel, seed: hp.seed)
        let sgd = SGD(learningRate: Float(hp.learningRate), momentum: Float(hp.momentumRate),
                      weightDecay: Float(hp.weightDecay), nesterov: true)
        let trainer = Stage2Trainer(model: model, optimizer: sgd, threads: threads, seed: hp.seed)
        let batch = min(hp.batchSize, trainRows.count)
        var sampler = try ShuffledSampler(indices: trainRows, batchSize: batch, seed: hp.seed &+ 0x2B)
        var rng = SeededRandom.derived(seed: hp.seed, stream: 0x57A6E2)
        let coder = CellTypeCoder(encoding: hp.encoding, cellTypes: N, seed: hp.seed)
        let C = arch.channels
        // Frozen stage 1: features computed once and cached (all training sequences).
        let cached: [Float]? = hp.freezePretrainedModel ? s1.pooledFeatures(trainSequences, threads: threads) : nil
        var validationFeatures: [Float]? = nil
        if hp.freezePretrainedModel, let v = validation {
            validationFeatures = s1.pooledFeatures(v.sequences, indices: v.rows, threads: threads)
        }
        var records: [Stage2EpochRecord] = []
        // The best epoch by validation objective, preferring epochs whose model uses the cell-type
        // code: an epoch where the branch is dead cannot express a signature (its told and not-told
        // predictions coincide), so it is chosen only when every epoch is blind.
        var best: (epoch: Int, value: Double, blind: Bool, sensitivity: Double, model: Stage2Model)? = nil
        var stopped: String? = nil
        for epoch in 1...max(1, hp.epochs) {
            let start = Date()
            var lossSum = 0.0, seen = 0
            for (s, b) in sampler.epoch().enumerated() {
                let B = b.rows.count
                var codes = [Float](); codes.reserveCapacity(B * N)
                var targets = [Int32](repeating: 0, count: B)
                let half = hp.encoding.halfNotTold ? B / 2 : B
                for (k, r) in b.rows.enumerated() {
                    let c = rng.below(N)
                    targets[k] = Int32(trainLabels[r, c])
                    if k < half { coder.appendTold(c, to: &codes, rng: &rng) } else { coder.appendNotTold(to: &codes) }
                }
                let l: Double
                if let cached {
                    var f = [Float](repeating: 0, count: B * C)
                    for (k, r) in b.rows.enumerated() { for c in 0..<C { f[k * C + c] = cached[r * C + c] } }
                    l = trainer.step(features: f, codes: codes, targets: targets)
                } else {
                    l = trainer.step(sequences: trainSequences, rows: b.rows, codes: codes, targets: targets)
                }
                if !l.isFinite || !model.head.allFinite || !model.stage1.parameters.allFinite {
                    throw TrainingDiverged(epoch: epoch, step: s + 1)
                }
                try Interruption.check()
                lossSum += l * Double(B); seen += B
            }
            var rec = Stage2EpochRecord(epoch: epoch, trainLoss: lossSum / Double(max(seen, 1)), validationObjective: nil, seconds: 0)
            if let v = validation {
                let pred = predict(model, sequences: v.sequences, labels: v.labels, rows: v.rows, cellTypes: cellTypes,
                                   encoding: hp.encoding, seed: hp.seed, threads: threads, features: validationFeatures)
                let value = pred.objective(objective)
                let sensitivity = pred.cellTypeSensitivity
                let blind = sensitivity < Stage2Predictions.blindTolerance
                rec.validationObjective = value
                if best == nil || Stage2Training.isBetter(value: value, blind: blind, than: best!.value, blind: best!.blind) {
                    best = (epoch, value, blind, sensitivity, model.copy())
                }
            }
            rec.seconds = Date().timeIntervalSince(start)
            records.append(rec)
            log?(String(format: "  epoch %d/%d  loss %.4f", epoch, hp.epochs, rec.trainLoss)
                 + (rec.validationObjective.map { String(format: "  valid %@ %.4f", objective.rawValue, $0) } ?? ""))
            if let b = best {
                if hp.patience > 0 && epoch - b.epoch >= hp.patience { stopped = "patience"; break }
                if let shouldStop, shouldStop(epoch, b.value) { stopped = "curve rule"; break }
            }
        }
        if let b = best {
            return Stage2RunResult(model: b.model, epochs: records, bestEpoch: b.epoch, bestValidation: b.value, stoppedEarly: stopped,
                                   cellTypeSensitivity: b.sensitivity)
        }
        return Stage2RunResult(model: model, epochs: records, bestEpoch: records.count, bestValidation: nil, stoppedEarly: stopped)
    }

    /// The order models are selected in (epochs within a trial, the saved best across trials): one
    /// that uses the cell-type code beats a blind one, then the higher validation value wins.
    public static func isBetter(value a: Double, blind aBlind: Bool, than b: Double, blind bBlind: Bool) -> Bool {
        aBlind != bBlind ? !aBlind : a > b
    }

    /// Eval-mode predictions for every (sequence, cell type) pair of `rows`, told and not told.
    /// `features` may pass precomputed stage-1 features of `rows`.
    public static func predict(_ model: Stage2Model, sequences: EncodedSequences, labels: LabelMatrix, rows: [Int],
                               cellTypes: [String], encoding: CellTypeEncoding, seed: UInt64, threads: Int,
                               features: [Float]? = nil) -> Stage2Predictions {
        let N = cellTypes.count, n = rows.count
        let f = features ?? model.features(sequences, indices: rows, threads: threads)
        let coder = CellTypeCoder(encoding: encoding, cellTypes: N, seed: seed)
        var rng = SeededRandom.derived(seed: seed, stream: 0xE7A1)
        let zeros = [Float](repeating: 0, count: n * N)
        let notTold = model.probabilities(features: f, codes: zeros)
        var told: [[Float]] = [], lab: [[UInt8]] = []
        for c in 0..<N {
            var codes = [Float](); codes.reserveCapacity(n * N)
            for _ in 0..<n { coder.appendTold(c, to: &codes, rng: &rng) }
            told.append(model.probabilities(features: f, codes: codes))
            lab.append(rows.map { labels[$0, c] })
        }
        return Stage2Predictions(cellTypes: cellTypes, labels: lab, told: told, notTold: Array(repeating: notTold, count: N))
    }
}
