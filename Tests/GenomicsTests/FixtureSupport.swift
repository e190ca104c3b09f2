import CZlib
import Foundation
import XCTest
@testable import Genomics

/// Paths of the committed preprocessing fixtures (`Tests/Fixtures/preprocess`), found from this
/// file so that a fresh clone needs nothing else.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/preprocess")
    static let tfabs = ["CEBPB.ENCAB102SYN", "CTCF.ENCAB101SYN", "MAX.ENCAB103SYN"]

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Decompressed content of a committed fixture.
    static func bytes(_ relative: String) throws -> [UInt8] { try ByteSource.readAll(path: path(relative)) }
}

/// A fresh temporary directory, removed at the end of the test.
func makeTempDir(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("sigtfb-genomics-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

func writeFile(_ path: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// One complete gzip member holding `data` (concatenate several for a BGZF-like file).
func gzipMember(_ data: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    precondition(sigtfb_deflate_init2(&stream, 6, 15 + 16) == Z_OK)
    var out = [UInt8](repeating: 0, count: data.count + 1024)
    var input = data
    let produced: Int = input.withUnsafeMutableBufferPointer { inp in
        out.withUnsafeMutableBufferPointer { o in
            stream.next_in = inp.baseAddress
            stream.avail_in = UInt32(inp.count)
            stream.next_out = o.baseAddress
            stream.avail_out = UInt32(o.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return o.count - Int(stream.avail_out)
        }
    }
    deflateEnd(&stream)
    return Array(out[0..<produced])
}
