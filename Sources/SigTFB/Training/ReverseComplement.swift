import Foundation
import Genomics
import NeuralNet
import Storage

/// `--reverse-complement`: both DNA strands of a peak carry the same binding site, so a model can
/// be trained on both and asked about both. The original left this as an unfinished stub
/// (`reverseBatch`, "needs fixing").
public enum ReverseComplementMode: String, Codable, Sendable, CaseIterable {
    /// Train on the given strand, predict it (the original's behaviour; default).
    case off
    /// Train on both strands (every training sequence and its reverse complement, each epoch) and
    /// average the predictions over both strands at evaluation.
    case augment
    /// Train on the given strand; average the predictions over both strands at evaluation.
    case average

    public var trainsOnBothStrands: Bool { self == .augment }
    public var averagesPredictions: Bool { self != .off }
}

extension EncodedSequences {
    /// Every sequence reverse-complemented (A↔T, C↔G; N and all-zero columns stay).
    public func reverseComplemented() -> EncodedSequences {
        var out = EncodedSequences(length: length)
        out.reserveCapacity(count)
        for i in 0..<count { out.append(codes: self[i].reversed().map(BaseCode.complement)) }
        return out
    }

    /// These sequences followed by their reverse complements (row r + count is r's other strand).
    public func withReverseComplements() -> EncodedSequences {
        var out = self
        let rc = reverseComplemented()
        out.reserveCapacity(2 * count)
        for i in 0..<rc.count { out.append(codes: rc[i]) }
        return out
    }
}

extension LabelMatrix {
    /// The rows twice (labels of `withReverseComplements()`).
    public func doubled() -> LabelMatrix {
        LabelMatrix(columns: columns, values: values + values)
    }
}

/// Evaluation with predictions averaged over both strands.
public enum StrandAveraging {
    /// Stage 1: like `Stage1Training.evaluate`, with P(bound) = mean over the two strands when
    /// `bothStrands`; the loss is the Basset loss of the averaged probabilities.
    public static func evaluateStage1(_ model: Stage1Model, on split: EvaluationSplit, cellTypes: [String], threads: Int,
                                      bothStrands: Bool) -> (report: MultiLabelReport, loss: Double) {
        guard bothStrands else { return Stage1Training.evaluate(model, on: split, cellTypes: cellTypes, threads: threads) }
        let forward = model.probabilities(split.sequences, indices: split.rows, threads: threads)
        let rc = split.sequences.subset(split.rows).reverseComplemented()
        let reverse = model.probabilities(rc, threads: threads)
        let probs = zip(forward, reverse).map { ($0 + $1) / 2 }
        let y = split.rowLabels
        var loss = 0.0
        for (p, t) in zip(probs, y) {
            let q = Double(min(max(p, 1e-7), 1 - 1e-7))
            loss -= t != 0 ? log(q) : log(1 - q)
        }
        loss /= Double(max(split.rows.count, 1))
        return (MultiLabelReport(labels: y, probabilities: probs, cellTypes: cellTypes), loss)
    }

    /// Stage 1 probabilities `[n × N]`, averaged over both strands when `bothStrands`.
    public static func probabilitiesStage1(_ model: Stage1Model, sequences: EncodedSequences, threads: Int, bothStrands: Bool) -> [Float] {
        let forward = model.probabilities(sequences, threads: threads)
        guard bothStrands else { return forward }
        let reverse = model.probabilities(sequences.reverseComplemented(), threads: threads)
        return zip(forward, reverse).map { ($0 + $1) / 2 }
    }

    /// Stage 2: told / not-told predictions averaged over both strands when `bothStrands`.
    public static func predictStage2(_ model: Stage2Model, sequences: EncodedSequences, labels: LabelMatrix, rows: [Int],
                                     cellTypes: [String], encoding: CellTypeEncoding, seed: UInt64, threads: Int,
                                     bothStrands: Bool) -> Stage2Predictions {
        let forward = Stage2Training.predict(model, sequences: sequences, labels: labels, rows: rows, cellTypes: cellTypes,
                                             encoding: encoding, seed: seed, threads: threads)
        guard bothStrands else { return forward }
        let rc = sequences.subset(rows).reverseComplemented()
        let reverse = Stage2Training.predict(model, sequences: rc, labels: labels.subset(rows), rows: Array(0..<rows.count),
                                             cellTypes: cellTypes, encoding: encoding, seed: seed, threads: threads)
        var out = forward
        func mean(_ a: [[Float]], _ b: [[Float]]) -> [[Float]] { zip(a, b).map { zip($0, $1).map { ($0 + $1) / 2 } } }
        out.told = mean(forward.told, reverse.told)
        out.notTold = mean(forward.notTold, reverse.notTold)
        return out
    }
}
