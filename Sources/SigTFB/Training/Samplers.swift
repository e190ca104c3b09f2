import NeuralNet
import Storage

/// A batch of training rows: indices into the sequence set, their labels and, for balanced
/// batches, the cell type each row was drawn for.
public struct TrainingBatch: Sendable {
    public var rows: [Int]
    public var cellTypes: [Int32]?
}

/// Errors in setting up training data, one line each.
public struct TrainingDataError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ m: String) { description = m }
}

/// The original's `MultilabelBalancedRandomSampler`: each draw picks the next cell type
/// round-robin and one random positive and one random negative for it; an epoch holds as many
/// pairs as there are training sequences, and a batch of size b holds b pairs (2b sequences).
/// The round-robin position carries over from epoch to epoch, as in the original.
public struct BalancedPairSampler: Sendable {
    public let pairsPerEpoch: Int
    public let pairsPerBatch: Int
    var positives: [[Int]]
    var negatives: [[Int]]
    var currentCellType = 0
    var rng: SeededRandom

    public init(labels: LabelMatrix, indices: [Int], pairsPerBatch: Int, seed: UInt64,
                cellTypeNames: [String]? = nil, splitName: String = "training") throws {
        precondition(pairsPerBatch > 0)
        let N = labels.columns
        positives = Array(repeating: [], count: N)
        negatives = Array(repeating: [], count: N)
        for i in indices {
            for c in 0..<N {
                if labels[i, c] != 0 { positives[c].append(i) } else { negatives[c].append(i) }
            }
        }
        for c in 0..<N where positives[c].isEmpty || negatives[c].isEmpty {
            let name = cellTypeNames?[c] ?? "#\(c)"
            throw TrainingDataError("the balanced sampler needs positives and negatives of every cell type, but the \(splitName) split has \(positives[c].count) positives and \(negatives[c].count) negatives for cell type \(name)")
        }
        pairsPerEpoch = indices.count
        self.pairsPerBatch = pairsPerBatch
        rng = SeededRandom(seed: seed)
    }

    /// The batches of one epoch (the last one may be short, as PyTorch's DataLoader without drop_last).
    public mutating func epoch() -> [TrainingBatch] {
        var batches: [TrainingBatch] = []
        var drawn = 0
        while drawn < pairsPerEpoch {
            let pairs = min(pairsPerBatch, pairsPerEpoch - drawn)
            var rows = [Int](), cts = [Int32]()
            rows.reserveCapacity(2 * pairs)
            cts.reserveCapacity(2 * pairs)
            for _ in 0..<pairs {
                let c = currentCellType
                currentCellType = (currentCellType + 1) % positives.count
                let pos = positives[c][rng.below(positives[c].count)]
                let neg = negatives[c][rng.below(negatives[c].count)]
                rows.append(min(pos, neg)); rows.append(max(pos, neg))
                cts.append(Int32(c)); cts.append(Int32(c))
            }
            batches.append(TrainingBatch(rows: rows, cellTypes: cts))
            drawn += pairs
        }
        return batches
    }
}

/// Plain shuffled mini-batches of b sequences (the original's `shuffle=True, drop_last=True`).
public struct ShuffledSampler: Sendable {
    public let indices: [Int]
    public let batchSize: Int
    var rng: SeededRandom

    public init(indices: [Int], batchSize: Int, seed: UInt64) throws {
        guard indices.count >= batchSize else {
            throw TrainingDataError("the training split has \(indices.count) sequences, fewer than one batch of \(batchSize)")
        }
        self.indices = indices
        self.batchSize = batchSize
        rng = SeededRandom(seed: seed)
    }

    public mutating func epoch() -> [TrainingBatch] {
        var order = indices
        rng.shuffle(&order)
        return stride(from: 0, to: order.count - batchSize + 1, by: batchSize).map {
            TrainingBatch(rows: Array(order[$0..<($0 + batchSize)]), cellTypes: nil)
        }
    }
}

/// The seeded train/validation split of the training set (the original's default 80/20).
public enum TrainValidationSplit {
    public static func split(count: Int, validationFraction: Double = 0.2, seed: UInt64) -> (train: [Int], validation: [Int]) {
        var order = Array(0..<count)
        var rng = SeededRandom(seed: seed)
        rng.shuffle(&order)
        let nValid = Int((Double(count) * validationFraction).rounded())
        let valid = Array(order[0..<nValid]).sorted()
        let train = Array(order[nValid...]).sorted()
        return (train, valid)
    }
}
