import Foundation
import XCTest
@testable import Motifs

/// Paths and helpers shared by the Motifs tests.
enum MotifTestSupport {
    /// Package root (Tests/MotifsTests/… → ../..).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures/motifs").appendingPathComponent(name)
    }

    /// The bundled JASPAR file in the repository.
    static let jasparURL = packageRoot.appendingPathComponent("data").appendingPathComponent(MotifDatabase.defaultRelativePath)

    /// Parsed once for all tests.
    static let jaspar: MEMEFile = {
        do { return try MEMEFile(contentsOf: jasparURL) } catch { fatalError("cannot parse bundled JASPAR: \(error)") }
    }()

    /// Base codes from letters.
    static func codes(_ s: String) -> [UInt8] {
        s.utf8.map { ch -> UInt8 in
            switch ch {
            case 65: return 0
            case 67: return 1
            case 71: return 2
            case 84: return 3
            case 78: return 4
            default: return 5
            }
        }
    }
}

/// SplitMix64, the tests' own seeded generator.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// A letter drawn from probabilities (A C G T).
    mutating func base(_ p: [Double]) -> Int {
        let u = uniform()
        var acc = 0.0
        for b in 0..<3 { acc += p[b]; if u < acc { return b } }
        return 3
    }
    /// A site sampled from a PWM, as letters.
    mutating func sample(_ pwm: PWM) -> String {
        String((0..<pwm.width).map { Array("ACGT")[base(pwm.column($0))] })
    }
    mutating func randomDNA(_ n: Int) -> String {
        String((0..<n).map { _ in Array("ACGT")[below(4)] })
    }
}
