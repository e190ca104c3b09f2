import Foundation

/// A named float tensor as stored in a checkpoint (the NeuralNet-free view used by Storage).
public struct StoredTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public init(name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count)
        self.name = name; self.shape = shape; self.values = values
    }
}

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping each tensor name to dtype, shape and byte offsets (plus an optional string map
/// `__metadata__`), then the raw little-endian data. PyTorch loads it with
/// `safetensors.torch.load_file` and `load_state_dict`.
public enum Safetensors {
    /// Writes float32 tensors in the given order, atomically.
    public static func write(_ tensors: [StoredTensor], metadata: [String: String] = [:], to path: String) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so data is 8-byte aligned
        var out = Data()
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            t.values.withUnsafeBufferPointer { buf in
                // Little-endian hosts only (x86-64, arm64): the in-memory bytes are the file's bytes.
                out.append(UnsafeBufferPointer(start: UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                               count: buf.count * 4))
            }
        }
        try AtomicFile.write(out, to: path)
    }

    /// Reads every tensor (F32, F64, F16 and BF16 are converted to Float) and the metadata.
    public static func read(path: String) throws -> (tensors: [StoredTensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StorageError("\(path): cannot read file (missing or unreadable)")
        }
        guard data.count >= 8 else { throw StorageError("\(path): not a safetensors file (shorter than its 8-byte header length)") }
        let n = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
        guard n > 0, n <= UInt64(data.count - 8), n < 100_000_000 else {
            throw StorageError("\(path): not a safetensors file (header length \(n) does not fit a \(data.count)-byte file)")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(n)))
        // The format requires a UTF-8 header; checked first because older Foundations trap, not throw, on other bytes.
        guard String(validating: headerData, as: UTF8.self) != nil else {
            throw StorageError("\(path): safetensors header is not UTF-8 text")
        }
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw StorageError("\(path): safetensors header is not a JSON object")
        }
        let body = data.subdata(in: (8 + Int(n))..<data.count)
        var metadata: [String: String] = [:]
        var tensors: [(Int, StoredTensor)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw StorageError("\(path): tensor '\(name)' has a malformed header entry") }
            // Checked arithmetic: a damaged header must give an error, not an overflow trap.
            var count = 1
            for d in shape {
                let (c, overflow) = count.multipliedReportingOverflow(by: d)
                guard d >= 0, !overflow, c <= body.count else {
                    throw StorageError("\(path): tensor '\(name)' has shape \(shape), which does not fit a \(body.count)-byte body")
                }
                count = c
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F64": width = 8
            case "F16", "BF16": width = 2
            default: throw StorageError("\(path): tensor '\(name)' has dtype \(dtype); only float tensors are supported")
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= body.count, offsets[1] - offsets[0] == count * width else {
                throw StorageError("\(path): tensor '\(name)' has data offsets \(offsets) that do not match its shape \(shape) and dtype \(dtype) in a \(body.count)-byte body (truncated file?)")
            }
            var values = [Float](repeating: 0, count: count)
            if count > 0 { body.withUnsafeBytes { raw in
                let base = raw.baseAddress! + offsets[0]
                for i in 0..<count {
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    case "F64": values[i] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    case "BF16": values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                    default: values[i] = halfToFloat(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                }
            } }
            tensors.append((offsets[0], StoredTensor(name: name, shape: shape, values: values)))
        }
        return (tensors.sorted { $0.0 < $1.0 }.map(\.1), metadata)
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            let v = Float(mant) * powf(2, -24)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }
}
