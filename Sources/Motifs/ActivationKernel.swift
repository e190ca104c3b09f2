import Genomics

/// Computes first-layer activations of all filters at once from base codes.
///
/// The weights become a lookup table over pairs of adjacent base codes,
/// `[code pair][pair position][filter]`, of `SIMD8<Float>` lanes (filters padded to a multiple of
/// 8), so each window of the input adds `W / 2` table rows (plus one single-code row when `W` is
/// odd), vectorised over filters and accumulated in registers (32 filters at a time).
struct ActivationKernel {
    typealias V = SIMD8<Float>
    /// Filters, filter width, vectors per row (`ceil(C / 8)`).
    let C: Int, W: Int, Cv: Int
    /// Floats per output row (`8 · Cv`).
    var stride: Int { Cv * 8 }
    /// Pair table `[c1 * 6 + c2][j][v]` for positions `2j, 2j + 1`.
    let table: [V]
    /// Single-code table `[code][v]` for the last position when `W` is odd.
    let last: [V]
    let bias: [V]
    /// Number of position pairs.
    let pairs: Int

    init(filters: ConvFilters) {
        C = filters.count
        W = filters.width
        Cv = (C + 7) / 8
        let flat = filters.codeTable()          // [code][k][c]
        let K = BaseCode.count
        pairs = W / 2
        var t = [V](repeating: V(repeating: 0), count: K * K * pairs * Cv)
        for c1 in 0..<K {
            for c2 in 0..<K {
                for j in 0..<pairs {
                    for c in 0..<C {
                        t[((c1 * K + c2) * pairs + j) * Cv + c / 8][c % 8] =
                            flat[(c1 * W + 2 * j) * C + c] + flat[(c2 * W + 2 * j + 1) * C + c]
                    }
                }
            }
        }
        table = t
        var l = [V](repeating: V(repeating: 0), count: K * Cv)
        if W % 2 == 1 {
            for code in 0..<K { for c in 0..<C { l[code * Cv + c / 8][c % 8] = flat[(code * W + W - 1) * C + c] } }
        }
        last = l
        var b = [V](repeating: V(repeating: 0), count: Cv)
        for c in 0..<C { b[c / 8][c % 8] = filters.bias[c] }
        bias = b
    }

    /// Writes the pre-activations `bias + Σ_k table[code(p+k)][k]` (before the ReLU, which the
    /// callers apply) for positions `0..<P` of `codes` into `out` (`P × stride` floats, filter `c`
    /// of position `p` at `p · stride + c`; padding lanes are 0).
    func compute(codes: UnsafePointer<UInt8>, P: Int, into out: UnsafeMutablePointer<Float>) {
        let Cv = self.Cv, W = self.W, J = pairs, odd = W % 2 == 1
        table.withUnsafeBufferPointer { tb in
          last.withUnsafeBufferPointer { lb in
            bias.withUnsafeBufferPointer { bb in
                let t = tb.baseAddress!, b = bb.baseAddress!, lt = lb.baseAddress!
                out.withMemoryRebound(to: V.self, capacity: P * Cv) { o in
                    for p in 0..<P {
                        let row = o + p * Cv
                        let window = codes + p
                        var v = 0
                        while v + 4 <= Cv {
                            var a0 = b[v], a1 = b[v + 1], a2 = b[v + 2], a3 = b[v + 3]
                            for j in 0..<J {
                                let pair = Int(min(window[2 * j], 5)) * 6 + Int(min(window[2 * j + 1], 5))
                                let r = t + (pair * J + j) * Cv + v
                                a0 += r[0]; a1 += r[1]; a2 += r[2]; a3 += r[3]
                            }
                            if odd {
                                let r = lt + Int(min(window[W - 1], 5)) * Cv + v
                                a0 += r[0]; a1 += r[1]; a2 += r[2]; a3 += r[3]
                            }
                            row[v] = a0; row[v + 1] = a1; row[v + 2] = a2; row[v + 3] = a3
                            v += 4
                        }
                        while v < Cv {
                            var a0 = b[v]
                            for j in 0..<J {
                                let pair = Int(min(window[2 * j], 5)) * 6 + Int(min(window[2 * j + 1], 5))
                                a0 += t[(pair * J + j) * Cv + v]
                            }
                            if odd { a0 += lt[Int(min(window[W - 1], 5)) * Cv + v] }
                            row[v] = a0
                            v += 1
                        }
                    }
                }
            }
          }
        }
    }
}
