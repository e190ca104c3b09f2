/// ReLU → Linear(inputs, hidden) → ReLU → Linear(hidden, outputs), for inference, one row at a
/// time in a fixed order (see `firstLayer`, `secondLayer`; each product is a multiply, then an
/// add: no fused multiply-add, whose availability differs between CPUs).
/// So a row's outputs depend on that row alone: not on the batch it came in, how the batch was
/// cut, or which thread ran it.
///
/// Why not `Dense.forward` (OpenBLAS `sgemm`): at stage 1's sizes (C × 32, then 32 × N, blocks of
/// 128 rows) the library's packing of its operands cost more than the products; at C = 16 the two
/// layers took 12% of inference time through `sgemm`.
///
/// Weights are given in PyTorch's layout (`[out, in]`) and held transposed (`[in][out]`, out
/// padded to a multiple of 8 with zeros), so one input value, broadcast, multiplies eight
/// contiguous outputs.
public struct DenseHead: Sendable {
    public let inputs: Int
    public let hidden: Int
    public let outputs: Int
    /// `hidden` rounded up to a multiple of 32 (four SIMD8 blocks per pass).
    let hiddenPadded: Int
    /// `outputs` rounded up to a multiple of 8.
    let outputsPadded: Int
    /// `[inputs][hiddenPadded]`, zeros beyond `hidden`.
    let w1t: [Float]
    /// `[hiddenPadded]`, zeros beyond `hidden`.
    let b1: [Float]
    /// `[hidden][outputsPadded]`, zeros beyond `outputs`.
    let w2t: [Float]
    /// `[outputsPadded]`, zeros beyond `outputs`.
    let b2: [Float]

    public init(fc1Weight: [Float], fc1Bias: [Float], fc2Weight: [Float], fc2Bias: [Float],
                inputs: Int, hidden: Int, outputs: Int) {
        precondition(fc1Weight.count == hidden * inputs && fc1Bias.count == hidden
                     && fc2Weight.count == outputs * hidden && fc2Bias.count == outputs)
        self.inputs = inputs
        self.hidden = hidden
        self.outputs = outputs
        hiddenPadded = (hidden + 31) / 32 * 32
        outputsPadded = (outputs + 7) / 8 * 8
        var w1 = [Float](repeating: 0, count: inputs * hiddenPadded)
        for j in 0..<hidden { for i in 0..<inputs { w1[i * hiddenPadded + j] = fc1Weight[j * inputs + i] } }
        var w2 = [Float](repeating: 0, count: hidden * outputsPadded)
        for n in 0..<outputs { for j in 0..<hidden { w2[j * outputsPadded + n] = fc2Weight[n * hidden + j] } }
        w1t = w1
        w2t = w2
        b1 = fc1Bias + [Float](repeating: 0, count: hiddenPadded - hidden)
        b2 = fc2Bias + [Float](repeating: 0, count: outputsPadded - outputs)
    }

    /// For each of `rows` rows of `inputs` values (`stride` floats apart from `x`): `outputs`
    /// values to `y` (rows `outputs` apart), and the inputs after ReLU to `reluInputs` (rows
    /// `inputs` apart) when given.
    public func run(_ x: UnsafePointer<Float>, rows: Int, stride: Int, into y: UnsafeMutablePointer<Float>,
                    reluInputs: UnsafeMutablePointer<Float>? = nil) {
        if rows == 0 { return }
        let C = inputs, Hp = hiddenPadded, Np = outputsPadded
        // Per pair of rows: both rows' inputs after ReLU, then both rows' hidden values after ReLU.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * (C + 8) + 2 * Hp + 2 * Np)
        defer { scratch.deallocate() }
        let xr = scratch, hr = scratch + 2 * (C + 8), out = hr + 2 * Hp
        w1t.withUnsafeBufferPointer { w1b in
          w2t.withUnsafeBufferPointer { w2b in
            b1.withUnsafeBufferPointer { b1b in
              b2.withUnsafeBufferPointer { b2b in
                let w1 = UnsafeRawPointer(w1b.baseAddress!), w2 = UnsafeRawPointer(w2b.baseAddress!)
                let bias1 = UnsafeRawPointer(b1b.baseAddress!), bias2 = UnsafeRawPointer(b2b.baseAddress!)
                var r = 0
                while r < rows {
                    // Two rows per pass (eight independent sums in flight); a lone last row is
                    // run as both, its copy discarded.
                    let second = r + 1 < rows ? r + 1 : r
                    ReLU.apply(x + r * stride, count: C, into: xr)
                    ReLU.apply(x + second * stride, count: C, into: xr + (C + 8))
                    if let reluInputs {
                        (reluInputs + r * C).update(from: xr, count: C)
                        if second != r { (reluInputs + second * C).update(from: xr + (C + 8), count: C) }
                    }
                    DenseHead.firstLayer(xr, xr + (C + 8), inputs: C, weights: w1, bias: bias1, hiddenPadded: Hp,
                                         into: hr, hr + Hp)
                    DenseHead.secondLayer(hr, hr + Hp, hidden: hidden, weights: w2, bias: bias2, outputsPadded: Np,
                                          into: out, out + Np)
                    (y + r * outputs).update(from: out, count: outputs)
                    if second != r { (y + second * outputs).update(from: out + Np, count: outputs) }
                    r += 2
                }
              }
            }
          }
        }
    }

    /// Hidden values after ReLU for two rows, 32 at a time: each sum starts from the bias and adds
    /// the inputs' products in input order (eight sums in flight).
    @inlinable @inline(__always)
    static func firstLayer(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, inputs C: Int,
                           weights w: UnsafeRawPointer, bias: UnsafeRawPointer, hiddenPadded Hp: Int,
                           into h0: UnsafeMutablePointer<Float>, _ h1: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        var j = 0
        while j < Hp {
            let b = bias + j * 4
            var a0 = b.loadUnaligned(as: V.self), a1 = b.loadUnaligned(fromByteOffset: 32, as: V.self)
            var a2 = b.loadUnaligned(fromByteOffset: 64, as: V.self), a3 = b.loadUnaligned(fromByteOffset: 96, as: V.self)
            var e0 = a0, e1 = a1, e2 = a2, e3 = a3
            var row = w + j * 4
            for c in 0..<C {
                let v = V(repeating: x0[c]), u = V(repeating: x1[c])
                let q0 = row.loadUnaligned(as: V.self), q1 = row.loadUnaligned(fromByteOffset: 32, as: V.self)
                let q2 = row.loadUnaligned(fromByteOffset: 64, as: V.self), q3 = row.loadUnaligned(fromByteOffset: 96, as: V.self)
                a0 += v * q0; a1 += v * q1; a2 += v * q2; a3 += v * q3
                e0 += u * q0; e1 += u * q1; e2 += u * q2; e3 += u * q3
                row += Hp * 4
            }
            let s0 = UnsafeMutableRawPointer(h0 + j), s1 = UnsafeMutableRawPointer(h1 + j)
            s0.storeBytes(of: ReLU.apply(a0), as: V.self); s0.storeBytes(of: ReLU.apply(a1), toByteOffset: 32, as: V.self)
            s0.storeBytes(of: ReLU.apply(a2), toByteOffset: 64, as: V.self); s0.storeBytes(of: ReLU.apply(a3), toByteOffset: 96, as: V.self)
            s1.storeBytes(of: ReLU.apply(e0), as: V.self); s1.storeBytes(of: ReLU.apply(e1), toByteOffset: 32, as: V.self)
            s1.storeBytes(of: ReLU.apply(e2), toByteOffset: 64, as: V.self); s1.storeBytes(of: ReLU.apply(e3), toByteOffset: 96, as: V.self)
            j += 32
        }
    }

    /// Outputs for two rows, eight at a time. Hidden value j's product goes to partial sum j % 4
    /// (the first starts from the bias, in order within each), and the output is
    /// `(s0 + s1) + (s2 + s3)`: eight independent sums in flight, where one sum per row waited
    /// on each add (at H = 32 this layer took as long as the first at C = 16).
    @inlinable @inline(__always)
    static func secondLayer(_ h0: UnsafePointer<Float>, _ h1: UnsafePointer<Float>, hidden H: Int,
                            weights w: UnsafeRawPointer, bias: UnsafeRawPointer, outputsPadded Np: Int,
                            into y0: UnsafeMutablePointer<Float>, _ y1: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let step = Np &* 4
        var n = 0
        while n < Np {
            var a0 = bias.loadUnaligned(fromByteOffset: n * 4, as: V.self), e0 = a0
            var a1 = V(repeating: 0), a2 = a1, a3 = a1, e1 = a1, e2 = a1, e3 = a1
            var row = w + n * 4
            var j = 0
            while j &+ 4 <= H {
                let q0 = row.loadUnaligned(as: V.self), q1 = (row + step).loadUnaligned(as: V.self)
                let q2 = (row + 2 &* step).loadUnaligned(as: V.self), q3 = (row + 3 &* step).loadUnaligned(as: V.self)
                a0 += V(repeating: h0[j]) * q0; e0 += V(repeating: h1[j]) * q0
                a1 += V(repeating: h0[j &+ 1]) * q1; e1 += V(repeating: h1[j &+ 1]) * q1
                a2 += V(repeating: h0[j &+ 2]) * q2; e2 += V(repeating: h1[j &+ 2]) * q2
                a3 += V(repeating: h0[j &+ 3]) * q3; e3 += V(repeating: h1[j &+ 3]) * q3
                row += 4 &* step
                j &+= 4
            }
            if j < H {
                let q = row.loadUnaligned(as: V.self)
                a0 += V(repeating: h0[j]) * q; e0 += V(repeating: h1[j]) * q
            }
            if j &+ 1 < H {
                let q = (row + step).loadUnaligned(as: V.self)
                a1 += V(repeating: h0[j &+ 1]) * q; e1 += V(repeating: h1[j &+ 1]) * q
            }
            if j &+ 2 < H {
                let q = (row + 2 &* step).loadUnaligned(as: V.self)
                a2 += V(repeating: h0[j &+ 2]) * q; e2 += V(repeating: h1[j &+ 2]) * q
            }
            UnsafeMutableRawPointer(y0 + n).storeBytes(of: (a0 + a1) + (a2 + a3), as: V.self)
            UnsafeMutableRawPointer(y1 + n).storeBytes(of: (e0 + e1) + (e2 + e3), as: V.self)
            n += 8
        }
    }

    /// The same outputs one value at a time (the order `run` follows, for tests).
    public func reference(_ x: [Float]) -> [Float] {
        var xr = [Float](repeating: 0, count: inputs)
        x.withUnsafeBufferPointer { src in
            xr.withUnsafeMutableBufferPointer { ReLU.apply(src.baseAddress!, count: inputs, into: $0.baseAddress!) }
        }
        var h = [Float](repeating: 0, count: hidden)
        for j in 0..<hidden {
            var s = b1[j]
            for c in 0..<inputs { s += xr[c] * w1t[c * hiddenPadded + j] }
            h[j] = s > 0 ? s : 0
        }
        return (0..<outputs).map { n in
            var s: [Float] = [b2[n], 0, 0, 0]
            for j in 0..<hidden { s[j % 4] += h[j] * w2t[j * outputsPadded + n] }
            return (s[0] + s[1]) + (s[2] + s[3])
        }
    }
}
