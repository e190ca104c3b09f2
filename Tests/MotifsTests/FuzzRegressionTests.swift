import Foundation
import XCTest
@testable import Motifs

/// Replays the MEME fuzzing corpus (`Tests/Fixtures/fuzz/meme`; see `bench/fuzz/FUZZING.md`) and
/// seeded mutants of a small MEME file: every input must parse (and write back to text that
/// parses) or throw a one-line `MEMEFormatError`, never trap.
final class MotifsFuzzRegressionTests: XCTestCase {
    static let corpusDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz/meme")

    func expectParseOrError(_ text: String, _ what: String) {
        do {
            let f = try MEMEFile(text: text, fileName: "fuzz.meme")
            _ = try MEMEFile(text: f.text(), fileName: "roundtrip.meme")
        } catch let e as MEMEFormatError {
            XCTAssertFalse(e.description.contains("\n"), "\(what): multi-line message \(e.description)")
        } catch { XCTFail("\(what): unexpected error \(type(of: error)): \(error)") }
    }

    func testCorpus() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpusDir.path).sorted()
        XCTAssertFalse(files.isEmpty)
        for f in files {
            let data = try Data(contentsOf: Self.corpusDir.appendingPathComponent(f))
            expectParseOrError(String(decoding: data, as: UTF8.self), f)
        }
    }

    func testSeededMutants() throws {
        let seed = """
        MEME version 5

        ALPHABET= ACGT

        strands: + -

        Background letter frequencies
        A 0.3 C 0.2 G 0.2 T 0.3

        MOTIF m1 alt
        log-odds matrix: alength= 4 w= 2
        1 2 3 4
        1 2 3 4
        letter-probability matrix: alength= 4 w= 2 nsites= 20 E= 1e-3
        0.1 0.2 0.3 0.4
        0.25 0.25 0.25 0.25
        URL http://x

        MOTIF m2
        letter-probability matrix: alength= 4 w= 1 nsites= 5
        1 0 0 0
        """
        let lines = seed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let tokens = ["9223372036854775807", "1e19", "-1", "0", "nan", "inf", "1e308", "-0", "w=", "nsites= 1e400", "\t", "\r"]
        var state: UInt64 = 0x3e3e
        func next() -> Int { state &+= 0x9E37_79B9_7F4A_7C15; var z = state; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1) }
        for k in 0..<300 {
            var m = lines
            for _ in 0..<(1 + next() % 3) {
                guard !m.isEmpty else { break }
                let i = next() % m.count
                switch next() % 5 {
                case 0: m.remove(at: i)
                case 1: m.insert(m[i], at: i)
                case 2: m.swapAt(i, next() % m.count)
                case 3:
                    // Replace one word by an absurd token.
                    var w = m[i].split(separator: " ").map(String.init)
                    if w.isEmpty { w = [""] }
                    w[next() % w.count] = tokens[next() % tokens.count]
                    m[i] = w.joined(separator: " ")
                default: m = Array(m.prefix(i))
                }
            }
            expectParseOrError(m.joined(separator: "\n"), "mutant \(k)")
        }
    }
}
