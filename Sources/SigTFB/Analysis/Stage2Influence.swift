import Foundation
import Genomics
import NeuralNet
import Storage

/// Which filters carry the signature: for each first-layer filter, the stage-2 head is re-run with
/// that filter's pooled output replaced by a constant (its mean), and the signature of each cell
/// type — AUROC(told) − AUROC(not told) on the test set — is compared with the intact model's.
public enum Stage2Influence {

    /// ΔAUROC (told − not told) per cell type from stage-2 predictions; NaN where a cell type
    /// has one class.
    static func deltaAUROC(_ p: Stage2Predictions) -> [Double] {
        (0..<p.cellTypes.count).map { c in
            guard let t = Metrics.auroc(labels: p.labels[c], scores: p.told[c]),
                  let u = Metrics.auroc(labels: p.labels[c], scores: p.notTold[c]) else { return .nan }
            return t - u
        }
    }

    /// The influence of every filter over `rows` of `sequences`.
    /// - Parameter nullValues: the replacement of each filter's pooled output; nil: its mean over `rows`.
    public static func compute(model: Stage2Model, cellTypes: [String], sequences: EncodedSequences, labels: LabelMatrix,
                               rows: [Int], encoding: CellTypeEncoding, seed: UInt64, nullValues: [Double]?,
                               threads: Int) -> Stage2FilterInfluence {
        let C = model.architecture.channels
        let n = rows.count
        let base = model.features(sequences, indices: rows, threads: threads)
        var nulls = nullValues ?? []
        if nulls.count != C {
            nulls = [Double](repeating: 0, count: C)
            for r in 0..<n { for c in 0..<C { nulls[c] += Double(base[r * C + c]) } }
            if n > 0 { for c in 0..<C { nulls[c] /= Double(n) } }
        }
        func run(_ f: [Float]) -> [Double] {
            deltaAUROC(Stage2Training.predict(model, sequences: sequences, labels: labels, rows: rows, cellTypes: cellTypes,
                                              encoding: encoding, seed: seed, threads: threads, features: f))
        }
        let baseline = run(base)
        var change: [[Double]] = []
        for i in 0..<C {
            var f = base
            let m = Float(nulls[i])
            for r in 0..<n { f[r * C + i] = m }
            let d = run(f)
            change.append(zip(d, baseline).map { $0 - $1 })
        }
        return Stage2FilterInfluence(cellTypes: cellTypes, baselineDeltaAUROC: baseline, changeOfDeltaAUROC: change, sequences: n)
    }

    /// For `sigtfb motifs --stage2-model`: loads the stage-2 checkpoint, checks it against the
    /// stage-1 model and the data, and returns the computation on the test split. The stage-1 null
    /// values are used when the stage-2 model's stage-1 weights are the given model's; otherwise
    /// each filter's mean over the test split.
    public static func closure(stage2Path: String, stage1: Stage1Model, cellTypes: [String], dataset: BassetDataset,
                               threads: Int) throws -> ([Double]) throws -> Stage2FilterInfluence {
        guard FileManager.default.fileExists(atPath: stage2Path) else { throw ModelError("\(stage2Path): stage-2 model file not found") }
        let (m2, side) = try Stage2Checkpoint.load(path: stage2Path)
        guard side.cellTypes == cellTypes else {
            throw ModelError("\(stage2Path): cell types [\(side.cellTypes.joined(separator: ", "))] differ from the stage-1 model's [\(cellTypes.joined(separator: ", "))]")
        }
        guard m2.stage1.architecture.sequenceLength == dataset.sequenceLength else {
            throw ModelError("\(stage2Path): expects sequences of length \(m2.stage1.architecture.sequenceLength), the data has \(dataset.sequenceLength)")
        }
        guard m2.architecture.channels == stage1.architecture.channels else {
            throw ModelError("\(stage2Path): has \(m2.architecture.channels) filters, the stage-1 model \(stage1.architecture.channels)")
        }
        let sameStage1 = m2.stage1.parameters == stage1.parameters
        let rows = Array(0..<dataset.testIn.count)
        guard !rows.isEmpty else { throw ModelError("the data's test split is empty; the stage-2 influence needs it") }
        return { nulls in
            compute(model: m2, cellTypes: cellTypes, sequences: dataset.testIn, labels: dataset.testOut, rows: rows,
                    encoding: side.hyperparameters.encoding, seed: side.hyperparameters.seed,
                    nullValues: sameStage1 ? nulls : nil, threads: threads)
        }
    }
}
