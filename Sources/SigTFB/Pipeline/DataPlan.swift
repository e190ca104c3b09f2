import Foundation
import Genomics
import NeuralNet
import Storage
import Tuning

/// The original's `--typeChIP`: how the HDF5 file's sequences are used.
public enum ChIPDivision: String, Codable, Sendable, CaseIterable {
    /// train / validation / test as given by the file (`valid_in`, `valid_out` must be present).
    case one
    /// the test set from the file; a seeded 80/20 split of `train_in` into training and validation (default).
    case two
    /// train on all of `train_in` without validation (no tuning: hyperparameters fixed).
    case three
}

/// How the training data are chosen and presented (the original's data options), shared by both stages.
public struct DataOptions: Codable, Sendable, Equatable {
    /// `--typeChIP`.
    public var division: ChIPDivision = .two
    /// `--idxPath`: directory under which `TF/AB/train<N>.txt` and `valid<N>.txt` (trial N's rows of
    /// `train_in`, 0-based) are written, or read when they exist.
    public var indexPath: String?
    /// `--unique`: train (and validate) only on peaks bound in exactly one cell type.
    public var uniquePeaks = false
    /// `--upsampleRows`: upsample every label pattern of the training rows to the most frequent one.
    public var upsampleRows = false
    /// `--sampleData`: at most `sampleTrain` training and `sampleValidation` validation sequences.
    public var sampleData = false
    public var sampleTrain = 10_000
    public var sampleValidation = 1_000
    /// `--shuffle` (stage 1): dinucleotide-shuffled copies of each training batch, labelled unbound everywhere.
    public var dinucleotideShuffle = false
    /// `--reverse-complement`.
    public var reverseComplement: ReverseComplementMode = .off
    /// `--baseline`: write baseline.json (best constant prediction per cell type vs the model).
    public var baseline = false
    /// Stage 1: `--customSampler` (balanced) or plain shuffled batches.
    public var sampler: Stage1Hyperparameters.SamplerKind = .balanced
    /// Stage 1: `--lossFunction` / `--customSampler_OneLoss`.
    public var loss: MultiLabelLoss = .basset
    /// `--seq_length`: checked against the file.
    public var expectedSequenceLength: Int?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case division = "type_chip", indexPath = "idx_path", uniquePeaks = "unique", upsampleRows = "upsample_rows"
        case sampleData = "sample_data", sampleTrain = "sample_train", sampleValidation = "sample_validation"
        case dinucleotideShuffle = "dinucleotide_shuffle", reverseComplement = "reverse_complement", baseline
        case sampler, loss, expectedSequenceLength = "seq_length"
    }
}

/// The training rows and validation split of every trial, and of the final model, after the
/// data options: `--unique` filters the rows of `train_in` (and a file validation set), `--typeChIP`
/// picks the validation, `--idxPath` records / replays each trial's split, `--sampleData` subsamples,
/// `--upsampleRows` tops up the training rows, `--reverse-complement augment` adds the other strand
/// (rows r + n of `dataset.trainIn`). Validation rows always stay single, given-strand originals.
public struct DataPlan: Sendable {
    /// The dataset the trainers see: `train_in` with reverse complements appended under `augment`.
    public let dataset: BassetDataset
    /// Rows of the file's `train_in`.
    public let originalTrainCount: Int
    public let options: DataOptions
    public let seed: UInt64
    public let validationFraction: Double
    /// `train_in` rows kept by `--unique` (all rows otherwise).
    public let baseRows: [Int]
    /// Rows of a file validation set (`--typeChIP one`) kept by `--unique`.
    public let fileValidationRows: [Int]?
    /// `idxPath/TF/AB`, when `--idxPath` is given.
    public let indexDirectory: String?

    public static func prepare(dataset d: BassetDataset, options o: PipelineOptions, log: (String) -> Void) throws -> DataPlan {
        let data = o.data
        if let L = data.expectedSequenceLength, L != d.sequenceLength {
            throw PipelineError("\(o.chipData): sequences have length \(d.sequenceLength), not --seq_length \(L)")
        }
        func unique(_ labels: LabelMatrix, _ rows: Range<Int>) -> [Int] {
            rows.filter { r in (0..<labels.columns).reduce(0) { $0 + (labels[r, $1] != 0 ? 1 : 0) } == 1 }
        }
        var base = Array(0..<d.trainIn.count)
        if data.uniquePeaks {
            base = unique(d.trainOut, 0..<d.trainIn.count)
            log("--unique: \(base.count) of \(d.trainIn.count) training sequences are bound in exactly one cell type")
            let perCell = (0..<d.cellTypeCount).map { c in base.filter { d.trainOut[$0, c] != 0 }.count }
            if let c = perCell.firstIndex(of: 0) {
                throw PipelineError("\(o.chipData): --unique leaves no training peak bound only in \(d.targetLabels[c])")
            }
        }
        guard !base.isEmpty else { throw PipelineError("\(o.chipData): no training sequences") }
        var fileValid: [Int]? = nil
        if data.division == .one {
            guard let vi = d.validIn, let vo = d.validOut, vi.count > 0 else {
                throw PipelineError("\(o.chipData): --typeChIP one needs a validation set (valid_in, valid_out) in the file; it has none (use two)")
            }
            fileValid = data.uniquePeaks ? unique(vo, 0..<vi.count) : Array(0..<vi.count)
            if fileValid!.isEmpty { throw PipelineError("\(o.chipData): --unique leaves no validation sequence") }
        }
        var ds = d
        if data.reverseComplement.trainsOnBothStrands {
            ds.trainIn = d.trainIn.withReverseComplements()
            ds.trainOut = d.trainOut.doubled()
        }
        var indexDir: String? = nil
        if let p = data.indexPath {
            indexDir = ((p as NSString).appendingPathComponent(o.tf) as NSString).appendingPathComponent(o.ab)
        }
        return DataPlan(dataset: ds, originalTrainCount: d.trainIn.count, options: data, seed: o.seed,
                        validationFraction: o.validationFraction, baseRows: base, fileValidationRows: fileValid,
                        indexDirectory: indexDir)
    }

    /// Whether trials have a validation split (every `--typeChIP` but three).
    public var hasValidation: Bool { options.division != .three }

    /// The training rows and validation split of trial `trial` (0-based).
    public func split(trial: Int) throws -> (train: [Int], validation: EvaluationSplit?) {
        switch options.division {
        case .three:
            return (finalRows, nil)
        case .one:
            let v = sample(fileValidationRows!, options.sampleValidation, stream: 0x5A11)
            return (present(sample(baseRows, options.sampleTrain, stream: 0x5A10)),
                    EvaluationSplit(sequences: dataset.validIn!, labels: dataset.validOut!, rows: v))
        case .two:
            let (train, valid) = try trialSplit(trial)
            return (present(sample(train, options.sampleTrain, stream: 0x5A10)),
                    EvaluationSplit(sequences: dataset.trainIn, labels: dataset.trainOut,
                                    rows: sample(valid, options.sampleValidation, stream: 0x5A11)))
        }
    }

    /// The rows of the final model (all kept training sequences, after sampling, upsampling and strands).
    public var finalRows: [Int] { present(sample(baseRows, options.sampleTrain, stream: 0x5A10)) }

    /// The seeded 80/20 split of the kept rows, or trial N's recorded split from `--idxPath`
    /// (written there when absent).
    func trialSplit(_ trial: Int) throws -> (train: [Int], validation: [Int]) {
        let (t, v) = TrainValidationSplit.split(count: baseRows.count, validationFraction: validationFraction, seed: seed)
        var train = t.map { baseRows[$0] }, valid = v.map { baseRows[$0] }
        guard let dir = indexDirectory else { return (train, valid) }
        let tp = (dir as NSString).appendingPathComponent("train\(trial).txt")
        let vp = (dir as NSString).appendingPathComponent("valid\(trial).txt")
        let fm = FileManager.default
        if fm.fileExists(atPath: tp) || fm.fileExists(atPath: vp) {
            train = try readIndices(tp)
            valid = try readIndices(vp)
            let overlap = Set(train).intersection(valid)
            if let r = overlap.min() { throw PipelineError("\(vp): row \(r) is also in \(tp); training and validation rows must differ") }
            if train.isEmpty || valid.isEmpty { throw PipelineError("\(train.isEmpty ? tp : vp): no rows") }
        } else {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try AtomicFile.write(train.map(String.init).joined(separator: "\n"), to: tp)
            try AtomicFile.write(valid.map(String.init).joined(separator: "\n"), to: vp)
        }
        return (train, valid)
    }

    func readIndices(_ path: String) throws -> [Int] {
        guard let d = FileManager.default.contents(atPath: path) else { throw PipelineError("\(path): cannot read (both train<N>.txt and valid<N>.txt are needed)") }
        var out: [Int] = []
        for (k, line) in String(decoding: d, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let s = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if s.isEmpty { continue }
            guard let i = Int(s), i >= 0, i < originalTrainCount else {
                throw PipelineError("\(path) line \(k + 1): '\(s.prefix(40))' is not a row of train_in (0..<\(originalTrainCount))")
            }
            out.append(i)
        }
        return out
    }

    /// At most `limit` of `rows` (sorted, seeded) under `--sampleData`; all rows otherwise.
    func sample(_ rows: [Int], _ limit: Int, stream: UInt64) -> [Int] {
        guard options.sampleData, rows.count > limit else { return rows }
        var r = rows
        var rng = SeededRandom.derived(seed: seed, stream: stream)
        rng.shuffle(&r)
        return Array(r.prefix(limit)).sorted()
    }

    /// Training rows as the trainer sees them: upsampled label patterns, then both strands.
    func present(_ rows: [Int]) -> [Int] {
        var out = rows
        if options.upsampleRows { out = DataPlan.upsample(rows, labels: dataset.trainOut, seed: seed) }
        if options.reverseComplement.trainsOnBothStrands { out += out.map { $0 + originalTrainCount } }
        return out
    }

    /// Every label pattern of `rows` topped up to the count of the most frequent one by drawing its
    /// rows again with replacement (seeded); each row is kept at least once. The original drew every
    /// smaller pattern's rows afresh with replacement (so some were dropped), before the
    /// train/validation split (so copies of a row could land on both sides); here the validation
    /// rows are never upsampled.
    public static func upsample(_ rows: [Int], labels: LabelMatrix, seed: UInt64) -> [Int] {
        var groups: [[UInt8]: [Int]] = [:]
        var order: [[UInt8]] = []
        for r in rows {
            let key = (0..<labels.columns).map { labels[r, $0] }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        let most = groups.values.map(\.count).max() ?? 0
        var rng = SeededRandom.derived(seed: seed, stream: 0x0B5A)
        var out = rows
        for key in order.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let g = groups[key]!
            for _ in 0..<(most - g.count) { out.append(g[rng.below(g.count)]) }
        }
        return out.sorted()
    }

    /// `--baseline`: the constant per cell type against the model's test predictions (name →
    /// `[cell type][sequence]`, computed only when asked for), written to DIRECTORY/baseline.json; nil
    /// without `--baseline`.
    public func writeBaseline(to directory: String, trainRows: [Int], testLabels: [[UInt8]],
                              predictions: () -> [String: [[Float]]]) throws -> ConstantBaseline? {
        guard options.baseline else { return nil }
        let b = ConstantBaseline.compute(cellTypes: dataset.targetLabels, trainLabels: dataset.trainOut, trainRows: trainRows,
                                         testLabels: testLabels, predictions: predictions())
        try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(b), to: (directory as NSString).appendingPathComponent("baseline.json"))
        return b
    }

    /// What was used, for data-plan.json.
    public struct Summary: Codable, Sendable {
        public var options: DataOptions
        public var trainInRows: Int
        public var keptRows: Int
        public var validationRows: Int?
        public var trainingRowsPerTrial: Int
        public var finalTrainingRows: Int
        enum CodingKeys: String, CodingKey {
            case options, trainInRows = "train_in_rows", keptRows = "kept_rows", validationRows = "validation_rows"
            case trainingRowsPerTrial = "training_rows_per_trial", finalTrainingRows = "final_training_rows"
        }
    }

    public func summary() throws -> Summary {
        let s = try split(trial: 0)
        return Summary(options: options, trainInRows: originalTrainCount, keptRows: baseRows.count, validationRows: s.validation?.rows.count,
                       trainingRowsPerTrial: s.train.count, finalTrainingRows: finalRows.count)
    }

    /// Writes `data-plan.json` into `directory`.
    public func writeSummary(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(try summary()), to: (directory as NSString).appendingPathComponent("data-plan.json"))
    }
}

/// Hyperparameters given on the command line (the original's `--learning_rate` etc.): a given
/// value fixes that parameter of the search space (it is not tuned).
public enum FixedHyperparameters {
    /// The original's argparse defaults (utils/args.py), used for parameters not given when nothing
    /// is tuned (`--typeChIP three`).
    public static let originalDefaults: [String: ParameterValue] = [
        "learning_rate": .double(1e-4), "momentum_rate": .double(1e-4), "weight_decay": .double(0),
        "dropout_prob": .double(0), "conv_std": .double(1), "linear_std": .double(1), "batch_size": .int(64),
        "num_epochs": .int(100), "num_channels": .int(16), "neurons_per_layer": .int(50),
        "neurons_per_layer_pre_concat": .int(50), "freeze_pretrained_model": .bool(false),
    ]

    /// `space` with the parameters named in `fixed` turned into fixed values; with `fixAll`, every
    /// other parameter takes the original's default.
    public static func apply(_ space: SearchSpace, fixed: [String: ParameterValue], fixAll: Bool) throws -> SearchSpace {
        try SearchSpace(parameters: space.parameters.map { p in
            if let v = fixed[p.name] { return .fixed(name: p.name, value: v) }
            if fixAll { return .fixed(name: p.name, value: originalDefaults[p.name]!) }
            return p
        }, allowAllFixed: true)
    }

    /// Whether nothing is left to tune.
    public static func isFixed(_ space: SearchSpace) -> Bool {
        space.parameters.allSatisfy { if case .fixed = $0 { return true }; return false }
    }

    /// The tuning options for `space`: one trial when nothing is left to tune.
    static func tuningOptions(_ o: PipelineOptions, space: SearchSpace, log: (String) -> Void) -> PipelineOptions {
        var t = o
        if isFixed(space) && o.trials > 1 {
            log("every hyperparameter is fixed: one trial instead of \(o.trials)")
            t.trials = 1
        }
        return t
    }
}
