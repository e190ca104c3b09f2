import CHDF5
import Foundation

/// An error from reading or writing an HDF5 file; the message names the file and dataset.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}

/// Element type of a dataset as stored in the file.
public enum HDF5ElementType: Equatable, Sendable, CustomStringConvertible {
    case float(bytes: Int)
    case signed(bytes: Int)
    case unsigned(bytes: Int)
    case string(fixedLength: Int?)   // nil: variable length
    case other(String)

    public var description: String {
        switch self {
        case .float(let b): return "float\(b * 8)"
        case .signed(let b): return "int\(b * 8)"
        case .unsigned(let b): return "uint\(b * 8)"
        case .string(let n): return n.map { "string(\($0))" } ?? "string(variable)"
        case .other(let s): return s
        }
    }
}

/// A thin, safe wrapper over an HDF5 file: datasets read and written whole or by row blocks.
///
/// Reading is read-only (`H5F_ACC_RDONLY`). Writing always goes to a temporary file beside the
/// destination that is renamed into place by `commit()` so a crash never leaves half a file.
public final class HDF5File {
    public let path: String
    private var fileID: hid_t
    private let writable: Bool
    private let finalPath: String?

    private static let silenced: Bool = {
        _ = sigtfb_h5_silence_errors()
        return true
    }()

    /// Opens an existing file read-only.
    public init(readingFrom path: String) throws {
        _ = HDF5File.silenced
        self.path = path
        self.writable = false
        self.finalPath = nil
        guard FileManager.default.fileExists(atPath: path) else {
            throw HDF5Error("\(path): no such file")
        }
        guard H5Fis_hdf5(path) > 0 else { throw HDF5Error("\(path): not an HDF5 file") }
        fileID = H5Fopen(path, sigtfb_h5f_acc_rdonly(), sigtfb_h5p_default())
        if fileID < 0 { throw HDF5Error("\(path): cannot open HDF5 file (truncated or corrupt?)") }
    }

    /// Creates a new file that appears at `path` only when `commit()` succeeds.
    public init(creating path: String) throws {
        _ = HDF5File.silenced
        self.finalPath = path
        self.path = AtomicFile.temporaryPath(for: path)
        self.writable = true
        fileID = H5Fcreate(self.path, sigtfb_h5f_acc_trunc(), sigtfb_h5p_default(), sigtfb_h5p_default())
        if fileID < 0 { throw HDF5Error("\(path): cannot create HDF5 file (directory missing or not writable?)") }
    }

    deinit {
        if fileID >= 0 { H5Fclose(fileID) }
        if writable, let _ = finalPath { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Closes the file and moves it to its final path (for files opened with `creating:`).
    public func commit() throws {
        guard writable, let finalPath else { return }
        H5Fflush(fileID, H5F_SCOPE_GLOBAL)
        H5Fclose(fileID)
        fileID = -1
        try AtomicFile.moveIntoPlace(from: path, to: finalPath)
    }

    // MARK: - Inspection

    public func contains(_ name: String) -> Bool {
        H5Lexists(fileID, name, sigtfb_h5p_default()) > 0
    }

    /// Shape and element type of a dataset.
    public func info(_ name: String) throws -> (shape: [Int], type: HDF5ElementType) {
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        return (try shape(of: ds, name: name), try elementType(of: ds, name: name))
    }

    private func openDataset(_ name: String) throws -> hid_t {
        guard contains(name) else { throw HDF5Error("\(path): dataset '\(name)' is missing") }
        let ds = H5Dopen2(fileID, name, sigtfb_h5p_default())
        if ds < 0 { throw HDF5Error("\(path): cannot open dataset '\(name)'") }
        return ds
    }

    private func shape(of ds: hid_t, name: String) throws -> [Int] {
        let space = H5Dget_space(ds)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        if rank < 0 { throw HDF5Error("\(path): dataset '\(name)' has no simple shape") }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(space, &dims, nil)
        return rank == 0 ? [] : dims.map { Int($0) }
    }

    private func elementType(of ds: hid_t, name: String) throws -> HDF5ElementType {
        let t = H5Dget_type(ds)
        defer { H5Tclose(t) }
        let size = Int(H5Tget_size(t))
        switch H5Tget_class(t) {
        case H5T_FLOAT: return .float(bytes: size)
        case H5T_INTEGER: return H5Tget_sign(t) == H5T_SGN_NONE ? .unsigned(bytes: size) : .signed(bytes: size)
        case H5T_STRING: return .string(fixedLength: H5Tis_variable_str(t) > 0 ? nil : size)
        default: return .other("class \(H5Tget_class(t).rawValue)")
        }
    }

    // MARK: - Reading

    /// Reads `rowCount` rows starting at `firstRow` (first dimension) in the file's own element
    /// encoding, raw bytes: used for float16 one-hot data that is decoded without conversion.
    public func readRawRows(_ name: String, firstRow: Int, rowCount: Int, into buffer: UnsafeMutableRawPointer) throws {
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        let fileType = H5Dget_type(ds)
        defer { H5Tclose(fileType) }
        let memType = H5Tget_native_type(fileType, H5T_DIR_ASCEND)
        defer { H5Tclose(memType) }
        try readRows(ds, name: name, memType: H5Tget_class(fileType) == H5T_FLOAT && H5Tget_size(fileType) == 2 ? fileType : memType,
                     firstRow: firstRow, rowCount: rowCount, into: buffer)
    }

    /// Reads rows converted to the given native memory type.
    private func readRows(_ ds: hid_t, name: String, memType: hid_t, firstRow: Int, rowCount: Int,
                          into buffer: UnsafeMutableRawPointer) throws {
        let fileSpace = H5Dget_space(ds)
        defer { H5Sclose(fileSpace) }
        let rank = Int(H5Sget_simple_extent_ndims(fileSpace))
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(fileSpace, &dims, nil)
        var start = [hsize_t](repeating: 0, count: rank)
        var count = dims
        start[0] = hsize_t(firstRow)
        count[0] = hsize_t(rowCount)
        guard firstRow + rowCount <= Int(dims[0]) else {
            throw HDF5Error("\(path): dataset '\(name)': rows \(firstRow)..<\(firstRow + rowCount) out of range")
        }
        H5Sselect_hyperslab(fileSpace, sigtfb_h5s_select_set(), &start, nil, &count, nil)
        let memSpace = H5Screate_simple(Int32(rank), &count, nil)
        defer { H5Sclose(memSpace) }
        if H5Dread(ds, memType, memSpace, fileSpace, sigtfb_h5p_default(), buffer) < 0 {
            throw HDF5Error("\(path): cannot read dataset '\(name)' (corrupt or truncated file?)")
        }
    }

    /// Whole dataset as `Double` (any numeric type is converted by HDF5).
    public func readDoubles(_ name: String) throws -> (shape: [Int], values: [Double]) {
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        let shp = try shape(of: ds, name: name)
        let type = try elementType(of: ds, name: name)
        switch type {
        case .float, .signed, .unsigned: break
        default: throw HDF5Error("\(path): dataset '\(name)' has type \(type), expected numbers")
        }
        let n = shp.reduce(1, *)
        var values = [Double](repeating: 0, count: n)
        if n > 0 {
            try values.withUnsafeMutableBytes { buf in
                if H5Dread(ds, sigtfb_h5t_native_double(), sigtfb_h5s_all(), sigtfb_h5s_all(), sigtfb_h5p_default(), buf.baseAddress!) < 0 {
                    throw HDF5Error("\(path): cannot read dataset '\(name)'")
                }
            }
        }
        return (shp, values)
    }

    /// A one-dimensional string dataset (fixed-length or variable-length), NULs trimmed.
    public func readStrings(_ name: String) throws -> [String] {
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        let shp = try shape(of: ds, name: name)
        guard shp.count == 1 else {
            throw HDF5Error("\(path): dataset '\(name)' should be one-dimensional, has shape \(shp)")
        }
        let n = shp[0]
        let fileType = H5Dget_type(ds)
        defer { H5Tclose(fileType) }
        guard H5Tget_class(fileType) == H5T_STRING else {
            throw HDF5Error("\(path): dataset '\(name)' should hold strings, has \(try elementType(of: ds, name: name))")
        }
        if n == 0 { return [] }
        if H5Tis_variable_str(fileType) > 0 {
            let memType = H5Tcopy(sigtfb_h5t_c_s1())
            defer { H5Tclose(memType) }
            H5Tset_size(memType, sigtfb_h5t_variable())
            H5Tset_cset(memType, H5Tget_cset(fileType))
            var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            if H5Dread(ds, memType, sigtfb_h5s_all(), sigtfb_h5s_all(), sigtfb_h5p_default(), &ptrs) < 0 {
                throw HDF5Error("\(path): cannot read strings of '\(name)'")
            }
            let out = ptrs.map { $0.map { String(cString: $0) } ?? "" }
            let space = H5Dget_space(ds)
            H5Dvlen_reclaim(memType, space, sigtfb_h5p_default(), &ptrs)
            H5Sclose(space)
            return out
        }
        let width = Int(H5Tget_size(fileType))
        var bytes = [UInt8](repeating: 0, count: n * width)
        if H5Dread(ds, fileType, sigtfb_h5s_all(), sigtfb_h5s_all(), sigtfb_h5p_default(), &bytes) < 0 {
            throw HDF5Error("\(path): cannot read strings of '\(name)'")
        }
        return (0..<n).map { i in
            let row = bytes[(i * width)..<((i + 1) * width)]
            let end = row.firstIndex(of: 0) ?? row.endIndex
            return String(decoding: row[row.startIndex..<end], as: UTF8.self)
        }
    }

    // MARK: - Writing

    /// An IEEE half-precision type built field by field (HDF5 1.10 has no predefined one; this is
    /// the definition h5py uses, so numpy reads it back as float16).
    static func halfFloatType() -> hid_t {
        let t = H5Tcopy(sigtfb_h5t_ieee_f32le())
        H5Tset_fields(t, 15, 10, 5, 0, 10)
        H5Tset_size(t, 2)
        H5Tset_ebias(t, 15)
        return t
    }

    /// Creates a dataset of `shape` with the given file type and writes rows produced block by
    /// block by `fill` (given the first row, the row count and a buffer for them in `memType`).
    public func writeRows(_ name: String, shape: [Int], fileType: hid_t, memType: hid_t, bytesPerRow: Int,
                          blockRows: Int = 8192,
                          fill: (Int, Int, UnsafeMutableRawPointer) throws -> Void) throws {
        var dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), &dims, nil)
        defer { H5Sclose(space) }
        let ds = H5Dcreate2(fileID, name, fileType, space, sigtfb_h5p_default(), sigtfb_h5p_default(), sigtfb_h5p_default())
        if ds < 0 { throw HDF5Error("\(path): cannot create dataset '\(name)'") }
        defer { H5Dclose(ds) }
        let rows = shape[0]
        if rows == 0 { return }
        let block = max(1, min(blockRows, rows))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, block * bytesPerRow), alignment: 16)
        defer { buffer.deallocate() }
        var first = 0
        while first < rows {
            let n = min(block, rows - first)
            try fill(first, n, buffer)
            var start = [hsize_t](repeating: 0, count: dims.count)
            var count = dims
            start[0] = hsize_t(first)
            count[0] = hsize_t(n)
            H5Sselect_hyperslab(space, sigtfb_h5s_select_set(), &start, nil, &count, nil)
            let memSpace = H5Screate_simple(Int32(dims.count), &count, nil)
            let rc = H5Dwrite(ds, memType, memSpace, space, sigtfb_h5p_default(), buffer)
            H5Sclose(memSpace)
            if rc < 0 { throw HDF5Error("\(path): cannot write dataset '\(name)' (disk full?)") }
            first += n
        }
    }

    /// Writes a dataset of unsigned bytes.
    public func writeUInt8(_ name: String, shape: [Int], values: [UInt8]) throws {
        precondition(shape.reduce(1, *) == values.count)
        let rowBytes = shape.dropFirst().reduce(1, *)
        try writeRows(name, shape: shape, fileType: sigtfb_h5t_std_u8le(), memType: sigtfb_h5t_native_uint8(),
                      bytesPerRow: rowBytes) { first, n, buf in
            values.withUnsafeBytes { src in
                buf.copyMemory(from: src.baseAddress! + first * rowBytes, byteCount: n * rowBytes)
            }
        }
    }

    /// Writes a dataset of 32-bit floats.
    public func writeFloat32(_ name: String, shape: [Int], values: [Float]) throws {
        precondition(shape.reduce(1, *) == values.count)
        let rowCount = shape.dropFirst().reduce(1, *)
        try writeRows(name, shape: shape, fileType: sigtfb_h5t_ieee_f32le(), memType: sigtfb_h5t_native_float(),
                      bytesPerRow: rowCount * 4) { first, n, buf in
            values.withUnsafeBytes { src in
                buf.copyMemory(from: src.baseAddress! + first * rowCount * 4, byteCount: n * rowCount * 4)
            }
        }
    }

    /// Writes a one-dimensional fixed-length byte-string dataset (numpy dtype `S<n>`, as Basset).
    public func writeStrings(_ name: String, _ strings: [String]) throws {
        let utf8 = strings.map { Array($0.utf8) }
        let width = max(1, utf8.map(\.count).max() ?? 1)
        let type = H5Tcopy(sigtfb_h5t_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, width)
        H5Tset_strpad(type, H5T_STR_NULLPAD)
        var bytes = [UInt8](repeating: 0, count: utf8.count * width)
        for (i, s) in utf8.enumerated() { for (j, b) in s.enumerated() { bytes[i * width + j] = b } }
        try writeRows(name, shape: [strings.count], fileType: type, memType: type, bytesPerRow: width) { first, n, buf in
            bytes.withUnsafeBytes { src in buf.copyMemory(from: src.baseAddress! + first * width, byteCount: n * width) }
        }
    }
}
