import Genomics
import NeuralNet
import Storage

/// The Altschul–Erickson dinucleotide shuffle (Altschul & Erickson, *Mol. Biol. Evol.* 1985): a
/// random sequence with exactly the same dinucleotide (doublet) counts as the input, drawn
/// uniformly among all such sequences with the same first letter.
///
/// The sequence is a walk through the doublet graph (one vertex per letter, one edge per adjacent
/// pair). A new walk that uses every edge once is an Eulerian path from the first letter to the
/// last. It is drawn as the original paper does: for every vertex but the last letter pick a
/// random "last exit" edge, keep the choice only if the last exits form a tree leading to the last
/// letter (else draw again), shuffle each vertex's other edges, and walk. Codes are treated as
/// letters of a six-letter alphabet (A, C, G, T, N, the all-zero column), so unknown bases keep
/// their doublets too.
///
/// The original's `--shuffle` called the MEME-suite `dinuclShuffle` (the same algorithm) on
/// letters decoded from the one-hot batch; its module is not in the original repository.
public enum DinucleotideShuffle {
    /// A shuffled copy of `sequence`.
    public static func shuffle<C: Collection>(_ sequence: C, rng: inout SeededRandom) -> [UInt8] where C.Element == UInt8 {
        let s = Array(sequence)
        let L = s.count
        guard L > 2 else { return s }
        let K = Int(s.max()!) + 1
        // Successor lists in sequence order: edges[v] = letters following v.
        var edges = [[UInt8]](repeating: [], count: K)
        for i in 0..<(L - 1) { edges[Int(s[i])].append(s[i + 1]) }
        let first = Int(s[0]), last = Int(s[L - 1])
        let vertices = (0..<K).filter { !edges[$0].isEmpty && $0 != last }
        // Random last-exit edges forming a tree rooted at `last` (rejection, as Altschul–Erickson).
        var lastExit = [Int](repeating: -1, count: K)
        while true {
            for v in vertices { lastExit[v] = rng.below(edges[v].count) }
            var ok = true
            for v in vertices {
                // Follow last exits from v; it must reach `last` within K steps (no cycle).
                var u = v, steps = 0
                while u != last && steps <= K {
                    u = Int(edges[u][lastExit[u]]); steps += 1
                }
                if u != last { ok = false; break }
            }
            if ok { break }
        }
        // Each vertex's edges: the others in random order, the last exit at the end.
        var order = [[UInt8]](repeating: [], count: K)
        for v in 0..<K where !edges[v].isEmpty {
            var rest = edges[v]
            var keep: UInt8? = nil
            if lastExit[v] >= 0 { keep = rest.remove(at: lastExit[v]) }
            rng.shuffle(&rest)
            if let keep { rest.append(keep) }
            order[v] = rest
        }
        var next = [Int](repeating: 0, count: K)
        var out = [UInt8](); out.reserveCapacity(L)
        var v = first
        out.append(UInt8(v))
        for _ in 1..<L {
            let u = order[v][next[v]]
            next[v] += 1
            out.append(u)
            v = Int(u)
        }
        return out
    }

    /// Doublet counts (`K × K`, row-major by first letter) of a sequence over codes 0..<K.
    public static func doubletCounts<C: Collection>(_ sequence: C, alphabet K: Int = BaseCode.count) -> [Int] where C.Element == UInt8 {
        var counts = [Int](repeating: 0, count: K * K)
        var prev: UInt8? = nil
        for c in sequence {
            if let p = prev { counts[Int(p) * K + Int(c)] += 1 }
            prev = c
        }
        return counts
    }

    /// The batch `rows` of `sequences` followed by one shuffled copy of each (the original's
    /// `--shuffle`: shuffled copies are negatives for every cell type).
    public static func batchWithShuffledCopies(_ sequences: EncodedSequences, rows: [Int], rng: inout SeededRandom) -> EncodedSequences {
        var out = EncodedSequences(length: sequences.length)
        out.reserveCapacity(2 * rows.count)
        for r in rows { out.append(codes: sequences[r]) }
        for r in rows { out.append(codes: shuffle(sequences[r], rng: &rng)) }
        return out
    }
}
