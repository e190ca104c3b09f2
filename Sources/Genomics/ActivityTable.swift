/// Basset's text outputs for merged peaks: the merged BED (`chrom start end . 1 strand acts`) and
/// the activity table (a header of cell types, then one 0/1 row per feature, named
/// `chrom:start-end(strand)`), byte for byte as `preprocess_features.py` writes them.
public enum ActivityTable {
    /// `chrom:start-end(strand)`, the feature name used in the activity table, the FASTA headers of
    /// `bedtools getfasta -s` and the HDF5 `test_headers`.
    public static func header(chrom: String, start: Int, end: Int, strand: Strand) -> String {
        "\(chrom):\(start)-\(end)(\(strand.symbol))"
    }

    /// The merged BED; `chromNames[peak.chrom]` names each chromosome.
    public static func bedText(_ peaks: [MergedPeak], chromNames: [String]) -> [UInt8] {
        let names = chromNames.map { Array($0.utf8) }
        var out = [UInt8]()
        out.reserveCapacity(peaks.count * 40)
        for p in peaks {
            out.append(contentsOf: names[p.chrom])
            out.append(0x09); appendDecimal(p.start, to: &out)
            out.append(0x09); appendDecimal(p.end, to: &out)
            out.append(contentsOf: [0x09, UInt8(ascii: "."), 0x09, UInt8(ascii: "1"), 0x09, p.strand.rawValue, 0x09])
            let members = p.activity.members
            if members.isEmpty {
                out.append(UInt8(ascii: "."))
            } else {
                for (k, m) in members.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    appendDecimal(m, to: &out)
                }
            }
            out.append(0x0A)
        }
        return out
    }

    /// The activity table for `cellTypes` label columns.
    public static func tableText(_ peaks: [MergedPeak], chromNames: [String], cellTypes: [String]) -> [UInt8] {
        let names = chromNames.map { Array($0.utf8) }
        var out = [UInt8]()
        out.reserveCapacity(peaks.count * (30 + 2 * cellTypes.count))
        out.append(contentsOf: ("\t" + cellTypes.joined(separator: "\t") + "\n").utf8)
        for p in peaks {
            appendHeader(names[p.chrom], p.start, p.end, p.strand, to: &out)
            for c in 0..<cellTypes.count {
                out.append(UInt8(ascii: "\t"))
                out.append(p.activity.contains(c) ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Appends `chrom:start-end(strand)`.
    @inlinable
    public static func appendHeader(_ chrom: [UInt8], _ start: Int, _ end: Int, _ strand: Strand, to out: inout [UInt8]) {
        out.append(contentsOf: chrom)
        out.append(UInt8(ascii: ":")); appendDecimal(start, to: &out)
        out.append(UInt8(ascii: "-")); appendDecimal(end, to: &out)
        out.append(UInt8(ascii: "(")); out.append(strand.rawValue); out.append(UInt8(ascii: ")"))
    }

    /// Appends the decimal digits of `value`.
    @inlinable
    public static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")); appendDecimal(-value, to: &out); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value, n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(48 + v % 10); v /= 10; n += 1 } while v > 0
            while n > 0 { n -= 1; out.append(d[n]) }
        }
    }

    /// The 0/1 label rows (`peaks.count × cellTypes`), row-major.
    public static func labels(_ peaks: [MergedPeak], cellTypes: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: peaks.count * cellTypes)
        for (i, p) in peaks.enumerated() {
            for c in p.activity.members where c < cellTypes { out[i * cellTypes + c] = 1 }
        }
        return out
    }
}

/// One-byte-per-base encoding of extracted letters, Basset's way: A, C, G, T (either case) to
/// codes 0–3, N to 0.25 in each channel (code 4) or to an all-zero column (code 5).
public enum SequenceEncoder {
    public enum NEncoding: String, Sendable, CaseIterable {
        /// 0.25 in each channel (Basset).
        case quarter
        /// All-zero column.
        case zeros
    }

    /// Per-sequence N counts and the codes.
    public struct Result: Sendable {
        public var codes: [UInt8]
        /// Number of N bases in each sequence.
        public var nCounts: [Int]
    }

    /// Encodes `letters` (sequences of `length` letters, one after another). The first letter that
    /// is not A, C, G, T or N throws, naming its position via `describe(sequenceIndex, offset)`.
    public static func encode(_ letters: [UInt8], length: Int, nEncoding: NEncoding = .quarter,
                              describe: (Int, Int) -> String) throws -> Result {
        precondition(length > 0 && letters.count % length == 0)
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (ch, code) in [("A", BaseCode.a), ("C", BaseCode.c), ("G", BaseCode.g), ("T", BaseCode.t)] {
            let u = UInt8(ascii: Unicode.Scalar(ch)!)
            table[Int(u)] = code
            table[Int(u | 0x20)] = code
        }
        let nCode = nEncoding == .quarter ? BaseCode.n : BaseCode.zero
        table[Int(UInt8(ascii: "N"))] = nCode
        table[Int(UInt8(ascii: "n"))] = nCode
        let count = letters.count / length
        var codes = [UInt8](repeating: 0, count: letters.count)
        var nCounts = [Int](repeating: 0, count: count)
        var bad = -1
        table.withUnsafeBufferPointer { t in
            letters.withUnsafeBufferPointer { src in
                codes.withUnsafeMutableBufferPointer { dst in
                    for s in 0..<count {
                        var invalid: UInt8 = 0
                        var ns = 0
                        let base = s * length
                        for k in base..<(base + length) {
                            let c = t[Int(src[k])]
                            dst[k] = c
                            invalid |= c & 0x80
                            ns &+= (c == nCode) ? 1 : 0
                        }
                        nCounts[s] = ns
                        if invalid != 0 { bad = s; return }
                    }
                }
            }
        }
        if bad >= 0 {
            let off = (0..<length).first { table[Int(letters[bad * length + $0])] == 0xFF }!
            let ch = letters[bad * length + off]
            let shown = ch >= 32 && ch < 127 ? "'\(Character(Unicode.Scalar(ch)))'" : "byte \(ch)"
            throw GenomicsError("\(describe(bad, off)): character \(shown) is not one of ACGTN")
        }
        return Result(codes: codes, nCounts: nCounts)
    }
}
