// Small seeded pseudo-random generators. Every random choice the tuner makes comes from one of
// these, seeded explicitly, so that a run is reproducible bit for bit.

/// SplitMix64 (Steele, Lea & Flood 2014): used to expand one 64-bit seed into independent streams.
public struct SplitMix64: RandomNumberGenerator {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64.
public struct Xoshiro256: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s = (sm.next(), sm.next(), sm.next(), sm.next())
    }
    /// A stream derived from a seed and any number of integer labels (trial index, purpose, …).
    public init(seed: UInt64, stream labels: UInt64...) {
        var s0 = SplitMix64(seed: seed)
        var h = s0.next()
        for l in labels { var sm = SplitMix64(seed: h ^ (l &* 0xD6E8_FEB8_6659_FD93)); h = sm.next() }
        self.init(seed: h)
    }
    /// One 64-bit value derived from a seed and labels (a seed for a sub-stream).
    public static func derive(seed: UInt64, stream labels: UInt64...) -> UInt64 {
        var h = seed
        for l in labels { var sm = SplitMix64(seed: h ^ (l &* 0xD6E8_FEB8_6659_FD93)); h = sm.next() }
        var sm = SplitMix64(seed: h)
        return sm.next()
    }
    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
    public mutating func next() -> UInt64 {
        let result = Xoshiro256.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = Xoshiro256.rotl(s.3, 45)
        return result
    }
    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Standard normal (Box–Muller; the second variate is discarded to keep the stream simple).
    public mutating func normal() -> Double {
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }
    /// Uniform integer in 0..<n.
    public mutating func int(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
