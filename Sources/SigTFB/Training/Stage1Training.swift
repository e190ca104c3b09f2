import Foundation
import Genomics
import NeuralNet
import Storage

/// One row of `epochs.csv`.
public struct EpochRecord: Codable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double?
    public var validationAUROC: Double?
    public var validationAUPRC: Double?
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", validationLoss = "validation_loss"
        case validationAUROC = "validation_auroc", validationAUPRC = "validation_auprc", seconds
    }
}

/// Training stopped because the loss became NaN or infinite (a learning rate too large).
public struct TrainingDiverged: Error, CustomStringConvertible, Sendable {
    public let epoch: Int
    public let step: Int
    public var description: String {
        "training diverged: the loss became NaN or infinite at epoch \(epoch), step \(step) (try a smaller learning rate)"
    }
}

/// The sequences a model is evaluated on: a set and the rows of it that count.
public struct EvaluationSplit {
    public var sequences: EncodedSequences
    public var labels: LabelMatrix
    public var rows: [Int]

    public init(sequences: EncodedSequences, labels: LabelMatrix, rows: [Int]? = nil) {
        self.sequences = sequences
        self.labels = labels
        self.rows = rows ?? Array(0..<sequences.count)
    }

    /// Labels of `rows`, row-major.
    public var rowLabels: [UInt8] { labels.subset(rows).values }
}

/// What a stage-1 training run produced.
public struct Stage1RunResult {
    public var model: Stage1Model
    public var epochs: [EpochRecord]
    public var validation: MultiLabelReport?
    public var test: MultiLabelReport
    public var trainRows: [Int]
    public var validationRows: [Int]
}

/// Stage-1 training as the original runs it: a seeded split, a sampler, Adam, fixed epochs;
/// metrics on the validation split after every epoch and on the test set at the end.
public enum Stage1Training {
    /// Splits the training set: the file's own validation set when it has one, else the seeded
    /// 80/20 split of `train_in` (the original's default).
    public static func splits(_ dataset: BassetDataset, hyperparameters hp: Stage1Hyperparameters)
        -> (train: [Int], validation: EvaluationSplit?) {
        if let vi = dataset.validIn, let vo = dataset.validOut {
            return (Array(0..<dataset.trainIn.count), EvaluationSplit(sequences: vi, labels: vo))
        }
        if hp.validationFraction <= 0 {
            return (Array(0..<dataset.trainIn.count), nil)
        }
        let (train, valid) = TrainValidationSplit.split(count: dataset.trainIn.count,
                                                        validationFraction: hp.validationFraction, seed: hp.seed)
        return (train, EvaluationSplit(sequences: dataset.trainIn, labels: dataset.trainOut, rows: valid))
    }

    public static func run(dataset: BassetDataset, hyperparameters hp: Stage1Hyperparameters, threads: Int,
                           log: ((String) -> Void)? = nil) throws -> Stage1RunResult {
        let N = dataset.cellTypeCount
        let (trainRows, validation) = splits(dataset, hyperparameters: hp)
        guard !trainRows.isEmpty else { throw TrainingDataError("the training split is empty") }
        if hp.loss == .oneLoss && hp.sampler != .balanced {
            throw TrainingDataError("the one-loss variant counts the sampled cell type's term, so it needs --sampler balanced")
        }
        let arch = Stage1Architecture(channels: hp.channels, cellTypes: N, sequenceLength: dataset.sequenceLength)
        let model = Stage1Model(architecture: arch, convStd: hp.convStd, linearStd: hp.linearStd, seed: hp.seed)
        let trainer = Stage1Trainer(model: model,
                                    optimizer: Adam(learningRate: Float(hp.learningRate), weightDecay: Float(hp.weightDecay)),
                                    loss: hp.loss, threads: threads)
        var balanced: BalancedPairSampler?
        var shuffled: ShuffledSampler?
        let samplerSeed = hp.seed &+ 0x5A5A
        switch hp.sampler {
        case .balanced:
            balanced = try BalancedPairSampler(labels: dataset.trainOut, indices: trainRows, pairsPerBatch: hp.batchSize,
                                               seed: samplerSeed, cellTypeNames: dataset.targetLabels)
        case .shuffle:
            shuffled = try ShuffledSampler(indices: trainRows, batchSize: hp.batchSize, seed: samplerSeed)
        }
        var records: [EpochRecord] = []
        var lastValidation: MultiLabelReport?
        let labels = dataset.trainOut
        for epoch in 1...max(1, hp.epochs) {
            let start = Date()
            let batches = balanced != nil ? balanced!.epoch() : shuffled!.epoch()
            var lossSum = 0.0, seen = 0
            for (s, batch) in batches.enumerated() {
                let targets = labels.gather(rows: batch.rows)
                let l = trainer.step(dataset.trainIn, rows: batch.rows, targets: targets, cellTypes: batch.cellTypes)
                if !l.isFinite || !trainer.parametersFinite { throw TrainingDiverged(epoch: epoch, step: s + 1) }
                lossSum += l * Double(batch.rows.count)
                seen += batch.rows.count
            }
            var record = EpochRecord(epoch: epoch, trainLoss: lossSum / Double(max(seen, 1)), seconds: 0)
            if let validation {
                let (report, vloss) = evaluate(model, on: validation, cellTypes: dataset.targetLabels, threads: threads)
                record.validationLoss = vloss
                record.validationAUROC = report.macro.auroc
                record.validationAUPRC = report.macro.auprc
                lastValidation = report
            }
            record.seconds = Date().timeIntervalSince(start)
            records.append(record)
            log?(String(format: "epoch %d/%d  loss %.4f", epoch, hp.epochs, record.trainLoss)
                 + (record.validationAUROC.map { String(format: "  valid AUROC %.4f", $0) } ?? "")
                 + (record.validationAUPRC.map { String(format: "  AUPRC %.4f", $0) } ?? "")
                 + String(format: "  (%.2f s)", record.seconds))
        }
        let test = evaluate(model, on: EvaluationSplit(sequences: dataset.testIn, labels: dataset.testOut),
                            cellTypes: dataset.targetLabels, threads: threads).report
        return Stage1RunResult(model: model, epochs: records, validation: lastValidation, test: test,
                               trainRows: trainRows, validationRows: validation?.rows ?? [])
    }

    /// Metrics and the Basset loss of a model on a split.
    public static func evaluate(_ model: Stage1Model, on split: EvaluationSplit, cellTypes: [String], threads: Int)
        -> (report: MultiLabelReport, loss: Double) {
        let logits = model.logits(split.sequences, indices: split.rows, threads: threads)
        let y = split.rowLabels
        let loss = logits.withUnsafeBufferPointer { lg in
            y.withUnsafeBufferPointer { t in
                MultiLabelLoss.basset.evaluate(logits: lg.baseAddress!, targets: t.baseAddress!, rows: split.rows.count,
                                               columns: cellTypes.count, cellTypes: nil, grad: nil)
            }
        }
        let probs = logits.map { 1 / (1 + expf(-$0)) }
        return (MultiLabelReport(labels: y, probabilities: probs, cellTypes: cellTypes), loss)
    }
}
