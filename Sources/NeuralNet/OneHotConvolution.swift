/// A width-K convolution over categorical (one-hot) input followed by ReLU and a global max-pool,
/// computed by table lookups instead of multiplications.
///
/// With one-hot input, a filter's response at a position is the sum of K weights, one per
/// offset, picked by the code at that offset. The weights are laid out as a table
/// `[offset][code][channel]` so that channels are contiguous: one lookup feeds a SIMD add across
/// eight channels. Code rows 0...3 are the four one-hot channels, row 4 = 0.25 × (sum of rows
/// 0...3) (Basset's N, a column of 0.25s) and row 5 = 0 (an all-zero column). Adjacent offsets
/// are also pre-summed into a dinucleotide table, halving the lookups for plain sequences.
///
/// The global max-pool means the backward pass touches only each channel's arg-max position.
public struct OneHotConvolution: Sendable {
    public let channels: Int
    public let inputChannels: Int
    public let width: Int
    /// Rows per offset in the table (input channels + the 0.25 row + the zero row).
    public let codeRows: Int
    /// Channels rounded up to a multiple of 8 (SIMD width); padding lanes hold zeros.
    public let paddedChannels: Int

    /// `[width][codeRows][paddedChannels]`.
    public private(set) var table: [Float]
    /// `[paddedChannels]`.
    public private(set) var bias: [Float]
    /// Dinucleotide table `[width/2][16][paddedChannels]`: row `4a+b` of pair j holds the
    /// weights of base a at offset 2j plus base b at offset 2j+1 (empty unless 4 input channels
    /// and an even width).
    public private(set) var pairTable: [Float]

    public init(channels: Int, inputChannels: Int = 4, width: Int) {
        self.channels = channels
        self.inputChannels = inputChannels
        self.width = width
        self.codeRows = inputChannels + 2
        self.paddedChannels = (channels + 7) / 8 * 8
        table = [Float](repeating: 0, count: width * codeRows * paddedChannels)
        bias = [Float](repeating: 0, count: paddedChannels)
        pairTable = (inputChannels == 4 && width % 2 == 0)
            ? [Float](repeating: 0, count: width / 2 * 16 * paddedChannels) : []
    }

    /// Loads PyTorch-layout weights `[C, inputChannels, 1, K]` and bias `[C]`.
    public mutating func load(weight: [Float], bias b: [Float]) {
        precondition(weight.count == channels * inputChannels * width && b.count == channels)
        let C = channels, Cp = paddedChannels, K = width, R = codeRows, I = inputChannels
        table.withUnsafeMutableBufferPointer { t in
          weight.withUnsafeBufferPointer { weight in
            for k in 0..<K {
                for c in 0..<C {
                    var sum: Float = 0
                    for i in 0..<I {
                        let w = weight[(c * I + i) * K + k]
                        t[(k * R + i) * Cp + c] = w
                        sum += 0.25 * w
                    }
                    t[(k * R + I) * Cp + c] = sum
                    t[(k * R + I + 1) * Cp + c] = 0
                }
            }
          }
        }
        for c in 0..<C { bias[c] = b[c] }
        if !pairTable.isEmpty {
            table.withUnsafeBufferPointer { t in
                pairTable.withUnsafeMutableBufferPointer { pt in
                    for j in 0..<(K / 2) {
                        for a in 0..<4 {
                            for bb in 0..<4 {
                                let dst = pt.baseAddress! + (j * 16 + a * 4 + bb) * Cp
                                let ra = t.baseAddress! + (2 * j * R + a) * Cp, rb = t.baseAddress! + ((2 * j + 1) * R + bb) * Cp
                                for c in 0..<Cp { dst[c] = ra[c] + rb[c] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Number of valid output positions for an input of `length`.
    @inlinable public func outputLength(_ length: Int) -> Int { length - width + 1 }

    /// Forward pass for one sequence of codes: the maximum over positions of each channel's
    /// pre-activation and its first arg-max position. `rowOffsets` is scratch of `length` Ints.
    /// ReLU after max-pool equals max-pool after ReLU, so callers apply `max(0, ·)` themselves.
    ///
    /// Sequences of plain bases use the dinucleotide table (half the lookups); sequences with an
    /// N or a zero column use the per-base table.
    @inlinable
    public func forward(codes: UnsafePointer<UInt8>, length: Int,
                        maxima: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
                        rowOffsets: UnsafeMutablePointer<Int>) {
        let P = length - width + 1
        let Cp = paddedChannels
        var plain = !pairTable.isEmpty
        if plain {
            for j in 0..<length where codes[j] >= 4 { plain = false; break }
        }
        bias.withUnsafeBufferPointer { bb in
            let b = UnsafeRawPointer(bb.baseAddress!)
            if plain {
                for q in 0..<(length - 1) { rowOffsets[q] = (Int(codes[q]) &* 4 &+ Int(codes[q + 1])) &* Cp &* 4 }
                pairTable.withUnsafeBufferPointer { tb in
                    OneHotConvolution.maxPool(table: UnsafeRawPointer(tb.baseAddress!), bias: b, terms: width / 2,
                                              termStride: 16 * Cp * 4, offsets: rowOffsets, step: 2, positions: P,
                                              paddedChannels: Cp, maxima: maxima, argmax: argmax)
                }
            } else {
                for j in 0..<length { rowOffsets[j] = Int(codes[j]) &* Cp &* 4 }
                table.withUnsafeBufferPointer { tb in
                    OneHotConvolution.maxPool(table: UnsafeRawPointer(tb.baseAddress!), bias: b, terms: width,
                                              termStride: codeRows * Cp * 4, offsets: rowOffsets, step: 1, positions: P,
                                              paddedChannels: Cp, maxima: maxima, argmax: argmax)
                }
            }
        }
    }

    /// The kernel: for every position p and channel c, `bias[c] + Σ_j table[j][off(p + j·step)][c]`,
    /// reduced to its maximum and first arg-max. Blocks of 32 channels keep four SIMD8
    /// accumulators in registers; the rest go 8 channels × 4 positions at a time, so there are
    /// always four independent add chains in flight. One comparison mask updates both the maximum
    /// and its position (a blend, no call: `pointwiseMax` is not inlined on every toolchain).
    @inlinable @inline(__always)
    static func maxPool(table t: UnsafeRawPointer, bias b: UnsafeRawPointer, terms: Int, termStride: Int,
                        offsets: UnsafePointer<Int>, step: Int, positions P: Int, paddedChannels Cp: Int,
                        maxima: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        var g = 0
        while g + 32 <= Cp {
            let b0 = b.loadUnaligned(fromByteOffset: g * 4, as: SIMD8<Float>.self)
            let b1 = b.loadUnaligned(fromByteOffset: g * 4 + 32, as: SIMD8<Float>.self)
            let b2 = b.loadUnaligned(fromByteOffset: g * 4 + 64, as: SIMD8<Float>.self)
            let b3 = b.loadUnaligned(fromByteOffset: g * 4 + 96, as: SIMD8<Float>.self)
            var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0, m2 = m0, m3 = m0
            var i0 = SIMD8<Int32>(repeating: 0), i1 = i0, i2 = i0, i3 = i0
            let tg = t + g * 4
            for p in 0..<P {
                var a0 = b0, a1 = b1, a2 = b2, a3 = b3
                var row = tg
                var q = p
                for _ in 0..<terms {
                    let o = row + offsets[q]
                    a0 += o.loadUnaligned(as: SIMD8<Float>.self)
                    a1 += o.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                    a2 += o.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                    a3 += o.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                    row += termStride
                    q &+= step
                }
                let pp = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: p))
                let g0 = a0 .> m0; i0.replace(with: pp, where: g0); m0.replace(with: a0, where: g0)
                let g1 = a1 .> m1; i1.replace(with: pp, where: g1); m1.replace(with: a1, where: g1)
                let g2 = a2 .> m2; i2.replace(with: pp, where: g2); m2.replace(with: a2, where: g2)
                let g3 = a3 .> m3; i3.replace(with: pp, where: g3); m3.replace(with: a3, where: g3)
            }
            let mr = UnsafeMutableRawPointer(maxima + g)
            mr.storeBytes(of: m0, toByteOffset: 0, as: SIMD8<Float>.self)
            mr.storeBytes(of: m1, toByteOffset: 32, as: SIMD8<Float>.self)
            mr.storeBytes(of: m2, toByteOffset: 64, as: SIMD8<Float>.self)
            mr.storeBytes(of: m3, toByteOffset: 96, as: SIMD8<Float>.self)
            let ir = UnsafeMutableRawPointer(argmax + g)
            ir.storeBytes(of: i0, toByteOffset: 0, as: SIMD8<Int32>.self)
            ir.storeBytes(of: i1, toByteOffset: 32, as: SIMD8<Int32>.self)
            ir.storeBytes(of: i2, toByteOffset: 64, as: SIMD8<Int32>.self)
            ir.storeBytes(of: i3, toByteOffset: 96, as: SIMD8<Int32>.self)
            g += 32
        }
        while g < Cp {
            let b0 = b.loadUnaligned(fromByteOffset: g * 4, as: SIMD8<Float>.self)
            var m = SIMD8<Float>(repeating: -.infinity)
            var idx = SIMD8<Int32>(repeating: 0)
            let tg = t + g * 4
            var p = 0
            while p + 4 <= P {
                var a0 = b0, a1 = b0, a2 = b0, a3 = b0
                var row = tg
                var q = p
                for _ in 0..<terms {
                    a0 += (row + offsets[q]).loadUnaligned(as: SIMD8<Float>.self)
                    a1 += (row + offsets[q &+ 1]).loadUnaligned(as: SIMD8<Float>.self)
                    a2 += (row + offsets[q &+ 2]).loadUnaligned(as: SIMD8<Float>.self)
                    a3 += (row + offsets[q &+ 3]).loadUnaligned(as: SIMD8<Float>.self)
                    row += termStride
                    q &+= step
                }
                // Positions in order with a strict comparison: the first maximum wins, as PyTorch.
                let pp = Int32(truncatingIfNeeded: p)
                let g0 = a0 .> m; idx.replace(with: SIMD8(repeating: pp), where: g0); m.replace(with: a0, where: g0)
                let g1 = a1 .> m; idx.replace(with: SIMD8(repeating: pp &+ 1), where: g1); m.replace(with: a1, where: g1)
                let g2 = a2 .> m; idx.replace(with: SIMD8(repeating: pp &+ 2), where: g2); m.replace(with: a2, where: g2)
                let g3 = a3 .> m; idx.replace(with: SIMD8(repeating: pp &+ 3), where: g3); m.replace(with: a3, where: g3)
                p += 4
            }
            while p < P {
                var a0 = b0
                var row = tg
                var q = p
                for _ in 0..<terms {
                    a0 += (row + offsets[q]).loadUnaligned(as: SIMD8<Float>.self)
                    row += termStride
                    q &+= step
                }
                let g0 = a0 .> m
                idx.replace(with: SIMD8(repeating: Int32(truncatingIfNeeded: p)), where: g0)
                m.replace(with: a0, where: g0)
                p += 1
            }
            UnsafeMutableRawPointer(maxima + g).storeBytes(of: m, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(argmax + g).storeBytes(of: idx, as: SIMD8<Int32>.self)
            g += 8
        }
    }

    /// Accumulates the gradient of one sequence into a table-shaped buffer
    /// (`[width][codeRows][paddedChannels]`) and a bias buffer: `gradMax[c]` is the gradient of
    /// the loss with respect to the pooled output of channel c (zero where ReLU was inactive).
    /// With `gradPairTable` (`[width/2][16][paddedChannels]`), plain sequences accumulate into the
    /// dinucleotide form instead — half the scattered adds; fold it with `foldPairGradient`.
    @inlinable
    public func accumulateGradient(codes: UnsafePointer<UInt8>, argmax: UnsafePointer<Int32>,
                                   gradMax: UnsafePointer<Float>,
                                   gradTable: UnsafeMutablePointer<Float>, gradPairTable: UnsafeMutablePointer<Float>? = nil,
                                   gradBias: UnsafeMutablePointer<Float>, length: Int = 0) {
        let Cp = paddedChannels
        let R = codeRows
        if let gpt = gradPairTable, !pairTable.isEmpty, length > 0 {
            var plain = true
            for j in 0..<length where codes[j] >= 4 { plain = false; break }
            if plain {
                let pairs = width / 2
                for c in 0..<channels {
                    let gc = gradMax[c]
                    if gc == 0 { continue }
                    gradBias[c] += gc
                    let s = codes + Int(argmax[c])
                    var row = gpt + c
                    for j in 0..<pairs {
                        row[(Int(s[2 &* j]) &* 4 &+ Int(s[2 &* j &+ 1])) &* Cp] += gc
                        row += 16 &* Cp
                    }
                }
                return
            }
        }
        for c in 0..<channels {
            let gc = gradMax[c]
            if gc == 0 { continue }
            gradBias[c] += gc
            let s = codes + Int(argmax[c])
            var row = gradTable + c
            for k in 0..<width {
                row[Int(s[k]) &* Cp] += gc
                row += R &* Cp
            }
        }
    }

    /// Adds a dinucleotide-form gradient into the per-base table form: a pair row (a, b) of
    /// pair j feeds base a at offset 2j and base b at offset 2j+1.
    public func foldPairGradient(_ gradPairTable: UnsafePointer<Float>, into gradTable: UnsafeMutablePointer<Float>) {
        let Cp = paddedChannels, R = codeRows
        for j in 0..<(width / 2) {
            for a in 0..<4 {
                for b in 0..<4 {
                    let src = gradPairTable + (j * 16 + a * 4 + b) * Cp
                    let first = gradTable + (2 * j * R + a) * Cp
                    let second = gradTable + ((2 * j + 1) * R + b) * Cp
                    for c in 0..<Cp {
                        first[c] += src[c]
                        second[c] += src[c]
                    }
                }
            }
        }
    }

    /// Size of the dinucleotide gradient buffer (0 when there is no pair table).
    public var pairTableCount: Int { pairTable.count }

    /// Folds a table-shaped gradient into PyTorch layout `[C, inputChannels, 1, K]`: the 0.25
    /// row spreads a quarter to every input channel; the zero row contributes nothing.
    public func weightGradient(fromTable gradTable: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let C = channels, Cp = paddedChannels, K = width, R = codeRows, I = inputChannels
        for c in 0..<C {
            for i in 0..<I {
                for k in 0..<K {
                    out[(c * I + i) * K + k] = gradTable[(k * R + i) * Cp + c] + 0.25 * gradTable[(k * R + I) * Cp + c]
                }
            }
        }
    }

    public var tableCount: Int { width * codeRows * paddedChannels }
}
