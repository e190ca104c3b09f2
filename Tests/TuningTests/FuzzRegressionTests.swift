import Foundation
import XCTest
@testable import Tuning

/// Replays the tuner-JSON fuzzing corpus (`Tests/Fixtures/fuzz/tuning`; first byte even: search
/// space, odd: tuner state — as `bench/fuzz/harness/tuning.swift`) and seeded mutants: every input
/// must parse (and round-trip) or throw a one-line `TuningError`, never trap.
final class TuningFuzzRegressionTests: XCTestCase {
    static let corpusDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz/tuning")

    func replay(_ input: [UInt8], _ what: String) {
        guard let mode = input.first else { return }
        let json = Data(input.dropFirst())
        do {
            if mode & 1 == 0 {
                let space = try SearchSpace.parse(json, source: "fuzz-space.json")
                _ = try SearchSpace.parse(try JSONEncoder().encode(space), source: "roundtrip")
            } else {
                let t = try Tuner.restore(stateJSON: json)
                _ = try Tuner.restore(stateJSON: try t.stateJSON())
                _ = t.csvTable()
            }
        } catch let e as TuningError {
            XCTAssertFalse(e.description.contains("\n"), "\(what): multi-line message \(e.description)")
        } catch { XCTFail("\(what): unexpected error \(type(of: error)): \(error)") }
    }

    func testCorpus() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpusDir.path).sorted()
        XCTAssertFalse(files.isEmpty)
        for f in files { replay(Array(try Data(contentsOf: Self.corpusDir.appendingPathComponent(f))), f) }
    }

    func testSeededMutants() throws {
        let space = #"[{"name":"lr","type":"range","bounds":[1e-05,0.01],"value_type":"float","log_scale":true},{"name":"ch","type":"range","bounds":[8,64],"value_type":"int"},{"name":"b","type":"choice","values":[16,32],"value_type":"int","is_ordered":true},{"name":"s","type":"fixed","value":"balanced"}]"#
        let state = #"{"format":"sigtfb-tuner","version":1,"space":{"parameters":\#(space)},"seed":3,"direction":"maximize","initial_trials":3,"center_point":true,"sobol_index":1,"trials":[{"trial_index":0,"parameters":{"lr":0.001,"ch":16,"b":32,"s":"balanced"},"status":"completed","value":0.7,"method":"center"},{"trial_index":1,"parameters":{"lr":0.0001,"ch":40,"b":16,"s":"balanced"},"status":"pending","method":"sobol"}]}"#
        let tokens = ["-1", "0", "9223372036854775807", "-9223372036854775808", "18446744073709551615", "1e308", "-1e308", "1e400", "null", "[]", "{}", "true", "\"x\""]
        var st: UInt64 = 0x7e7e
        func next() -> Int { st &+= 0x9E37_79B9_7F4A_7C15; var z = st; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1) }
        for k in 0..<300 {
            var m = Array((k % 2 == 0 ? space : state).utf8)
            for _ in 0..<(1 + next() % 3) {
                // Replace a JSON scalar (number, literal or string) by another token, or cut the text.
                let starts = m.indices.filter { i in
                    let c = m[i]; let prev = i > 0 ? m[i - 1] : 0
                    return (prev == UInt8(ascii: ":") || prev == UInt8(ascii: "[") || prev == UInt8(ascii: ",")) && c != UInt8(ascii: "{") && c != UInt8(ascii: "[")
                }
                if next() % 6 == 0 || starts.isEmpty { m = Array(m.prefix(next() % (m.count + 1))); continue }
                let s = starts[next() % starts.count]
                var e = s
                if m[s] == UInt8(ascii: "\"") { e += 1; while e < m.count && m[e] != UInt8(ascii: "\"") { e += 1 }; e = min(e + 1, m.count) }
                else { while e < m.count && ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(m[e]) { e += 1 } }
                m.replaceSubrange(s..<e, with: Array(tokens[next() % tokens.count].utf8))
            }
            replay([UInt8(k % 2)] + m, "mutant \(k)")
        }
    }
}
