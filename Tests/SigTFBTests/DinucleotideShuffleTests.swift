import Foundation
import Genomics
import NeuralNet
import XCTest
@testable import SigTFB

/// The Altschul–Erickson shuffle keeps every dinucleotide count, and draws uniformly among the
/// sequences that do; reverse complements.
final class DinucleotideShuffleTests: XCTestCase {
    func randomSequence(_ L: Int, rng: inout SeededRandom, alphabet: Int = 4) -> [UInt8] {
        (0..<L).map { _ in UInt8(rng.below(alphabet)) }
    }

    func testEveryDinucleotideCountFirstAndLastLetterAreKept() {
        var gen = SeededRandom(seed: 11)
        var rng = SeededRandom(seed: 12)
        var changed = 0
        for trial in 0..<300 {
            // Lengths 1...150, alphabets with N and the all-zero column, and low-complexity runs.
            let L = 1 + gen.below(150)
            var s = randomSequence(L, rng: &gen, alphabet: trial % 3 == 0 ? 6 : 4)
            if trial % 7 == 0 { for i in 0..<(L / 2) { s[i] = 0 } }
            let t = DinucleotideShuffle.shuffle(s, rng: &rng)
            XCTAssertEqual(t.count, s.count)
            XCTAssertEqual(DinucleotideShuffle.doubletCounts(t), DinucleotideShuffle.doubletCounts(s), "trial \(trial): \(s) → \(t)")
            XCTAssertEqual(t.first, s.first); XCTAssertEqual(t.last, s.last)
            XCTAssertEqual(t.sorted(), s.sorted(), "mononucleotide counts")
            if t != s { changed += 1 }
        }
        XCTAssertGreaterThan(changed, 200, "a shuffle must usually change the sequence")
    }

    func testSeededAndDeterministic() {
        var g = SeededRandom(seed: 3)
        let s = randomSequence(101, rng: &g)
        var a = SeededRandom(seed: 5), b = SeededRandom(seed: 5), c = SeededRandom(seed: 6)
        let x = DinucleotideShuffle.shuffle(s, rng: &a)
        XCTAssertEqual(x, DinucleotideShuffle.shuffle(s, rng: &b))
        XCTAssertNotEqual(x, DinucleotideShuffle.shuffle(s, rng: &c))
    }

    /// Every sequence with the input's doublet counts (and so its first letter) is reachable, with
    /// equal probability: enumerate them by brute force and compare frequencies.
    func testUniformOverAllSequencesWithTheSameDoublets() {
        let s: [UInt8] = [0, 0, 1, 0, 2, 1, 0, 2, 0]   // AACAGCAGA
        let target = DinucleotideShuffle.doubletCounts(s)
        var all = Set<[UInt8]>()
        func extend(_ prefix: [UInt8], _ remaining: [Int]) {
            if prefix.count == s.count { if DinucleotideShuffle.doubletCounts(prefix) == target { all.insert(prefix) }; return }
            for c in 0..<3 where remaining[c] > 0 {
                var r = remaining; r[c] -= 1
                extend(prefix + [UInt8(c)], r)
            }
        }
        extend([s[0]], [s.filter { $0 == 0 }.count - 1, s.filter { $0 == 1 }.count, s.filter { $0 == 2 }.count])
        XCTAssertGreaterThan(all.count, 3)
        var counts: [[UInt8]: Int] = [:]
        var rng = SeededRandom(seed: 99)
        let draws = 600 * all.count
        for _ in 0..<draws { counts[DinucleotideShuffle.shuffle(s, rng: &rng), default: 0] += 1 }
        XCTAssertEqual(Set(counts.keys), all, "exactly the sequences with the same doublet counts")
        let expected = Double(draws) / Double(all.count)
        var chi2 = 0.0
        for (_, n) in counts { chi2 += (Double(n) - expected) * (Double(n) - expected) / expected }
        // df = all.count − 1 (≤ 20 here): a χ² this large has p < 1e-4.
        XCTAssertLessThan(chi2, 55, "frequencies \(counts.values.sorted()) vs \(expected)")
    }

    func testBatchWithShuffledCopiesAndReverseComplement() {
        var g = SeededRandom(seed: 8)
        var seqs = EncodedSequences(length: 30)
        for _ in 0..<5 { seqs.append(codes: randomSequence(30, rng: &g, alphabet: 5)) }
        var rng = SeededRandom(seed: 1)
        let b = DinucleotideShuffle.batchWithShuffledCopies(seqs, rows: [3, 1], rng: &rng)
        XCTAssertEqual(b.count, 4)
        XCTAssertEqual(Array(b[0]), Array(seqs[3])); XCTAssertEqual(Array(b[1]), Array(seqs[1]))
        XCTAssertEqual(DinucleotideShuffle.doubletCounts(b[2]), DinucleotideShuffle.doubletCounts(seqs[3]))
        XCTAssertEqual(DinucleotideShuffle.doubletCounts(b[3]), DinucleotideShuffle.doubletCounts(seqs[1]))

        var one = EncodedSequences(length: 6)
        one.append(codes: [BaseCode.a, BaseCode.a, BaseCode.c, BaseCode.g, BaseCode.n, BaseCode.t])
        XCTAssertEqual(one.reverseComplemented().string(0), "ANCGTT")
        let both = seqs.withReverseComplements()
        XCTAssertEqual(both.count, 10)
        XCTAssertEqual(both.subset(5..<10).reverseComplemented(), seqs, "reverse complement twice is the identity")
    }
}
