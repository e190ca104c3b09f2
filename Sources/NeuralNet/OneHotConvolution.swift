/// A width-K convolution over categorical (one-hot) input followed by ReLU and a global max-pool,
/// computed by table lookups instead of multiplications.
///
/// With one-hot input, a filter's response at a position is the sum of K weights, one per
/// offset, picked by the code at that offset. The weights are laid out as a table
/// `[offset][code][channel]` so that channels are contiguous: one lookup feeds a SIMD add across
/// eight channels. Code rows 0...3 are the four one-hot channels; the `extraRows` closure-free
/// convention adds row 4 = 0.25 × (sum of rows 0...3) (Basset's N, a column of 0.25s) and
/// row 5 = 0 (an all-zero column).
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

    public init(channels: Int, inputChannels: Int = 4, width: Int) {
        self.channels = channels
        self.inputChannels = inputChannels
        self.width = width
        self.codeRows = inputChannels + 2
        self.paddedChannels = (channels + 7) / 8 * 8
        table = [Float](repeating: 0, count: width * codeRows * paddedChannels)
        bias = [Float](repeating: 0, count: paddedChannels)
    }

    /// Loads PyTorch-layout weights `[C, inputChannels, 1, K]` and bias `[C]`.
    public mutating func load(weight: [Float], bias b: [Float]) {
        precondition(weight.count == channels * inputChannels * width && b.count == channels)
        let C = channels, Cp = paddedChannels, K = width, R = codeRows, I = inputChannels
        table.withUnsafeMutableBufferPointer { t in
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
        for c in 0..<C { bias[c] = b[c] }
    }

    /// Number of valid output positions for an input of `length`.
    @inlinable public func outputLength(_ length: Int) -> Int { length - width + 1 }

    /// Forward pass for one sequence of codes: the maximum over positions of each channel's
    /// pre-activation and its first arg-max position. `rowOffsets` is scratch of `length` Ints.
    /// ReLU after max-pool equals max-pool after ReLU, so callers apply `max(0, ·)` themselves.
    @inlinable
    public func forward(codes: UnsafePointer<UInt8>, length: Int,
                        maxima: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
                        rowOffsets: UnsafeMutablePointer<Int>) {
        let P = length - width + 1
        let Cp = paddedChannels
        let K = width
        let strideK = codeRows * Cp
        for j in 0..<length { rowOffsets[j] = Int(codes[j]) * Cp }
        table.withUnsafeBufferPointer { tb in
            bias.withUnsafeBufferPointer { bb in
                let t = UnsafeRawPointer(tb.baseAddress!)
                let b = UnsafeRawPointer(bb.baseAddress!)
                var g = 0
                // Blocks of 32 channels: four SIMD8 accumulators held in registers.
                while g + 32 <= Cp {
                    let b0 = b.loadUnaligned(fromByteOffset: (g) * 4, as: SIMD8<Float>.self)
                    let b1 = b.loadUnaligned(fromByteOffset: (g + 8) * 4, as: SIMD8<Float>.self)
                    let b2 = b.loadUnaligned(fromByteOffset: (g + 16) * 4, as: SIMD8<Float>.self)
                    let b3 = b.loadUnaligned(fromByteOffset: (g + 24) * 4, as: SIMD8<Float>.self)
                    var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0, m2 = m0, m3 = m0
                    var i0 = SIMD8<Int32>(repeating: 0), i1 = i0, i2 = i0, i3 = i0
                    for p in 0..<P {
                        var a0 = b0, a1 = b1, a2 = b2, a3 = b3
                        var base = g * 4
                        for k in 0..<K {
                            let o = base + rowOffsets[p + k] * 4
                            a0 += t.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                            a1 += t.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
                            a2 += t.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
                            a3 += t.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
                            base += strideK * 4
                        }
                        let pp = Int32(p)
                        i0.replace(with: pp, where: a0 .> m0); m0 = pointwiseMax(m0, a0)
                        i1.replace(with: pp, where: a1 .> m1); m1 = pointwiseMax(m1, a1)
                        i2.replace(with: pp, where: a2 .> m2); m2 = pointwiseMax(m2, a2)
                        i3.replace(with: pp, where: a3 .> m3); m3 = pointwiseMax(m3, a3)
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
                // Remaining channels, eight at a time.
                while g < Cp {
                    let b0 = b.loadUnaligned(fromByteOffset: g * 4, as: SIMD8<Float>.self)
                    var m0 = SIMD8<Float>(repeating: -.infinity)
                    var i0 = SIMD8<Int32>(repeating: 0)
                    for p in 0..<P {
                        var a0 = b0
                        var base = g * 4
                        for k in 0..<K {
                            a0 += t.loadUnaligned(fromByteOffset: base + rowOffsets[p + k] * 4, as: SIMD8<Float>.self)
                            base += strideK * 4
                        }
                        i0.replace(with: Int32(p), where: a0 .> m0)
                        m0 = pointwiseMax(m0, a0)
                    }
                    UnsafeMutableRawPointer(maxima + g).storeBytes(of: m0, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(argmax + g).storeBytes(of: i0, as: SIMD8<Int32>.self)
                    g += 8
                }
            }
        }
    }

    /// Accumulates the gradient of one sequence into a table-shaped buffer
    /// (`[width][codeRows][paddedChannels]`) and a bias buffer: `gradMax[c]` is the gradient of
    /// the loss with respect to the pooled output of channel c (zero where ReLU was inactive).
    @inlinable
    public func accumulateGradient(codes: UnsafePointer<UInt8>, argmax: UnsafePointer<Int32>,
                                   gradMax: UnsafePointer<Float>,
                                   gradTable: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>) {
        let Cp = paddedChannels
        let R = codeRows
        for c in 0..<channels {
            let gc = gradMax[c]
            if gc == 0 { continue }
            gradBias[c] += gc
            let start = Int(argmax[c])
            for k in 0..<width {
                gradTable[(k * R + Int(codes[start + k])) * Cp + c] += gc
            }
        }
    }

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
