// Sobol low-discrepancy sequence with Joe–Kuo direction numbers, optionally scrambled with a
// random linear matrix scramble plus a random digital shift (both drawn from an explicit seed).

/// A Sobol sequence in `dimension` dimensions (at most `SobolSequence.maxDimension`).
/// Points are addressed by index (Gray-code construction), so a generator can resume anywhere.
public struct SobolSequence {
    public static let maxDimension = JoeKuoTable.dimensions
    static let bits = 32
    public let dimension: Int
    /// directions[d][k]: k-th direction integer of dimension d, left-aligned in 32 bits.
    private var directions: [[UInt32]]
    private var shift: [UInt32]

    /// - Parameters:
    ///   - dimension: number of coordinates, 1...maxDimension.
    ///   - scrambleSeed: nil for the plain (unscrambled) sequence, otherwise the seed of the scramble.
    public init(dimension: Int, scrambleSeed: UInt64? = nil) throws {
        guard dimension >= 1 && dimension <= SobolSequence.maxDimension else {
            throw TuningError.invalidSpace("Sobol dimension \(dimension) is outside 1...\(SobolSequence.maxDimension)")
        }
        self.dimension = dimension
        let B = SobolSequence.bits
        var dirs = [[UInt32]]()
        for d in 0..<dimension {
            var v = [UInt32](repeating: 0, count: B)
            let row = JoeKuoTable.rows[d]
            let poly = row[0]
            if d == 0 {
                for k in 0..<B { v[k] = 1 << UInt32(B - 1 - k) }
            } else {
                let s = Int(32 - poly.leadingZeroBitCount) - 1  // degree
                let a = (poly >> 1) & ((1 << UInt32(s - 1)) - 1)  // inner coefficients a_1..a_{s-1}
                for k in 0..<min(s, B) { v[k] = row[1 + k] << UInt32(B - 1 - k) }
                if s < B {
                    for k in s..<B {
                        var x = v[k - s] ^ (v[k - s] >> UInt32(s))
                        for j in 1..<s where (a >> UInt32(s - 1 - j)) & 1 == 1 { x ^= v[k - j] }
                        v[k] = x
                    }
                }
            }
            dirs.append(v)
        }
        shift = [UInt32](repeating: 0, count: dimension)
        if let seed = scrambleSeed {
            var rng = Xoshiro256(seed: seed, stream: 0x50B0)
            for d in 0..<dimension {
                // Lower-triangular random binary matrix with unit diagonal (bit 0 = most significant).
                var rows = [UInt32](repeating: 0, count: B)
                for i in 0..<B {
                    var r: UInt32 = 1 << UInt32(B - 1 - i)
                    for j in 0..<i where rng.next() & 1 == 1 { r |= 1 << UInt32(B - 1 - j) }
                    rows[i] = r
                }
                for k in 0..<B {
                    let v = dirs[d][k]
                    var out: UInt32 = 0
                    for i in 0..<B where (rows[i] & v).nonzeroBitCount & 1 == 1 { out |= 1 << UInt32(B - 1 - i) }
                    dirs[d][k] = out
                }
                shift[d] = UInt32(truncatingIfNeeded: rng.next())
            }
        }
        directions = dirs
    }

    /// The point with the given index (0-based), coordinates in [0, 1).
    public func point(_ index: Int) -> [Double] {
        precondition(index >= 0)
        let g = UInt64(index) ^ (UInt64(index) >> 1)
        var out = [Double](repeating: 0, count: dimension)
        for d in 0..<dimension {
            var x = shift[d]
            var bitsLeft = g
            var k = 0
            while bitsLeft != 0 && k < SobolSequence.bits {
                if bitsLeft & 1 == 1 { x ^= directions[d][k] }
                bitsLeft >>= 1; k += 1
            }
            out[d] = Double(x) * 0x1.0p-32
        }
        return out
    }

    /// Points index..<index+count.
    public func points(from index: Int, count: Int) -> [[Double]] {
        (index..<(index + count)).map { point($0) }
    }
}
