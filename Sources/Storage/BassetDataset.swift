import Genomics

/// A row-major matrix of 0/1 labels: one row per sequence, one column per cell type.
public struct LabelMatrix: Sendable, Equatable {
    public let columns: Int
    public private(set) var values: [UInt8]

    public init(columns: Int, values: [UInt8] = []) {
        precondition(columns > 0 && values.count % columns == 0)
        self.columns = columns
        self.values = values
    }

    @inlinable public var rows: Int { values.count / columns }
    @inlinable public subscript(row: Int, column: Int) -> UInt8 { values[row * columns + column] }
    public mutating func append<C: Collection>(row: C) where C.Element == UInt8 {
        precondition(row.count == columns)
        values.append(contentsOf: row)
    }
    /// The rows at `rows`, concatenated (a training batch's targets).
    public func gather(rows: [Int]) -> [UInt8] {
        let n = columns
        return [UInt8](unsafeUninitializedCapacity: rows.count * n) { out, count in
            values.withUnsafeBufferPointer { v in
                for (k, r) in rows.enumerated() {
                    precondition(r >= 0 && r < v.count / n, "row \(r) out of range")
                    (out.baseAddress! + k * n).initialize(from: v.baseAddress! + r * n, count: n)
                }
            }
            count = rows.count * n
        }
    }

    public func subset<S: Sequence>(_ indices: S) -> LabelMatrix where S.Element == Int {
        LabelMatrix(columns: columns, values: gather(rows: Array(indices)))
    }
    /// Positives per column.
    public var positives: [Int] {
        var p = [Int](repeating: 0, count: columns)
        for (k, v) in values.enumerated() where v != 0 { p[k % columns] += 1 }
        return p
    }
}

/// Everything a SigTFB/Basset HDF5 file holds, in memory (sequences as one byte per base).
public struct BassetDataset: Sendable, Equatable {
    public var trainIn: EncodedSequences
    public var trainOut: LabelMatrix
    public var validIn: EncodedSequences?
    public var validOut: LabelMatrix?
    public var testIn: EncodedSequences
    public var testOut: LabelMatrix
    /// `chr:start-end(strand)` of each test sequence (may be empty when the file has none).
    public var testHeaders: [String]
    /// Cell-type names, one per label column.
    public var targetLabels: [String]

    public init(trainIn: EncodedSequences, trainOut: LabelMatrix,
                validIn: EncodedSequences? = nil, validOut: LabelMatrix? = nil,
                testIn: EncodedSequences, testOut: LabelMatrix,
                testHeaders: [String], targetLabels: [String]) {
        self.trainIn = trainIn; self.trainOut = trainOut
        self.validIn = validIn; self.validOut = validOut
        self.testIn = testIn; self.testOut = testOut
        self.testHeaders = testHeaders; self.targetLabels = targetLabels
    }

    public var sequenceLength: Int { trainIn.length }
    public var cellTypeCount: Int { targetLabels.count }
}
