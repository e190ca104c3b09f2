import CPrefetch

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
    /// Trinucleotide table for plain sequences, blocked by pairs of 8-channel groups:
    /// `[pairs of groups][width/3][64][16]`; row `a+4b+16c` of triple j holds the weights of
    /// bases a, b, c at offsets 3j, 3j+1, 3j+2 for 16 channels, two groups side by side, so one
    /// 64-byte cache line serves both groups' lookups and one offset feeds two SIMD8 adds. The row
    /// order is the 6 bits of the three bases packed 2 bits per base, first base lowest (see
    /// `packBases`). With an
    /// odd number of groups the last pair's second half is zeros and unused. One pair's part
    /// (32 KiB at width 24) is what a kernel pass touches (empty unless 4 input channels and width
    /// divisible by 3). Held 64-byte aligned so that rows never straddle cache lines (a split load
    /// costs twice); copy-on-write in `load`. Term 0's rows include the bias: `bias + row` is the
    /// first sum every kernel formed anyway, so folding it in changes no result, and a kernel pass
    /// needs no bias registers (at 6 positions × 2 groups the pair kernel then fits the 16 ymm
    /// registers without spilling its maxima).
    @usableFromInline private(set) var tripleTable: AlignedFloats

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
        tripleTable = AlignedFloats(count: (inputChannels == 4 && width % 3 == 0)
                                    ? (paddedChannels + 15) / 16 * (width / 3) * 64 * 16 : 0)
    }

    /// Loads PyTorch-layout weights `[C, inputChannels, 1, K]` and bias `[C]`.
    public mutating func load(weight: [Float], bias b: [Float]) {
        precondition(weight.count == channels * inputChannels * width && b.count == channels)
        let C = channels, Cp = paddedChannels, K = width, R = codeRows, I = inputChannels
        table.withUnsafeMutableBufferPointer { tb in
          weight.withUnsafeBufferPointer { wb in
            // Eight channels at a time: their 8 × I × K weights (3 KiB at width 24) stay in L1 while
            // each (offset, input channel) row receives their 32 bytes in one store. Channel by
            // channel, every scalar store went to another line of the 60 KiB table (a row apart);
            // this runs on every training step in every thread.
            let t = tb.baseAddress!, w = wb.baseAddress!
            let rowStride: Int = I &* K
            var c0 = 0
            while c0 &+ 8 <= C {
                for i in 0..<I {
                    let s = w + (c0 &* I &+ i) &* K
                    var dst = UnsafeMutableRawPointer(t + (i &* Cp &+ c0))
                    for k in 0..<K {
                        let v = SIMD8<Float>(s[k], s[k &+ rowStride], s[k &+ 2 &* rowStride], s[k &+ 3 &* rowStride],
                                             s[k &+ 4 &* rowStride], s[k &+ 5 &* rowStride], s[k &+ 6 &* rowStride],
                                             s[k &+ 7 &* rowStride])
                        dst.storeBytes(of: v, as: SIMD8<Float>.self)
                        dst += R &* Cp &* 4
                    }
                }
                c0 &+= 8
            }
            for c in c0..<C {
                for i in 0..<I {
                    let src = w + (c * I + i) * K
                    var dst = t + i * Cp + c
                    for k in 0..<K { dst.pointee = src[k]; dst += R * Cp }
                }
            }
            // The N row, 0.25 × the sum over input channels (in channel order), eight channels at a
            // time (padding lanes are zeros), and the zero row.
            let raw = UnsafeMutableRawPointer(t)
            for k in 0..<K {
                let rows = k * R * Cp * 4
                var c = 0
                while c < Cp {
                    var sum = SIMD8<Float>(repeating: 0)
                    for i in 0..<I {
                        sum += 0.25 * raw.loadUnaligned(fromByteOffset: rows + (i * Cp + c) * 4, as: SIMD8<Float>.self)
                    }
                    raw.storeBytes(of: sum, toByteOffset: rows + (I * Cp + c) * 4, as: SIMD8<Float>.self)
                    raw.storeBytes(of: SIMD8<Float>(repeating: 0), toByteOffset: rows + ((I + 1) * Cp + c) * 4,
                                   as: SIMD8<Float>.self)
                    c += 8
                }
            }
          }
        }
        for c in 0..<C { bias[c] = b[c] }
        // With a trinucleotide table the pair table is not read (its size still sizes the
        // dinucleotide gradient), so it is not filled.
        if !pairTable.isEmpty && tripleTable.isEmpty {
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
        if !tripleTable.isEmpty {
            let T = K / 3
            if !isKnownUniquelyReferenced(&tripleTable) { tripleTable = AlignedFloats(count: tripleTable.count) }
            table.withUnsafeBufferPointer { t in
                let tt = UnsafeMutableBufferPointer(start: tripleTable.pointer, count: tripleTable.count)
                let base = UnsafeRawPointer(t.baseAddress!)
                for g in 0..<(Cp / 8) {
                    for j in 0..<T {
                        // Group g is half g % 2 of pair g / 2; rows are 16 floats (64 bytes).
                        // Offsets typed as Int: untyped, Swift 6.0.3 (Debian's arm64 toolchain, under qemu)
                        // gave up type-checking this closure "in reasonable time".
                        let dstOffset: Int = ((g / 2) * T + j) * 64 * 16 + (g % 2) * 8
                        let dst = UnsafeMutableRawPointer(tt.baseAddress! + dstOffset)
                        let kaOffset: Int = ((3 * j * R) * Cp + 8 * g) * 4, rowBytes: Int = R * Cp * 4
                        let ka = base + kaOffset, kb = ka + rowBytes, kc = kb + rowBytes
                        // The bias joins term 0 after the three weights, as the kernels used to add it.
                        let foldedBias: SIMD8<Float>? = j == 0 ? biasVector(group: g) : nil
                        for a in 0..<4 {
                            let va = ka.loadUnaligned(fromByteOffset: a * Cp * 4, as: SIMD8<Float>.self)
                            for b in 0..<4 {
                                let vab = va + kb.loadUnaligned(fromByteOffset: b * Cp * 4, as: SIMD8<Float>.self)
                                for c in 0..<4 {
                                    let sum = vab + kc.loadUnaligned(fromByteOffset: c * Cp * 4, as: SIMD8<Float>.self)
                                    dst.storeBytes(of: foldedBias.map { $0 + sum } ?? sum,
                                                   toByteOffset: (a + b * 4 + c * 16) * 64, as: SIMD8<Float>.self)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The biases of 8-channel group `g` (padding lanes are zeros).
    func biasVector(group g: Int) -> SIMD8<Float> {
        bias.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!).loadUnaligned(fromByteOffset: g * 32, as: SIMD8<Float>.self) }
    }

    /// Fewest positions a plain sequence needs for the trinucleotide kernels (the lone-group
    /// kernel's pass; shorter ones use the per-base table).
    @usableFromInline static let tripleBlock = 8

    /// Number of valid output positions for an input of `length`.
    @inlinable public func outputLength(_ length: Int) -> Int { length - width + 1 }

    /// Forward pass for one sequence of codes: the maximum over positions of each channel's
    /// pre-activation and its first arg-max position. `rowOffsets` is scratch of `length` Ints.
    /// ReLU after max-pool equals max-pool after ReLU, so callers apply `max(0, ·)` themselves.
    /// With `needArgmax` false (inference) `argmax` is scratch and may be left unset.
    ///
    /// Sequences of plain bases use the trinucleotide table (a third of the lookups) or, for
    /// widths not divisible by 3, the dinucleotide table; sequences with an N or a zero column,
    /// and plain ones too short for the trinucleotide kernel (fewer than 8 positions), use the
    /// per-base table.
    @inlinable
    public func forward(codes: UnsafePointer<UInt8>, length: Int,
                        maxima: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
                        rowOffsets: UnsafeMutablePointer<Int>, needArgmax: Bool = true) {
        let P = length - width + 1
        let Cp = paddedChannels
        let plain = (!pairTable.isEmpty || !tripleTable.isEmpty) && OneHotConvolution.isPlain(codes, length: length)
        bias.withUnsafeBufferPointer { bb in
            let b = UnsafeRawPointer(bb.baseAddress!)
            if plain && usesTriples(length: length) {
                // The bases packed 2 bits each (in the Int scratch: 8·length bytes is enough).
                UnsafeMutableRawPointer(rowOffsets).withMemoryRebound(to: UInt8.self, capacity: 8 * length) { packed in
                    OneHotConvolution.packBases(codes, length: length, into: packed)
                    let t = UnsafeRawPointer(tripleTable.pointer)
                    var g = 0
                    while g < Cp / 8 {
                        OneHotConvolution.tripleKernel(table: t + (g / 2) &* triplePairBytes,
                                                       terms: width / 3, packed: UnsafeRawPointer(packed), positions: P,
                                                       twoGroups: g + 1 < Cp / 8, maxima: maxima + g &* 8,
                                                       argmax: needArgmax ? argmax + g &* 8 : nil)
                        g += 2
                    }
                }
            } else if plain && !pairTable.isEmpty && tripleTable.isEmpty {
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

    /// Lane-wise maximum as a compare and blend (compiles to one `max` instruction; the library's
    /// `pointwiseMax` is not inlined on every toolchain).
    @inlinable @inline(__always)
    static func vmax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        var r = a
        r.replace(with: b, where: b .> a)
        return r
    }

    /// True when every code is a plain base (0...3).
    @inlinable @inline(__always)
    static func isPlain(_ codes: UnsafePointer<UInt8>, length: Int) -> Bool {
        var j = 0, bits: UInt64 = 0
        let raw = UnsafeRawPointer(codes)
        while j &+ 8 <= length { bits |= raw.loadUnaligned(fromByteOffset: j, as: UInt64.self); j &+= 8 }
        while j < length { bits |= UInt64(codes[j]); j &+= 1 }
        return bits & 0xFCFC_FCFC_FCFC_FCFC == 0
    }

    /// Whether plain sequences of `length` go through the trinucleotide kernel.
    @inlinable func usesTriples(length: Int) -> Bool {
        !tripleTable.isEmpty && length - width + 1 >= OneHotConvolution.tripleBlock
    }

    /// Bytes of one pair of 8-channel groups' part of the trinucleotide table.
    @inlinable var triplePairBytes: Int { width / 3 &* 64 &* 64 }

    /// Packs plain bases (codes 0...3) 2 bits each, four to a byte, first base in the lowest bits,
    /// and zeros the 8 bytes after them (a kernel reads 64-bit windows that may reach past the
    /// end). The 6 bits at base q of such a window are the row of the trinucleotide starting at q.
    @inlinable @inline(__always)
    static func packBases(_ codes: UnsafePointer<UInt8>, length L: Int, into packed: UnsafeMutablePointer<UInt8>) {
        let full = L / 4
        // Eight bases (bytes 0...3) per 64-bit word: t's byte k becomes b[k] | b[k+1] << 2, then
        // u's byte k b[k] | b[k+1] << 2 | b[k+2] << 4 | b[k+3] << 6, for k = 0 and 4.
        let raw = UnsafeRawPointer(codes)
        var i = 0
        while i &+ 2 <= full {
            let x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 4 &* i, as: UInt64.self))
            let t = x | x &>> 6
            let u = t | t &>> 12
            packed[i] = UInt8(truncatingIfNeeded: u)
            packed[i &+ 1] = UInt8(truncatingIfNeeded: u &>> 32)
            i &+= 2
        }
        if i < full {
            let c = codes + 4 &* i
            packed[i] = c[0] | c[1] &<< 2 | c[2] &<< 4 | c[3] &<< 6
        }
        var last: UInt8 = 0
        for k in 0..<(L - 4 &* full) { last |= codes[4 &* full &+ k] &<< UInt8(2 &* k) }
        packed[full] = last
        for i in 1...8 { packed[full &+ i] = 0 }
    }

    /// Hints the cache to fetch the lines of `bytes` bytes from `p` (at most three: a row of up
    /// to 129 bytes).
    @inlinable @inline(__always)
    static func prefetch(_ p: UnsafePointer<UInt8>, bytes: Int) {
        sigtfb_prefetch(p)
        if bytes > 64 { sigtfb_prefetch(p + 64) }
        if bytes > 1 { sigtfb_prefetch(p + (bytes &- 1)) }
    }

    /// The 64 bits of packed bases starting at base q (bases q ... q+28 at least are valid).
    @inlinable @inline(__always)
    static func baseWindow(_ packed: UnsafeRawPointer, at q: Int) -> UInt64 {
        UInt64(littleEndian: packed.loadUnaligned(fromByteOffset: q &>> 2, as: UInt64.self)) &>> UInt64(truncatingIfNeeded: (q & 3) &* 2)
    }

    /// Byte offset, within a term of the trinucleotide table, of the row of the trinucleotide at
    /// base k of a window.
    @inlinable @inline(__always)
    static func tripleRow(_ window: UInt64, _ k: Int) -> Int {
        Int(truncatingIfNeeded: (window &>> UInt64(truncatingIfNeeded: 2 &* k)) & 63) &<< 6
    }

    /// UInt16s of scratch `forwardBatch` needs for `count` sequences of `length`.
    public static func batchScratchCount(length: Int, count: Int) -> Int { count * batchRowStride(length: length) }

    /// UInt16s per sequence of `forwardBatch`'s scratch: its packed bases, then its 2-byte row
    /// tag (20 at length 101). Short rows on purpose: the kernels sweep all rows once per pair of
    /// groups while that pair's 32 KiB table part should stay in L1, and rows of `length`
    /// UInt16s (208 bytes, the tag on a line of its own) took up to two more lines each.
    @inlinable static func batchRowStride(length L: Int) -> Int { packedRowBytes(length: L, extra: 2) / 2 }

    /// Forward pass for a batch: sequence r starts at `codes + rows[r] * length`; its maxima and
    /// arg-max go to `maxima + r * paddedChannels`, `argmax + r * paddedChannels` (as `forward`).
    /// Plain sequences go through the trinucleotide kernels pair of groups by pair — all
    /// sequences for one pair of 8-channel groups, then the next — so each pair's 32 KiB table
    /// part is read from L1 rather than the whole table from L2 for every sequence. `scratch`: `batchScratchCount`
    /// UInt16s; `rowOffsets`: `length` Ints.
    @inlinable
    public func forwardBatch(codes: UnsafePointer<UInt8>, length L: Int, rows: UnsafeBufferPointer<Int>,
                             maxima: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
                             scratch: UnsafeMutablePointer<UInt16>, rowOffsets: UnsafeMutablePointer<Int>,
                             needArgmax: Bool = true) {
        let Cp = paddedChannels
        if rows.count > 65536 {  // the row tags below are UInt16
            var s = 0
            while s < rows.count {
                let e = min(rows.count, s + 65536)
                forwardBatch(codes: codes, length: L, rows: UnsafeBufferPointer(rebasing: rows[s..<e]),
                             maxima: maxima + s * Cp, argmax: argmax + s * Cp, scratch: scratch, rowOffsets: rowOffsets,
                             needArgmax: needArgmax)
                s = e
            }
            return
        }
        guard usesTriples(length: L) else {
            for (r, seq) in rows.enumerated() {
                forward(codes: codes + seq * L, length: L, maxima: maxima + r * Cp, argmax: argmax + r * Cp,
                        rowOffsets: rowOffsets, needArgmax: needArgmax)
            }
            return
        }
        // Plain sequences: packed bases now, kernel below; r of the i-th plain one
        // (the last slot of each scratch row holds it).
        let stride = OneHotConvolution.batchRowStride(length: L)
        var plainCount = 0
        // Rows are sampled at random from the whole data set: ask for all of them first, so that
        // their cache misses overlap (each row's first read waited for memory: most of this
        // loop's time, measured).
        for seq in rows { OneHotConvolution.prefetch(codes + seq &* L, bytes: L) }
        for (r, seq) in rows.enumerated() {
            let s = codes + seq * L
            if OneHotConvolution.isPlain(s, length: L) {
                let row = scratch + plainCount &* stride
                UnsafeMutableRawPointer(row).withMemoryRebound(to: UInt8.self, capacity: 2 &* stride) { packed in
                    OneHotConvolution.packBases(s, length: L, into: packed)
                }
                row[stride - 1] = UInt16(truncatingIfNeeded: r)
                plainCount += 1
            } else {
                forward(codes: s, length: L, maxima: maxima + r * Cp, argmax: argmax + r * Cp,
                        rowOffsets: rowOffsets, needArgmax: needArgmax)
            }
        }
        if plainCount == 0 { return }
        let P = L - width + 1, terms = width / 3, pairBytes = triplePairBytes, groups = Cp / 8
        let t = UnsafeRawPointer(tripleTable.pointer)
        var g = 0
        while g < groups {
            let tg = t + (g / 2) &* pairBytes, two = g + 1 < groups
            for i in 0..<plainCount {
                let off = scratch + i &* stride
                let r = Int(off[stride - 1])
                OneHotConvolution.tripleKernel(table: tg, terms: terms, packed: UnsafeRawPointer(off), positions: P,
                                               twoGroups: two, maxima: maxima + (r &* Cp &+ g &* 8),
                                               argmax: needArgmax ? argmax + (r &* Cp &+ g &* 8) : nil)
            }
            g += 2
        }
    }

    /// One sequence through one pair of channel groups (`twoGroups`) or a lone last group: the
    /// trinucleotide kernel that fits. `table`: the pair's part (bias folded into term 0);
    /// `maxima`, `argmax`: its first channel. Needs `P >= tripleBlock`.
    @inlinable @inline(__always)
    static func tripleKernel(table tg: UnsafeRawPointer, terms: Int,
                             packed: UnsafeRawPointer, positions P: Int, twoGroups: Bool,
                             maxima: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?) {
        if twoGroups {
            if let argmax {
                maxPoolTriplePair(table: tg, terms: terms, packed: packed, positions: P, maxima: maxima, argmax: argmax)
            } else {
                maxPoolTriplePairMaxOnly(table: tg, terms: terms, packed: packed, positions: P, maxima: maxima)
            }
        } else if argmax == nil && terms == 8 && P >= 12 {
            maxPoolTripleGroupMaxOnly(table: tg, packed: packed, positions: P, maxima: maxima)
        } else {
            maxPoolTripleGroup(table: tg, terms: terms, packed: packed, positions: P, maxima: maxima, argmax: argmax)
        }
    }

    /// Max-only kernel for a lone 8-channel group at width 24 (inference, odd group counts such
    /// as C=100's thirteenth): 12 positions per pass in 12 accumulators, every row offset from two
    /// windows of packed bases (terms 0-3 from the one at p, terms 4-7 from the one at p+12).
    /// Twice the positions of `maxPoolTripleGroup`'s pass for the same loads of offsets; it took
    /// half as long per group. Needs `P >= 12`.
    @inlinable @inline(__always)
    static func maxPoolTripleGroupMaxOnly(table tg: UnsafeRawPointer,
                                          packed: UnsafeRawPointer, positions P: Int, maxima: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        var m = V(repeating: -.infinity)
        var p = 0
        while true {
            if p &+ 12 > P { p = P &- 12 }
            // Term 0 (which holds the bias) sets the sums, the others add to them.
            let w0 = baseWindow(packed, at: p), w1 = baseWindow(packed, at: p &+ 12)
            @inline(__always) func load(_ k: Int) -> V { (tg + tripleRow(w0, k)).loadUnaligned(as: V.self) }
            var a = (load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7), load(8), load(9), load(10), load(11))
            @inline(__always) func term(_ row: UnsafeRawPointer, _ w: UInt64) {
                a.0 += (row + tripleRow(w, 0)).loadUnaligned(as: V.self)
                a.1 += (row + tripleRow(w, 1)).loadUnaligned(as: V.self)
                a.2 += (row + tripleRow(w, 2)).loadUnaligned(as: V.self)
                a.3 += (row + tripleRow(w, 3)).loadUnaligned(as: V.self)
                a.4 += (row + tripleRow(w, 4)).loadUnaligned(as: V.self)
                a.5 += (row + tripleRow(w, 5)).loadUnaligned(as: V.self)
                a.6 += (row + tripleRow(w, 6)).loadUnaligned(as: V.self)
                a.7 += (row + tripleRow(w, 7)).loadUnaligned(as: V.self)
                a.8 += (row + tripleRow(w, 8)).loadUnaligned(as: V.self)
                a.9 += (row + tripleRow(w, 9)).loadUnaligned(as: V.self)
                a.10 += (row + tripleRow(w, 10)).loadUnaligned(as: V.self)
                a.11 += (row + tripleRow(w, 11)).loadUnaligned(as: V.self)
            }
            // Term j's positions start 3j bases after p; a window holds bases p ... p+28.
            let t: Int = 64 &* 64
            term(tg + t, w0 &>> 6)
            term(tg + 2 &* t, w0 &>> 12)
            term(tg + 3 &* t, w0 &>> 18)
            term(tg + 4 &* t, w1)
            term(tg + 5 &* t, w1 &>> 6)
            term(tg + 6 &* t, w1 &>> 12)
            term(tg + 7 &* t, w1 &>> 18)
            let x = vmax(vmax(vmax(a.0, a.1), vmax(a.2, a.3)), vmax(vmax(a.4, a.5), vmax(a.6, a.7)))
            m = vmax(m, vmax(x, vmax(vmax(a.8, a.9), vmax(a.10, a.11))))
            p &+= 12
            if p >= P { break }
        }
        UnsafeMutableRawPointer(maxima).storeBytes(of: m, as: V.self)
    }

    /// Max-only trinucleotide kernel for a pair of 8-channel groups (inference): 6 positions per
    /// pass, 12 accumulators; each offset addresses one 64-byte row that feeds both groups.
    /// Needs `P >= 6`.
    @inlinable @inline(__always)
    static func maxPoolTriplePairMaxOnly(table tg: UnsafeRawPointer, terms: Int,
                                         packed: UnsafeRawPointer, positions P: Int,
                                         maxima: UnsafeMutablePointer<Float>) {
        var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0
        var p = 0
        while true {
            if p &+ 6 > P { p = P &- 6 }
            var acc = TriplePairSums<Six>()
            acc.addTerms(table: tg, packed: packed, at: p, terms: terms)
            // A tree of maxima: short dependency chains (all values are finite sums).
            m0 = vmax(m0, vmax(vmax(vmax(acc.a.0, acc.a.1), vmax(acc.a.2, acc.a.3)), vmax(acc.a.4, acc.a.5)))
            m1 = vmax(m1, vmax(vmax(vmax(acc.c.0, acc.c.1), vmax(acc.c.2, acc.c.3)), vmax(acc.c.4, acc.c.5)))
            p &+= 6
            if p >= P { break }
        }
        UnsafeMutableRawPointer(maxima).storeBytes(of: m0, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(maxima).storeBytes(of: m1, toByteOffset: 32, as: SIMD8<Float>.self)
    }

    /// Maximum and first arg-max for a pair of 8-channel groups (training): 4 positions per pass,
    /// 8 accumulators plus two maxima and two index vectors in registers. The last pass restarts
    /// at `P - 4`; recomputed positions have identical values, which the strict comparison
    /// ignores, so the first maximum still wins (PyTorch's rule). Needs `P >= 4`.
    @inlinable @inline(__always)
    static func maxPoolTriplePair(table tg: UnsafeRawPointer, terms: Int,
                                  packed: UnsafeRawPointer, positions P: Int,
                                  maxima: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0
        var i0 = SIMD8<Int32>(repeating: 0), i1 = i0
        let one = SIMD8<Int32>(repeating: 1)
        var p = 0
        while true {
            if p &+ 4 > P { p = P &- 4 }
            var acc = TriplePairSums<Four>()
            acc.addTerms(table: tg, packed: packed, at: p, terms: terms)
            let p0 = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: p))
            var k = acc.a.0 .> m0; i0.replace(with: p0, where: k); m0.replace(with: acc.a.0, where: k)
            k = acc.c.0 .> m1; i1.replace(with: p0, where: k); m1.replace(with: acc.c.0, where: k)
            let p1 = p0 &+ one
            k = acc.a.1 .> m0; i0.replace(with: p1, where: k); m0.replace(with: acc.a.1, where: k)
            k = acc.c.1 .> m1; i1.replace(with: p1, where: k); m1.replace(with: acc.c.1, where: k)
            let p2 = p1 &+ one
            k = acc.a.2 .> m0; i0.replace(with: p2, where: k); m0.replace(with: acc.a.2, where: k)
            k = acc.c.2 .> m1; i1.replace(with: p2, where: k); m1.replace(with: acc.c.2, where: k)
            let p3 = p2 &+ one
            k = acc.a.3 .> m0; i0.replace(with: p3, where: k); m0.replace(with: acc.a.3, where: k)
            k = acc.c.3 .> m1; i1.replace(with: p3, where: k); m1.replace(with: acc.c.3, where: k)
            p &+= 4
            if p >= P { break }
        }
        UnsafeMutableRawPointer(maxima).storeBytes(of: m0, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(maxima).storeBytes(of: m1, toByteOffset: 32, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(argmax).storeBytes(of: i0, as: SIMD8<Int32>.self)
        UnsafeMutableRawPointer(argmax).storeBytes(of: i1, toByteOffset: 32, as: SIMD8<Int32>.self)
    }

    /// The trinucleotide kernel for a lone 8-channel group (the first half of a pair's rows, when
    /// the number of groups is odd): positions go 8 at a time, one SIMD8 accumulator each; the last
    /// pass starts at `P - 8` (see `maxPoolTriplePair` for why that keeps the first maximum). With
    /// `argmax` nil only the maximum is tracked. Needs `P >= 8`.
    @inlinable @inline(__always)
    static func maxPoolTripleGroup(table tg: UnsafeRawPointer, terms: Int,
                                   packed: UnsafeRawPointer, positions P: Int,
                                   maxima: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?) {
        var m = SIMD8<Float>(repeating: -.infinity)
        var idx = SIMD8<Int32>(repeating: 0)
        var p = 0
        while true {
            if p &+ 8 > P { p = P &- 8 }
            // Term 0 (which holds the bias) sets the sums, the others add to them.
            let w0 = baseWindow(packed, at: p)
            @inline(__always) func load(_ k: Int) -> SIMD8<Float> { (tg + tripleRow(w0, k)).loadUnaligned(as: SIMD8<Float>.self) }
            var a0 = load(0), a1 = load(1), a2 = load(2), a3 = load(3), a4 = load(4), a5 = load(5), a6 = load(6), a7 = load(7)
            var row = tg + 64 &* 64
            for j in 1..<terms {
                let w = baseWindow(packed, at: p &+ 3 &* j)
                a0 += (row + tripleRow(w, 0)).loadUnaligned(as: SIMD8<Float>.self)
                a1 += (row + tripleRow(w, 1)).loadUnaligned(as: SIMD8<Float>.self)
                a2 += (row + tripleRow(w, 2)).loadUnaligned(as: SIMD8<Float>.self)
                a3 += (row + tripleRow(w, 3)).loadUnaligned(as: SIMD8<Float>.self)
                a4 += (row + tripleRow(w, 4)).loadUnaligned(as: SIMD8<Float>.self)
                a5 += (row + tripleRow(w, 5)).loadUnaligned(as: SIMD8<Float>.self)
                a6 += (row + tripleRow(w, 6)).loadUnaligned(as: SIMD8<Float>.self)
                a7 += (row + tripleRow(w, 7)).loadUnaligned(as: SIMD8<Float>.self)
                row += 64 &* 64
            }
            if argmax != nil {
                // Positions in order with a strict comparison: the first maximum wins, as PyTorch.
                let pp = Int32(truncatingIfNeeded: p)
                var k = a0 .> m; idx.replace(with: SIMD8(repeating: pp), where: k); m.replace(with: a0, where: k)
                k = a1 .> m; idx.replace(with: SIMD8(repeating: pp &+ 1), where: k); m.replace(with: a1, where: k)
                k = a2 .> m; idx.replace(with: SIMD8(repeating: pp &+ 2), where: k); m.replace(with: a2, where: k)
                k = a3 .> m; idx.replace(with: SIMD8(repeating: pp &+ 3), where: k); m.replace(with: a3, where: k)
                k = a4 .> m; idx.replace(with: SIMD8(repeating: pp &+ 4), where: k); m.replace(with: a4, where: k)
                k = a5 .> m; idx.replace(with: SIMD8(repeating: pp &+ 5), where: k); m.replace(with: a5, where: k)
                k = a6 .> m; idx.replace(with: SIMD8(repeating: pp &+ 6), where: k); m.replace(with: a6, where: k)
                k = a7 .> m; idx.replace(with: SIMD8(repeating: pp &+ 7), where: k); m.replace(with: a7, where: k)
            } else {
                // A tree of maxima: short dependency chains (all values are finite sums).
                let x0 = vmax(a0, a1), x1 = vmax(a2, a3), x2 = vmax(a4, a5), x3 = vmax(a6, a7)
                m = vmax(m, vmax(vmax(x0, x1), vmax(x2, x3)))
            }
            p &+= 8
            if p >= P { break }
        }
        UnsafeMutableRawPointer(maxima).storeBytes(of: m, as: SIMD8<Float>.self)
        if let argmax { UnsafeMutableRawPointer(argmax).storeBytes(of: idx, as: SIMD8<Int32>.self) }
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
    /// With `gradPairTable` (channel-major dinucleotide form `[paddedChannels][width/2][16]`, row
    /// `a + 4b` for base a at offset 2j and b at 2j+1: the 4 bits of the two bases packed as
    /// `packBases` does, so the batch kernel reads them from a window of packed bases), plain
    /// sequences accumulate into it instead — half the scattered adds; fold it with
    /// `foldPairGradient`.
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
                    var row = gpt + c &* pairs &* 16
                    for j in 0..<pairs {
                        row[Int(s[2 &* j]) &+ Int(s[2 &* j &+ 1]) &* 4] += gc
                        row += 16
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

    /// Bytes of scratch `accumulateGradientBatch` needs for `count` sequences of `length`.
    public static func gradientScratchCount(length: Int, count: Int) -> Int { count * gradientScratchStride(length: length) }

    /// Bytes per sequence of `accumulateGradientBatch`'s scratch: its pair codes (one a
    /// position), or its packed bases with the 8 zero bytes after them; the last byte flags a
    /// plain sequence. (With packed bases the rows are packed closer, `packedRowBytes(length: L,
    /// extra: 1)` apart.)
    @inlinable static func gradientScratchStride(length L: Int) -> Int { max(L, packedRowBytes(length: L, extra: 1)) }

    /// Bytes of a scratch row holding `packBases`' output for `L` bases (the packed bases and
    /// the 8 zero bytes after them) and `extra` bytes more, rounded up to a multiple of 8.
    @inlinable static func packedRowBytes(length L: Int, extra: Int) -> Int { (L / 4 + 9 + extra + 7) / 8 * 8 }

    /// Whether plain sequences' gradients are scattered from windows of packed bases (every
    /// filter's pairs within one 64-bit window of 29 bases).
    @inlinable var scattersFromWindows: Bool { width <= 28 }

    /// `accumulateGradient` for a batch laid out as `forwardBatch`'s (sequence r at
    /// `codes + rows[r] * length`, its arg-max at `argmax + r * paddedChannels`, its pooled-output
    /// gradient at `gradMax + r * channels`). Plain sequences go in blocks of 16 channels, all
    /// sequences per block, so the block's part of the channel-major dinucleotide gradient
    /// (768 bytes a channel at width 24) stays in L1 while its scattered adds land; every
    /// gradient entry still receives its terms in sequence order (the same sums as one sequence
    /// at a time). A filter's pair rows come from one 64-bit window of the sequence's packed
    /// bases (shift and mask), not from a load per pair: the scatter is bound by memory
    /// operations. `scratch`: `gradientScratchCount` bytes. Returns whether anything went into
    /// `gradTable` (sequences with N or zero columns; all of them without a dinucleotide form):
    /// when nothing did, a trainer need not clear or reduce it.
    @inlinable @discardableResult
    public func accumulateGradientBatch(codes: UnsafePointer<UInt8>, length L: Int, rows: UnsafeBufferPointer<Int>,
                                        argmax: UnsafePointer<Int32>, gradMax: UnsafePointer<Float>,
                                        gradTable: UnsafeMutablePointer<Float>, gradPairTable: UnsafeMutablePointer<Float>,
                                        gradBias: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<UInt8>) -> Bool {
        let Cp = paddedChannels, C = channels
        guard !pairTable.isEmpty else {
            for (r, seq) in rows.enumerated() {
                accumulateGradient(codes: codes + seq * L, argmax: argmax + r * Cp, gradMax: gradMax + r * C,
                                   gradTable: gradTable, gradBias: gradBias, length: L)
            }
            return !rows.isEmpty
        }
        // Bias, and sequences with N or zero columns (per-base form), one sequence at a time;
        // plain ones: packed bases (or pair codes a + 4b of every position) into the scratch.
        // With windows a row needs only the packed bases and the flag (40 bytes at L = 101, not
        // 101): fewer lines to sweep per block of channels while the block's gradient sits in L1.
        let windows = scattersFromWindows
        let S = windows ? OneHotConvolution.packedRowBytes(length: L, extra: 1) : OneHotConvolution.gradientScratchStride(length: L)
        var plainCount = 0, touched = false
        for (r, seq) in rows.enumerated() {
            let s = codes + seq * L
            let mine = scratch + r &* S
            if OneHotConvolution.isPlain(s, length: L) {
                if windows {
                    OneHotConvolution.packBases(s, length: L, into: mine)
                } else {
                    for q in 0..<(L - 1) { mine[q] = s[q] | s[q + 1] &<< 2 }
                }
                mine[S - 1] = 1
                plainCount += 1
                OneHotConvolution.addRow(gradMax + r &* C, into: gradBias, count: C)
            } else {
                mine[S - 1] = 0
                accumulateGradient(codes: s, argmax: argmax + r * Cp, gradMax: gradMax + r * C,
                                   gradTable: gradTable, gradBias: gradBias, length: L)
                touched = true
            }
        }
        if plainCount == 0 { return touched }
        let pairs = width / 2
        // Blocks of 16 channels (12 KiB of gradient at width 24): within a block, sequence by
        // sequence, so each sequence's pooled gradients, arg-max and bases are read from
        // contiguous memory once per block (channel by channel over the whole batch, each read was
        // a different cache line). Each entry still receives its terms in sequence order.
        var c0 = 0
        while c0 < C {
            let c1 = min(C, c0 &+ 16)
            for r in 0..<rows.count where scratch[r &* S &+ S &- 1] != 0 {
                let mine = scratch + r &* S, gm = gradMax + r &* C, am = argmax + r &* Cp
                for c in c0..<c1 {
                    let gc = gm[c]
                    if gc == 0 { continue }
                    let row = gradPairTable + c &* pairs &* 16
                    if windows {
                        let w = OneHotConvolution.baseWindow(UnsafeRawPointer(mine), at: Int(am[c]))
                        @inline(__always) func scatter(_ n: Int) {
                            for j in 0..<n {
                                row[16 &* j &+ Int(truncatingIfNeeded: (w &>> UInt64(truncatingIfNeeded: 4 &* j)) & 15)] += gc
                            }
                        }
                        // Width 24 with a constant count, so the loop is unrolled. Each add's address
                        // comes from the window by shift and mask, known early, so the next add's read
                        // need not wait for this one's write (reading all twelve before any write, as
                        // the byte-code version did, spilled registers and was slower, measured).
                        if pairs == 12 { scatter(12) } else { scatter(pairs) }
                    } else {
                        let pc = mine + Int(am[c])
                        for j in 0..<pairs { row[16 &* j &+ Int(pc[2 &* j])] += gc }
                    }
                }
            }
            c0 = c1
        }
        return touched
    }

    /// `dst[i] += src[i]` for i in 0..<count, eight lanes at a time (each lane's sum as the
    /// scalar loop's; the compiler kept the scalar loop because the buffers might overlap).
    @inlinable @inline(__always)
    static func addRow(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        var c = 0
        while c &+ 8 <= count {
            let v = d.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self) + s.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self)
            d.storeBytes(of: v, toByteOffset: c &* 4, as: SIMD8<Float>.self)
            c &+= 8
        }
        while c < count { dst[c] += src[c]; c &+= 1 }
    }

    /// Adds a dinucleotide-form gradient (channel-major, `[paddedChannels][width/2][16]`) into the
    /// per-base table form: a pair row (a, b) of pair j feeds base a at offset 2j and base b at
    /// offset 2j+1.
    public func foldPairGradient(_ gradPairTable: UnsafePointer<Float>, into gradTable: UnsafeMutablePointer<Float>) {
        let Cp = paddedChannels, R = codeRows
        let pairs = width / 2
        for c in 0..<channels {
            for j in 0..<pairs {
                let src = gradPairTable + (c * pairs + j) * 16
                let first = gradTable + 2 * j * R * Cp + c
                let second = gradTable + (2 * j + 1) * R * Cp + c
                for a in 0..<4 {
                    for b in 0..<4 {
                        first[a * Cp] += src[a + 4 * b]
                        second[b * Cp] += src[a + 4 * b]
                    }
                }
            }
        }
    }

    /// `foldPairGradient` then `weightGradient` in one pass over each channel, with the same sums
    /// in the same order (bit-identical), without writing the folded table: each folded entry is
    /// accumulated in a register instead of through a chain of stores and reloads.
    /// `channels`: only these output channels (all when nil), so that threads can share the work.
    /// `tableIsZero`: `gradTable` holds only zeros (it is not read; the sums are the same).
    public func weightGradient(fromTable gradTable: UnsafePointer<Float>, pairGradient gradPairTable: UnsafePointer<Float>,
                               into out: UnsafeMutablePointer<Float>, channels range: Range<Int>? = nil,
                               tableIsZero: Bool = false) {
        guard !pairTable.isEmpty else { return weightGradient(fromTable: gradTable, into: out, channels: range) }
        let Cp = paddedChannels, K = width, R = codeRows, I = inputChannels
        let pairs = K / 2, rowStride = R * Cp
        for c in range ?? 0..<channels {
            var src = gradPairTable + c * pairs * 16
            var first = gradTable + c            // offset 2j's rows, then offset 2j+1's
            let o = out + c * I * K
            for j in 0..<pairs {
                let second = first + rowStride
                let n0: Float = tableIsZero ? 0 : 0.25 * first[I * Cp], n1: Float = tableIsZero ? 0 : 0.25 * second[I * Cp]
                for a in 0..<4 {
                    var v: Float = tableIsZero ? 0 : first[a * Cp]
                    v += src[a]; v += src[a + 4]; v += src[a + 8]; v += src[a + 12]
                    o[a * K + 2 * j] = v + n0
                }
                for b in 0..<4 {
                    var v: Float = tableIsZero ? 0 : second[b * Cp]
                    v += src[4 * b]; v += src[4 * b + 1]; v += src[4 * b + 2]; v += src[4 * b + 3]
                    o[b * K + 2 * j + 1] = v + n1
                }
                src += 16
                first += 2 * rowStride
            }
        }
    }

    /// Folds a table-shaped gradient into PyTorch layout `[C, inputChannels, 1, K]`: the 0.25
    /// row spreads a quarter to every input channel; the zero row contributes nothing.
    public func weightGradient(fromTable gradTable: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                               channels range: Range<Int>? = nil) {
        let Cp = paddedChannels, K = width, R = codeRows, I = inputChannels
        for c in range ?? 0..<channels {
            for i in 0..<I {
                for k in 0..<K {
                    out[(c * I + i) * K + k] = gradTable[(k * R + i) * Cp + c] + 0.25 * gradTable[(k * R + I) * Cp + c]
                }
            }
        }
    }

    /// Size of the dinucleotide gradient buffer (0 when there is no pair table).
    public var pairTableCount: Int { pairTable.count }

    public var tableCount: Int { width * codeRows * paddedChannels }
}

/// A fixed-size, zero-initialised Float buffer aligned to 64 bytes (a cache line).
public final class AlignedFloats: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public var isEmpty: Bool { count == 0 }

    deinit { pointer.deallocate() }
}

/// Positions per pass of a pair kernel, as a type (the accumulators' tuple shape).
@usableFromInline protocol TriplePassWidth { static var positions: Int { get } }
@usableFromInline enum Four: TriplePassWidth { @usableFromInline static var positions: Int { 4 } }
@usableFromInline enum Six: TriplePassWidth { @usableFromInline static var positions: Int { 6 } }

/// The running sums of one pass of a pair kernel: `a.i` for the first group's channels at
/// position p + i, `c.i` for the second group's (six slots; a four-position pass uses the first
/// four, and the optimiser drops the rest). Held in registers.
@usableFromInline
struct TriplePairSums<Width: TriplePassWidth> {
    @usableFromInline typealias V = SIMD8<Float>
    @usableFromInline var a: (V, V, V, V, V, V)
    @usableFromInline var c: (V, V, V, V, V, V)

    /// Sums to be set by term 0 (`set`); the zeros are never read.
    @inlinable @inline(__always)
    init() {
        let z = V(repeating: 0)
        a = (z, z, z, z, z, z)
        c = (z, z, z, z, z, z)
    }

    /// Sets the sums to term 0's rows (which hold the bias): `row` is term 0's part of the
    /// pair's table, `w` the packed bases from this pass's first position.
    @inlinable @inline(__always)
    mutating func set(row: UnsafeRawPointer, _ w: UInt64) {
        let r0 = row + OneHotConvolution.tripleRow(w, 0), r1 = row + OneHotConvolution.tripleRow(w, 1)
        let r2 = row + OneHotConvolution.tripleRow(w, 2), r3 = row + OneHotConvolution.tripleRow(w, 3)
        a.0 = r0.loadUnaligned(as: V.self); c.0 = r0.loadUnaligned(fromByteOffset: 32, as: V.self)
        a.1 = r1.loadUnaligned(as: V.self); c.1 = r1.loadUnaligned(fromByteOffset: 32, as: V.self)
        a.2 = r2.loadUnaligned(as: V.self); c.2 = r2.loadUnaligned(fromByteOffset: 32, as: V.self)
        a.3 = r3.loadUnaligned(as: V.self); c.3 = r3.loadUnaligned(fromByteOffset: 32, as: V.self)
        if Width.positions == 6 {
            let r4 = row + OneHotConvolution.tripleRow(w, 4), r5 = row + OneHotConvolution.tripleRow(w, 5)
            a.4 = r4.loadUnaligned(as: V.self); c.4 = r4.loadUnaligned(fromByteOffset: 32, as: V.self)
            a.5 = r5.loadUnaligned(as: V.self); c.5 = r5.loadUnaligned(fromByteOffset: 32, as: V.self)
        }
    }

    /// Adds one term: `row` is the term's part of the pair's table, `w` the packed bases from
    /// this pass's first position for this term (see `OneHotConvolution.baseWindow`).
    @inlinable @inline(__always)
    mutating func add(row: UnsafeRawPointer, _ w: UInt64) {
        let r0 = row + OneHotConvolution.tripleRow(w, 0), r1 = row + OneHotConvolution.tripleRow(w, 1)
        let r2 = row + OneHotConvolution.tripleRow(w, 2), r3 = row + OneHotConvolution.tripleRow(w, 3)
        a.0 += r0.loadUnaligned(as: V.self); c.0 += r0.loadUnaligned(fromByteOffset: 32, as: V.self)
        a.1 += r1.loadUnaligned(as: V.self); c.1 += r1.loadUnaligned(fromByteOffset: 32, as: V.self)
        a.2 += r2.loadUnaligned(as: V.self); c.2 += r2.loadUnaligned(fromByteOffset: 32, as: V.self)
        a.3 += r3.loadUnaligned(as: V.self); c.3 += r3.loadUnaligned(fromByteOffset: 32, as: V.self)
        if Width.positions == 6 {
            let r4 = row + OneHotConvolution.tripleRow(w, 4), r5 = row + OneHotConvolution.tripleRow(w, 5)
            a.4 += r4.loadUnaligned(as: V.self); c.4 += r4.loadUnaligned(fromByteOffset: 32, as: V.self)
            a.5 += r5.loadUnaligned(as: V.self); c.5 += r5.loadUnaligned(fromByteOffset: 32, as: V.self)
        }
    }

    /// All `terms` terms in order for the pass starting at position `p`. Width 24 (8 terms, the
    /// method's filters) is written out: each term's table part is a constant displacement and
    /// every row offset comes from one 64-bit window of packed bases by shift and mask (no
    /// loads besides the table's: the kernel is bound by loads). Other widths load a window
    /// per term.
    @inlinable @inline(__always)
    mutating func addTerms(table t: UnsafeRawPointer, packed: UnsafeRawPointer, at p: Int, terms: Int) {
        let term: Int = 64 &* 64
        if terms == 8 {
            // Bases p ... p+28 are in one window; term j starts 3j bases (6j bits) further.
            let w = OneHotConvolution.baseWindow(packed, at: p)
            set(row: t, w)
            add(row: t + term, w &>> 6)
            add(row: t + 2 &* term, w &>> 12)
            add(row: t + 3 &* term, w &>> 18)
            add(row: t + 4 &* term, w &>> 24)
            add(row: t + 5 &* term, w &>> 30)
            add(row: t + 6 &* term, w &>> 36)
            add(row: t + 7 &* term, w &>> 42)
        } else {
            set(row: t, OneHotConvolution.baseWindow(packed, at: p))
            var row = t + term
            for j in 1..<terms {
                add(row: row, OneHotConvolution.baseWindow(packed, at: p &+ 3 &* j))
                row += term
            }
        }
    }
}
