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
        var out = [UInt8]()
        out.reserveCapacity(peaks.count * 40)
        for p in peaks {
            let acts = p.activity.isEmpty ? "." : p.activity.members.map(String.init).joined(separator: ",")
            out.append(contentsOf: "\(chromNames[p.chrom])\t\(p.start)\t\(p.end)\t.\t1\t\(p.strand.symbol)\t\(acts)\n".utf8)
        }
        return out
    }

    /// The activity table for `cellTypes` label columns.
    public static func tableText(_ peaks: [MergedPeak], chromNames: [String], cellTypes: [String]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(peaks.count * (30 + 2 * cellTypes.count))
        out.append(contentsOf: ("\t" + cellTypes.joined(separator: "\t") + "\n").utf8)
        for p in peaks {
            out.append(contentsOf: header(chrom: chromNames[p.chrom], start: p.start, end: p.end, strand: p.strand).utf8)
            for c in 0..<cellTypes.count {
                out.append(UInt8(ascii: "\t"))
                out.append(p.activity.contains(c) ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
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
