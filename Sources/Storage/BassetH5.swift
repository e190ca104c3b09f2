import CHDF5
import Foundation
import Genomics

/// How one-hot sequences are stored in a written HDF5 file.
public enum OneHotStorage: String, Sendable, CaseIterable {
    /// IEEE half floats, as Basset writes them (N = 0.25 in each channel).
    case float16
    case float32
}

/// What reading a Basset file found besides the data.
public struct BassetReadReport: Sendable, Equatable {
    /// Positions whose four channels were all 0.25 (Basset's N), per split.
    public var quarterNs: [String: Int] = [:]
    /// Positions whose four channels were all zero (also an N), per split.
    public var zeroNs: [String: Int] = [:]
    public var onehotType: String = ""
}

/// Reads and writes SigTFB/Basset HDF5 files:
/// `train_in [n,4,1,L]`, `train_out [n,N]`, `test_in`, `test_out`, optional `valid_in`/`valid_out`,
/// `test_headers`, `target_labels`.
public enum BassetH5 {
    /// Whether a cell-type name can be used as a TSV column and table row: not empty, no tab, line
    /// break or other control character (checked for HDF5 files and model sidecars alike).
    public static func isUsableCellTypeName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Rows decoded per HDF5 read: bounds the float buffer whatever the file size.
    static let blockRows = 4096

    /// Base code of a column from its four channel classes (2 bits each: 0 zero, 1 one,
    /// 2 quarter, 3 other), 255 when the column is not a valid one-hot column.
    static let columnCode: [UInt8] = {
        var t = [UInt8](repeating: 255, count: 256)
        for c in 0..<4 { t[1 << (2 * c)] = UInt8(c) }   // one 1, three 0s
        t[0b10_10_10_10] = BaseCode.n                    // four 0.25s
        t[0] = BaseCode.zero                             // four 0s
        return t
    }()

    /// Reads a whole file; sequences become one byte per base.
    public static func read(path: String) throws -> BassetDataset {
        try readWithReport(path: path).dataset
    }

    public static func readWithReport(path: String) throws -> (dataset: BassetDataset, report: BassetReadReport) {
        let file = try HDF5File(readingFrom: path)
        var report = BassetReadReport()
        let labels: [String]
        if file.contains("target_labels") {
            labels = try file.readStrings("target_labels")
        } else {
            throw HDF5Error("\(path): dataset 'target_labels' is missing (the cell-type names)")
        }
        if labels.isEmpty { throw HDF5Error("\(path): dataset 'target_labels' is empty") }
        if Set(labels).count != labels.count {
            throw HDF5Error("\(path): dataset 'target_labels' has duplicate names: \(labels)")
        }
        // The names become TSV columns and table rows.
        if let i = labels.firstIndex(where: { !BassetH5.isUsableCellTypeName($0) }) {
            throw HDF5Error("\(path): dataset 'target_labels': name \(i + 1) (\(labels[i].debugDescription)) is empty or contains a tab, line break or other control character")
        }

        // Estimate the memory of the decoded data before reading it: one byte per base plus the
        // decoding buffers and labels.
        var estimate: UInt64 = 64 << 20
        for prefix in ["train", "valid", "test"] where file.contains("\(prefix)_in") {
            let shape = try file.info("\(prefix)_in").shape
            estimate += UInt64(shape.reduce(1, *) / 4) + UInt64(shape.first ?? 0) * UInt64(labels.count)
        }
        try MemoryBudget.check(estimate, what: "\(path)")

        func split(_ prefix: String) throws -> (EncodedSequences, LabelMatrix) {
            let (seqs, q, z, type) = try readSequences(file, "\(prefix)_in")
            report.quarterNs[prefix] = q
            report.zeroNs[prefix] = z
            report.onehotType = type.description
            let y = try readLabels(file, "\(prefix)_out", columns: labels.count)
            guard y.rows == seqs.count else {
                throw HDF5Error("\(path): '\(prefix)_out' has \(y.rows) rows but '\(prefix)_in' has \(seqs.count) sequences")
            }
            return (seqs, y)
        }

        let (trainIn, trainOut) = try split("train")
        let (testIn, testOut) = try split("test")
        guard testIn.length == trainIn.length else {
            throw HDF5Error("\(path): 'test_in' has length \(testIn.length) but 'train_in' has \(trainIn.length)")
        }
        var validIn: EncodedSequences?
        var validOut: LabelMatrix?
        if file.contains("valid_in") || file.contains("valid_out") {
            let (vi, vo) = try split("valid")
            guard vi.length == trainIn.length else {
                throw HDF5Error("\(path): 'valid_in' has length \(vi.length) but 'train_in' has \(trainIn.length)")
            }
            validIn = vi
            validOut = vo
        }
        var headers: [String] = []
        if file.contains("test_headers") {
            headers = try file.readStrings("test_headers")
            guard headers.count == testIn.count else {
                throw HDF5Error("\(path): 'test_headers' has \(headers.count) entries but 'test_in' has \(testIn.count) sequences")
            }
        }
        let ds = BassetDataset(trainIn: trainIn, trainOut: trainOut, validIn: validIn, validOut: validOut,
                               testIn: testIn, testOut: testOut, testHeaders: headers, targetLabels: labels)
        return (ds, report)
    }

    /// Decodes a one-hot dataset `[n,4,1,L]` (or `[n,4,L]`) into codes, block by block.
    static func readSequences(_ file: HDF5File, _ name: String) throws -> (EncodedSequences, Int, Int, HDF5ElementType) {
        let (shape, type) = try file.info(name)
        let L: Int
        if shape.count == 4 && shape[1] == 4 && shape[2] == 1 {
            L = shape[3]
        } else if shape.count == 3 && shape[1] == 4 {
            L = shape[2]
        } else {
            throw HDF5Error("\(file.path): dataset '\(name)' has shape \(shape), expected [n,4,1,L] one-hot sequences")
        }
        guard L > 0 else { throw HDF5Error("\(file.path): dataset '\(name)' has sequence length 0") }
        let n = shape[0]
        let elementBytes: Int
        switch type {
        case .float(2), .float(4), .float(8), .signed(1), .unsigned(1):
            elementBytes = { if case .float(let b) = type { return b } else { return 1 } }()
        default:
            throw HDF5Error("\(file.path): dataset '\(name)' has element type \(type); expected float16, float32, float64, int8 or uint8")
        }
        var codes = [UInt8](repeating: 0, count: n * L)
        var quarter = 0, zero = 0
        let block = min(blockRows, max(n, 1))
        let raw = UnsafeMutableRawPointer.allocate(byteCount: block * 4 * L * elementBytes, alignment: 16)
        defer { raw.deallocate() }
        var first = 0
        while first < n {
            let rows = min(block, n - first)
            try file.readRawRows(name, firstRow: first, rowCount: rows, into: raw)
            // Classify every value once into 0 = zero, 1 = one, 2 = quarter, 3 = other, then read
            // each column's four classes as one 8-bit pattern.
            let count = rows * 4 * L
            var classes = [UInt8](repeating: 3, count: count)
            classes.withUnsafeMutableBufferPointer { cl in
                switch type {
                case .float(2):
                    let v = raw.assumingMemoryBound(to: UInt16.self)
                    for i in 0..<count {
                        let bits = v[i] & 0x7FFF
                        cl[i] = bits == 0 ? 0 : bits == 0x3C00 ? 1 : bits == 0x3400 ? 2 : 3
                    }
                case .float(4):
                    let v = raw.assumingMemoryBound(to: Float.self)
                    for i in 0..<count { cl[i] = v[i] == 0 ? 0 : v[i] == 1 ? 1 : v[i] == 0.25 ? 2 : 3 }
                case .float(8):
                    let v = raw.assumingMemoryBound(to: Double.self)
                    for i in 0..<count { cl[i] = v[i] == 0 ? 0 : v[i] == 1 ? 1 : v[i] == 0.25 ? 2 : 3 }
                default:
                    let v = raw.assumingMemoryBound(to: UInt8.self)
                    for i in 0..<count { cl[i] = v[i] == 0 ? 0 : v[i] == 1 ? 1 : 3 }
                }
            }
            try classes.withUnsafeBufferPointer { cl in
                try codes.withUnsafeMutableBufferPointer { out in
                    for r in 0..<rows {
                        let seq = first + r
                        let base = r * 4 * L
                        for p in 0..<L {
                            let pattern = Int(cl[base + p]) | Int(cl[base + L + p]) << 2
                                | Int(cl[base + 2 * L + p]) << 4 | Int(cl[base + 3 * L + p]) << 6
                            let code = BassetH5.columnCode[pattern]
                            if code == 255 {
                                throw HDF5Error("\(file.path): dataset '\(name)': sequence \(seq), position \(p) is not one-hot (expected one 1 and three 0s, four 0.25s or four 0s)")
                            }
                            if code == BaseCode.n { quarter += 1 } else if code == BaseCode.zero { zero += 1 }
                            out[seq * L + p] = code
                        }
                    }
                }
            }
            first += rows
        }
        return (EncodedSequences(length: L, codes: codes), quarter, zero, type)
    }

    static func readLabels(_ file: HDF5File, _ name: String, columns: Int) throws -> LabelMatrix {
        let (shape, values) = try file.readDoubles(name)
        guard shape.count == 2 else {
            throw HDF5Error("\(file.path): dataset '\(name)' has shape \(shape), expected [n,\(columns)]")
        }
        guard shape[1] == columns else {
            throw HDF5Error("\(file.path): dataset '\(name)' has \(shape[1]) columns but 'target_labels' names \(columns) cell types")
        }
        var out = [UInt8](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            if v == 0 { out[i] = 0 } else if v == 1 { out[i] = 1 } else {
                throw HDF5Error("\(file.path): dataset '\(name)': row \(i / columns), column \(i % columns) is \(v); labels must be 0 or 1")
            }
        }
        return LabelMatrix(columns: columns, values: out)
    }

    /// Writes the dataset in the Basset layout (atomically).
    public static func write(_ dataset: BassetDataset, to path: String, sequenceType: OneHotStorage = .float16) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = try HDF5File(creating: path)
        func writeSplit(_ prefix: String, _ x: EncodedSequences, _ y: LabelMatrix) throws {
            try writeSequences(file, "\(prefix)_in", x, sequenceType)
            try file.writeUInt8("\(prefix)_out", shape: [y.rows, y.columns], values: y.values)
        }
        try writeSplit("train", dataset.trainIn, dataset.trainOut)
        if let vi = dataset.validIn, let vo = dataset.validOut { try writeSplit("valid", vi, vo) }
        try writeSplit("test", dataset.testIn, dataset.testOut)
        try file.writeStrings("target_labels", dataset.targetLabels)
        try file.writeStrings("test_headers", dataset.testHeaders)
        try file.commit()
    }

    static func writeSequences(_ file: HDF5File, _ name: String, _ x: EncodedSequences, _ type: OneHotStorage) throws {
        let shape = [x.count, 4, 1, x.length]
        switch type {
        case .float16:
            let half = HDF5File.halfFloatType()
            defer { H5Tclose(half) }
            // Bit patterns of 1 and 0.25 in IEEE half precision.
            try writeOneHot(file, name, x, shape: shape, fileType: half, memType: half, one: UInt16(0x3C00), quarter: UInt16(0x3400))
        case .float32:
            try writeOneHot(file, name, x, shape: shape, fileType: sigtfb_h5t_ieee_f32le(), memType: sigtfb_h5t_native_float(),
                            one: Float(1), quarter: Float(0.25))
        }
    }

    /// Expands codes into `[n,4,1,L]` one-hot values of type `T` (`one`, `quarter` for N, zero otherwise).
    static func writeOneHot<T: FixedWidthInteger & UnsignedInteger>(_ file: HDF5File, _ name: String, _ x: EncodedSequences, shape: [Int],
                                                                    fileType: hid_t, memType: hid_t, one: T, quarter: T) throws {
        try writeOneHot(file, name, x, shape: shape, fileType: fileType, memType: memType, table: oneHotTable(one: one, quarter: quarter, zero: 0))
    }

    static func writeOneHot(_ file: HDF5File, _ name: String, _ x: EncodedSequences, shape: [Int],
                            fileType: hid_t, memType: hid_t, one: Float, quarter: Float) throws {
        try writeOneHot(file, name, x, shape: shape, fileType: fileType, memType: memType, table: oneHotTable(one: one, quarter: quarter, zero: 0))
    }

    /// Rows of four channel values per base code (A, C, G, T, N, zero column).
    static func oneHotTable<T>(one: T, quarter: T, zero: T) -> [T] {
        var t = [T](repeating: zero, count: BaseCode.count * 4)
        for c in 0..<4 { t[c * 4 + c] = one }
        for c in 0..<4 { t[Int(BaseCode.n) * 4 + c] = quarter }
        return t
    }

    static func writeOneHot<T>(_ file: HDF5File, _ name: String, _ x: EncodedSequences, shape: [Int],
                               fileType: hid_t, memType: hid_t, table: [T]) throws {
        let L = x.length
        try file.writeRows(name, shape: shape, fileType: fileType, memType: memType,
                           bytesPerRow: 4 * L * MemoryLayout<T>.stride) { first, n, buf in
            let out = buf.assumingMemoryBound(to: T.self)
            x.codes.withUnsafeBufferPointer { codes in
                table.withUnsafeBufferPointer { t in
                    for r in 0..<n {
                        for p in 0..<L {
                            let row = Int(codes[(first + r) * L + p]) * 4
                            for c in 0..<4 { out[(r * 4 + c) * L + p] = t[row + c] }
                        }
                    }
                }
            }
        }
    }
}
