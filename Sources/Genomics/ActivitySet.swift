/// The set of cell types (label columns) a peak is active in: a bit set that needs no heap
/// allocation up to 64 cell types.
public struct ActivitySet: Equatable, Hashable, Sendable {
    private var low: UInt64 = 0
    private var high: [UInt64] = []

    public init() {}

    public init<S: Sequence>(_ cells: S) where S.Element == Int {
        for c in cells { insert(c) }
    }

    public mutating func insert(_ cell: Int) {
        precondition(cell >= 0)
        if cell < 64 { low |= 1 << UInt64(cell); return }
        let w = cell / 64 - 1
        if high.count <= w { high.append(contentsOf: repeatElement(0, count: w + 1 - high.count)) }
        high[w] |= 1 << UInt64(cell % 64)
    }

    public func contains(_ cell: Int) -> Bool {
        if cell < 64 { return low & (1 << UInt64(cell)) != 0 }
        let w = cell / 64 - 1
        return w < high.count && high[w] & (1 << UInt64(cell % 64)) != 0
    }

    public mutating func formUnion(_ other: ActivitySet) {
        low |= other.low
        if !other.high.isEmpty {
            if high.count < other.high.count {
                high.append(contentsOf: repeatElement(0, count: other.high.count - high.count))
            }
            for (i, w) in other.high.enumerated() { high[i] |= w }
        }
    }

    /// Number of cell types in the set.
    public var count: Int { low.nonzeroBitCount + high.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { count == 0 }

    /// Members in increasing order.
    public var members: [Int] {
        var out = [Int]()
        var w = low
        while w != 0 { out.append(w.trailingZeroBitCount); w &= w - 1 }
        for (i, word) in high.enumerated() {
            var w = word
            while w != 0 { out.append((i + 1) * 64 + w.trailingZeroBitCount); w &= w - 1 }
        }
        return out
    }

    public static func == (a: ActivitySet, b: ActivitySet) -> Bool { a.members == b.members }
    public func hash(into h: inout Hasher) { h.combine(members) }
}
