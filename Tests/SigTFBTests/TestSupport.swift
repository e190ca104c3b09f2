import Foundation
import Genomics
import NeuralNet
import XCTest

/// Path of a file under Tests/Fixtures.
func fixturePath(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(relative).path
}

func loadJSON(_ relative: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath(relative)))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

func floats(_ any: Any?) -> [Float] { (any as! [Any]).map { Float(($0 as! NSNumber).doubleValue) } }
func doubles(_ any: Any?) -> [Double] { (any as! [Any]).map { ($0 as! NSNumber).doubleValue } }
func ints(_ any: Any?) -> [Int] { (any as! [Any]).map { ($0 as! NSNumber).intValue } }

/// Parameters in the golden files' layout: `{"name": {"shape": [...], "data": [...]}}`.
func namedParameters(_ any: Any?, order: [String]) -> NamedParameters {
    let dict = any as! [String: Any]
    var p = NamedParameters()
    for name in order {
        let entry = dict[name] as! [String: Any]
        p.append(name, Tensor(shape: ints(entry["shape"]), data: floats(entry["data"])))
    }
    return p
}

/// Sequences written as letters: ACGT, N (0.25 each), Z (all-zero column).
func encode(_ strings: [String]) -> EncodedSequences {
    var s = EncodedSequences(length: strings[0].count)
    for str in strings {
        s.append(codes: str.utf8.map { $0 == UInt8(ascii: "Z") ? BaseCode.zero : BaseCode.code(ascii: $0)! })
    }
    return s
}

/// Asserts |a − b| ≤ rel · max(|a|, |b|) + abs elementwise.
func assertClose(_ a: [Float], _ b: [Float], rel: Float = 1e-5, abs: Float = 1e-7, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, what, file: file, line: line)
    var worst: Float = 0, worstIndex = -1
    for i in 0..<min(a.count, b.count) {
        let excess = Swift.abs(a[i] - b[i]) - (rel * max(Swift.abs(a[i]), Swift.abs(b[i])) + abs)
        if excess > worst { worst = excess; worstIndex = i }
    }
    if worstIndex >= 0 {
        XCTFail("\(what): element \(worstIndex) differs: \(a[worstIndex]) vs \(b[worstIndex])", file: file, line: line)
    }
}

/// The built `sigtfb` executable (beside the test bundle, else `.build/debug`), run as a user runs it.
enum SigTFBExecutable {
    static var url: URL {
        var dir = Bundle(for: CLITests.self).bundleURL.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("sigtfb").path) {
            dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug")
        }
        return dir.appendingPathComponent("sigtfb")
    }

    static var path: String { url.path }

    /// Runs `sigtfb args` (in `cwd` when given) to completion: exit status, stdout, stderr.
    @discardableResult
    static func run(_ args: [String], cwd: String? = nil) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // stderr is drained on another thread so that neither pipe can fill up and stall the child.
        final class Sink: @unchecked Sendable { var data = Data() }
        let e = Sink()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { e.data = err.fileHandleForReading.readDataToEndOfFile(); drained.signal() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e.data, as: UTF8.self))
    }
}

/// Copies the first `lines` peaks of each bundled CEBPB file to ROOT/peaks/CEBPB/ENCAB102SYN.
func tinyPeaks(_ root: String, lines: Int = 150) throws -> String {
    let src = fixturePath("preprocess/peaks/CEBPB.ENCAB102SYN")
    let dst = ((root as NSString).appendingPathComponent("peaks/CEBPB") as NSString).appendingPathComponent("ENCAB102SYN")
    try FileManager.default.createDirectory(atPath: dst, withIntermediateDirectories: true)
    for f in try FileManager.default.contentsOfDirectory(atPath: src) where f.hasSuffix(".bed.gz") {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -dc '\(src)/\(f)' | head -n \(lines) > '\(dst)/\(f.dropLast(3))'"]
        try p.run(); p.waitUntilExit()
    }
    return dst
}

extension XCTestCase {
    /// A fresh directory under the system's temporary directory, removed when the test ends.
    func scratchDirectory(_ prefix: String) -> String {
        let d = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return d
    }
}
