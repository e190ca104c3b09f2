import Genomics

/// Computes first-layer activations of all filters at once from base codes.
///
/// The weights become a lookup table `[code][position][filter]` of `SIMD8<Float>` lanes (filters
/// padded to a multiple of 8), so each position of the input adds one table row per filter
/// position, vectorised over filters, accumulated in registers (32 filters at a time).
struct ActivationKernel {
    typealias V = SIMD8<Float>
    /// Filters, filter width, vectors per row (`ceil(C / 8)`).
    let C: Int, W: Int, Cv: Int
    /// Floats per output row (`8 · Cv`).
    var stride: Int { Cv * 8 }
    let table: [V]
    let bias: [V]

    init(filters: ConvFilters) {
        C = filters.count
        W = filters.width
        Cv = (C + 7) / 8
        let flat = filters.codeTable()          // [code][k][c]
        var t = [V](repeating: V(repeating: 0), count: BaseCode.count * W * Cv)
        for code in 0..<BaseCode.count {
            for k in 0..<W {
                for c in 0..<C { t[(code * W + k) * Cv + c / 8][c % 8] = flat[(code * W + k) * C + c] }
            }
        }
        table = t
        var b = [V](repeating: V(repeating: 0), count: Cv)
        for c in 0..<C { b[c / 8][c % 8] = filters.bias[c] }
        bias = b
    }

    /// Writes the pre-activations `bias + Σ_k table[code(p+k)][k]` (before the ReLU, which the
    /// callers apply) for positions `0..<P` of `codes` into `out` (`P × stride` floats, filter `c`
    /// of position `p` at `p · stride + c`; padding lanes are 0).
    func compute(codes: UnsafePointer<UInt8>, P: Int, into out: UnsafeMutablePointer<Float>) {
        let Cv = self.Cv, W = self.W
        table.withUnsafeBufferPointer { tb in
            bias.withUnsafeBufferPointer { bb in
                let t = tb.baseAddress!, b = bb.baseAddress!
                out.withMemoryRebound(to: V.self, capacity: P * Cv) { o in
                    for p in 0..<P {
                        let row = o + p * Cv
                        let window = codes + p
                        var v = 0
                        while v + 4 <= Cv {
                            var a0 = b[v], a1 = b[v + 1], a2 = b[v + 2], a3 = b[v + 3]
                            for k in 0..<W {
                                let r = t + (Int(min(window[k], 5)) * W + k) * Cv + v
                                a0 += r[0]; a1 += r[1]; a2 += r[2]; a3 += r[3]
                            }
                            row[v] = a0; row[v + 1] = a1; row[v + 2] = a2; row[v + 3] = a3
                            v += 4
                        }
                        while v < Cv {
                            var a0 = b[v]
                            for k in 0..<W { a0 += t[(Int(min(window[k], 5)) * W + k) * Cv + v] }
                            row[v] = a0
                            v += 1
                        }
                    }
                }
            }
        }
    }
}
