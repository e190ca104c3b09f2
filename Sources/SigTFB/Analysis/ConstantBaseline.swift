import Foundation
import Storage

/// `--baseline`: the best constant prediction per cell type, reported beside the model.
///
/// For the Basset / binary cross-entropy loss, the constant that minimises the training loss of a
/// cell type is its training prevalence p (logit log(p / (1 − p)); the original's `getBaseline`).
/// Its test loss, accuracy and AUPRC (= the test prevalence; AUROC is 0.5) are what a model must
/// beat to have learned anything from the sequence.
public struct ConstantBaseline: Codable, Sendable, Equatable {
    public struct CellType: Codable, Sendable, Equatable {
        /// Training prevalence: the loss-minimising constant probability.
        public var probability: Double
        /// Its logit (the original's `getBaseline`); ±∞ written as null.
        public var logit: Double?
        public var testPositives: Int
        public var testNegatives: Int
        /// Mean binary cross-entropy on the test set, per sequence.
        public var baselineLoss: Double
        public var baselineAccuracy: Double
        /// Average precision of a constant score: the test prevalence.
        public var baselineAUPRC: Double
        public var baselineAUROC: Double = 0.5
        /// The model's loss and accuracy on the same test sequences, by prediction name
        /// (stage 1: `model`; stage 2: `told`, `not_told`).
        public var modelLoss: [String: Double]
        public var modelAccuracy: [String: Double]
        enum CodingKeys: String, CodingKey {
            case probability, logit, testPositives = "test_positives", testNegatives = "test_negatives"
            case baselineLoss = "baseline_loss", baselineAccuracy = "baseline_accuracy", baselineAUPRC = "baseline_auprc"
            case baselineAUROC = "baseline_auroc", modelLoss = "model_loss", modelAccuracy = "model_accuracy"
        }
    }

    public var definition = "constant prediction per cell type = its training prevalence (minimises the Basset/BCE loss); losses are mean binary cross-entropy per test sequence"
    public var trainingSequences: Int
    public var cellTypes: [String]
    public var perCellType: [String: CellType]

    enum CodingKeys: String, CodingKey {
        case definition, trainingSequences = "training_sequences", cellTypes = "cell_types", perCellType = "per_cell_type"
    }

    /// Probabilities are clamped to [1e-7, 1 − 1e-7] for the loss.
    static func bce(_ p: Double, _ y: UInt8) -> Double {
        let q = min(max(p, 1e-7), 1 - 1e-7)
        return y != 0 ? -log(q) : -log(1 - q)
    }

    /// - Parameters:
    ///   - trainLabels, trainRows: the sequences the model was trained on (duplicates count twice).
    ///   - testLabels: `[cell type][sequence]` 0/1.
    ///   - predictions: name → `[cell type][sequence]` model probabilities on the test sequences.
    public static func compute(cellTypes: [String], trainLabels: LabelMatrix, trainRows: [Int], testLabels: [[UInt8]],
                               predictions: [String: [[Float]]]) -> ConstantBaseline {
        var per: [String: CellType] = [:]
        for (c, name) in cellTypes.enumerated() {
            var pos = 0
            for r in trainRows where trainLabels[r, c] != 0 { pos += 1 }
            let p = trainRows.isEmpty ? 0.5 : Double(pos) / Double(trainRows.count)
            let y = testLabels[c]
            let n = max(y.count, 1)
            let tp = y.filter { $0 != 0 }.count
            // Mean loss and accuracy at 0.5 of probabilities against the test labels.
            func score<S: Sequence>(_ probs: S) -> (loss: Double, accuracy: Double) where S.Element == Double {
                var l = 0.0, ok = 0
                for (q, t) in zip(probs, y) {
                    l += bce(q, t)
                    if (q > 0.5) == (t != 0) { ok += 1 }
                }
                return (l / Double(n), Double(ok) / Double(n))
            }
            let constant = score(repeatElement(p, count: y.count))
            var mLoss: [String: Double] = [:], mAcc: [String: Double] = [:]
            for (k, probs) in predictions {
                (mLoss[k], mAcc[k]) = score(probs[c].lazy.map(Double.init))
            }
            let logit = log(p / (1 - p))
            per[name] = CellType(probability: p, logit: logit.isFinite ? logit : nil, testPositives: tp, testNegatives: y.count - tp,
                                 baselineLoss: constant.loss, baselineAccuracy: constant.accuracy,
                                 baselineAUPRC: Double(tp) / Double(n), modelLoss: mLoss, modelAccuracy: mAcc)
        }
        return ConstantBaseline(trainingSequences: trainRows.count, cellTypes: cellTypes, perCellType: per)
    }

    /// Console lines: one per cell type.
    public var summaryLines: [String] {
        cellTypes.map { name in
            let c = perCellType[name]!
            let models = c.modelLoss.keys.sorted().map { String(format: "%@ loss %.4f acc %.4f", $0, c.modelLoss[$0]!, c.modelAccuracy[$0]!) }
            return String(format: "  baseline %@: P = %.4f  loss %.4f  acc %.4f  AUPRC %.4f  |  ", name, c.probability, c.baselineLoss,
                          c.baselineAccuracy, c.baselineAUPRC) + models.joined(separator: "; ")
        }
    }
}
