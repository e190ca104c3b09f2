import Foundation
import XCTest
@testable import Storage

/// Replays the safetensors fuzzing corpus (`Tests/Fixtures/fuzz/safetensors`; see
/// `bench/fuzz/FUZZING.md`) and seeded mutants of a small file through `Safetensors.read`: every
/// input must load or throw a one-line `StorageError`, never trap.
final class StorageFuzzRegressionTests: XCTestCase {
    static let corpusDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz/safetensors")

    func tempPath() -> String {
        let p = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-fuzz-\(UUID().uuidString).safetensors").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: p) }
        return p
    }

    func expectLoadOrError(_ bytes: [UInt8], _ what: String, path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do { _ = try Safetensors.read(path: path) } catch let e as StorageError {
            XCTAssertFalse(e.description.contains("\n"), "\(what): multi-line message")
            XCTAssertTrue(e.description.hasPrefix(path), "\(what): message does not name the file: \(e.description)")
        } catch { XCTFail("\(what): unexpected error \(type(of: error)): \(error)") }
    }

    func testCorpus() throws {
        let path = tempPath()
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpusDir.path).sorted()
        XCTAssertFalse(files.isEmpty)
        for f in files { try expectLoadOrError(Array(try Data(contentsOf: Self.corpusDir.appendingPathComponent(f))), f, path: path) }
    }

    static func file(header: String, body: [UInt8]) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + body
    }

    /// Headers that trapped before the fix: negative dimensions (a negative element count),
    /// dimensions whose product overflows, and reversed data offsets.
    func testAbsurdShapesAreErrors() throws {
        let path = tempPath()
        let cases = [
            #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[4,0]}}"#,
            #"{"w":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}}"#,
            #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#,
            #"{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775807,-9223372036854775805]}}"#,
        ]
        for c in cases {
            try Data(Self.file(header: c, body: [0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64])).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try Safetensors.read(path: path), c) {
                XCTAssertTrue("\($0)".contains("tensor 'w'"), "\($0)")
            }
        }
    }

    /// A header with a byte that is not UTF-8 (a Latin-1 'é' in a tensor name) is refused by name.
    func testHeaderThatIsNotUTF8IsAnError() throws {
        let path = tempPath()
        var f = Self.file(header: #"{"wX":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, body: [0, 0, 128, 63])
        f[f.firstIndex(of: UInt8(ascii: "X"))!] = 0xE9
        try Data(f).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Safetensors.read(path: path)) { XCTAssertTrue("\($0)".contains("header is not UTF-8 text"), "\($0)") }
    }

    func testSeededMutants() throws {
        let path = tempPath()
        var body = [UInt8]()
        for v: Float in [1, 2, 3, 4, 5, 6] { body += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        let seed = Self.file(header: #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"c":{"dtype":"BF16","shape":[2],"data_offsets":[20,24]}}"#, body: body)
        var state: UInt64 = 0x5afe
        func next() -> Int { state &+= 0x9E37_79B9_7F4A_7C15; var z = state; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1) }
        let tokens = ["-1", "0", "9223372036854775807", "4611686018427387904", "-9223372036854775808", "1e308", "null", "[]"]
        for k in 0..<300 {
            var m = seed
            for _ in 0..<(1 + next() % 3) {
                switch next() % 4 {
                case 0: if !m.isEmpty { let i = next() % m.count; m[i] ^= UInt8(1 << (next() % 8)) }
                case 1: m = Array(m.prefix(next() % (m.count + 1)))
                case 2:
                    // Replace a number in the JSON header by an absurd one.
                    let digits = m.indices.filter { $0 >= 8 && $0 < 8 + 200 && m[$0] >= 48 && m[$0] <= 57 }
                    guard !digits.isEmpty else { continue }
                    let d = digits[next() % digits.count]
                    var e = d
                    while e < m.count && m[e] >= 48 && m[e] <= 57 { e += 1 }
                    m.replaceSubrange(d..<e, with: Array(tokens[next() % tokens.count].utf8))
                    // Keep the declared header length in step with the edit.
                    if let end = m.lastIndex(of: UInt8(ascii: "}")) {
                        m.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(end - 7).littleEndian, Array.init))
                    }
                default: m.insert(UInt8(truncatingIfNeeded: next()), at: next() % (m.count + 1))
                }
            }
            try expectLoadOrError(m, "mutant \(k)", path: path)
        }
    }
}
