/// One byte per base: the compact form every sequence takes in memory.
///
/// Codes 0...3 are A, C, G, T (the order of Basset's one-hot channels). Code 4 is an N as Basset
/// stores it (0.25 in each channel); code 5 is an all-zero column (an N written with
/// `--n-encoding zeros`, or padding). Kernels treat each code as a row of a lookup table, so the
/// one-hot floats never exist.
public enum BaseCode {
    public static let a: UInt8 = 0
    public static let c: UInt8 = 1
    public static let g: UInt8 = 2
    public static let t: UInt8 = 3
    /// Unknown base, 0.25 in each channel (Basset's N).
    public static let n: UInt8 = 4
    /// All-zero column.
    public static let zero: UInt8 = 5
    /// Number of distinct codes.
    public static let count = 6

    /// The code of an ASCII nucleotide letter (upper or lower case); `nil` for anything else.
    @inlinable
    public static func code(ascii byte: UInt8) -> UInt8? {
        switch byte {
        case 65, 97: return a   // A a
        case 67, 99: return c   // C c
        case 71, 103: return g  // G g
        case 84, 116: return t  // T t
        case 78, 110: return n  // N n
        default: return nil
        }
    }

    /// The letter of a code; the all-zero column prints as N too.
    @inlinable
    public static func letter(_ code: UInt8) -> Character {
        switch code {
        case a: return "A"
        case c: return "C"
        case g: return "G"
        case t: return "T"
        default: return "N"
        }
    }

    /// Code of the complementary base (N stays N).
    @inlinable
    public static func complement(_ code: UInt8) -> UInt8 { code < 4 ? 3 - code : code }
}

/// A set of equal-length sequences stored as base codes, row after row.
public struct EncodedSequences: Sendable, Equatable {
    /// Length of every sequence.
    public let length: Int
    /// `count × length` codes, sequence-major.
    public private(set) var codes: [UInt8]

    public init(length: Int, codes: [UInt8] = []) {
        precondition(length > 0, "sequence length must be positive")
        precondition(codes.count % length == 0, "codes must hold whole sequences")
        self.length = length
        self.codes = codes
    }

    /// Number of sequences.
    @inlinable public var count: Int { codes.count / length }

    /// Codes of sequence `i`.
    @inlinable public subscript(i: Int) -> ArraySlice<UInt8> {
        codes[(i * length)..<((i + 1) * length)]
    }

    /// Appends one sequence given as codes.
    public mutating func append<C: Collection>(codes seq: C) where C.Element == UInt8 {
        precondition(seq.count == length, "sequence has length \(seq.count), expected \(length)")
        codes.append(contentsOf: seq)
    }

    public mutating func reserveCapacity(_ n: Int) { codes.reserveCapacity(n * length) }

    /// Sequences at the given indices, in that order.
    public func subset<S: Sequence>(_ indices: S) -> EncodedSequences where S.Element == Int {
        var out = [UInt8]()
        for i in indices { out.append(contentsOf: self[i]) }
        return EncodedSequences(length: length, codes: out)
    }

    /// The sequence as letters (N for codes 4 and 5).
    public func string(_ i: Int) -> String {
        String(self[i].map { BaseCode.letter($0) })
    }

    /// How many positions hold an N (code 4 or 5).
    public var unknownBaseCount: Int { codes.reduce(0) { $0 + ($1 >= 4 ? 1 : 0) } }
}
