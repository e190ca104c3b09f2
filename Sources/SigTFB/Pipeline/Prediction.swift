import Foundation
import Genomics
import NeuralNet
import Storage

/// Predictions of a stage-1 model on new sequences: FASTA records, BED regions of a genome, or
/// the two alleles of VCF variants.
public enum Prediction {
    /// How windows of a sequence longer than the model's input are combined.
    public enum Aggregate: String, CaseIterable, Sendable { case max, mean, center }

    public struct Options: Sendable {
        public var stride = 1
        public var aggregate: Aggregate = .max
        /// Pad sequences shorter than the model's input with N on both sides (else an error).
        public var pad = false
        public var threads = Parallel.availableCores
        public init() {}
    }

    /// A named sequence as letters.
    public struct NamedSequence: Sendable {
        public var name: String
        public var letters: [UInt8]
        public init(name: String, letters: [UInt8]) { self.name = name; self.letters = letters }
    }

    /// Probabilities `[sequences × cellTypes]`, each sequence scanned with windows of the model's
    /// input length and the windows combined by `options.aggregate`.
    public static func probabilities(model: Stage1Model, sequences: [NamedSequence], options: Options) throws -> [[Float]] {
        let (windows, owners) = try makeWindows(sequences, length: model.architecture.sequenceLength, options: options)
        let N = model.architecture.cellTypes
        let probs = model.probabilities(windows, threads: options.threads)
        return aggregate(probs, columns: N, owners: owners, options.aggregate)
    }

    /// Stage-2 probabilities of binding per sequence: one column per cell type (the model told
    /// that cell type, one-hot) and a last column with the model not told (all-zero code).
    public static func probabilities(model: Stage2Model, sequences: [NamedSequence], options: Options) throws -> [[Float]] {
        let (windows, owners) = try makeWindows(sequences, length: model.stage1.architecture.sequenceLength, options: options)
        let N = model.architecture.cellTypes
        let n = windows.count
        let features = model.features(windows, threads: options.threads)
        var columns: [[Float]] = []
        for c in 0...N {
            var codes = [Float](repeating: 0, count: n * N)
            if c < N { for r in 0..<n { codes[r * N + c] = 1 } }
            columns.append(model.probabilities(features: features, codes: codes))
        }
        var interleaved = [Float](repeating: 0, count: n * (N + 1))
        for r in 0..<n { for c in 0...N { interleaved[r * (N + 1) + c] = columns[c][r] } }
        return aggregate(interleaved, columns: N + 1, owners: owners, options.aggregate)
    }

    /// Cuts every sequence into windows of `L` (or pads it), returning the windows and, per
    /// sequence, the range of its windows.
    static func makeWindows(_ sequences: [NamedSequence], length L: Int, options: Options) throws -> (EncodedSequences, [Range<Int>]) {
        var windows = EncodedSequences(length: L)
        var owners: [Range<Int>] = []
        for s in sequences {
            var codes = [UInt8]()
            codes.reserveCapacity(s.letters.count)
            for (i, b) in s.letters.enumerated() {
                guard let c = BaseCode.code(ascii: b) else {
                    throw PredictionError("\(s.name): position \(i + 1) holds '\(Character(UnicodeScalar(b)))', not one of ACGTN")
                }
                codes.append(c)
            }
            if codes.count < L {
                guard options.pad else {
                    throw PredictionError("\(s.name): \(codes.count) bp is shorter than the model's input of \(L) bp (use --pad to pad with N)")
                }
                let left = (L - codes.count) / 2
                codes = [UInt8](repeating: BaseCode.n, count: left) + codes + [UInt8](repeating: BaseCode.n, count: L - codes.count - left)
            }
            let start = windows.count
            if options.aggregate == .center {
                let off = (codes.count - L) / 2
                windows.append(codes: codes[off..<(off + L)])
            } else {
                var p = 0
                while p + L <= codes.count {
                    windows.append(codes: codes[p..<(p + L)])
                    p += max(1, options.stride)
                }
                if (codes.count - L) % max(1, options.stride) != 0 {  // always cover the 3' end
                    windows.append(codes: codes[(codes.count - L)...])
                }
            }
            owners.append(start..<windows.count)
        }
        return (windows, owners)
    }

    static func aggregate(_ probs: [Float], columns N: Int, owners: [Range<Int>], _ how: Aggregate) -> [[Float]] {
        owners.map { range in
            (0..<N).map { c in
                let values = range.map { probs[$0 * N + c] }
                switch how {
                case .max: return values.max() ?? 0
                case .mean: return values.reduce(0, +) / Float(max(values.count, 1))
                case .center: return values[0]
                }
            }
        }
    }

    /// All records of a FASTA file (plain or gzip); the name is the header up to the first space.
    public static func readFasta(path: String) throws -> [NamedSequence] {
        let bytes = try ByteSource.readAll(path: path)
        var out: [NamedSequence] = []
        var name: String?
        var seq: [UInt8] = []
        var lineNo = 0
        var seen: [String: Int] = [:]
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            var l = line
            if l.last == 0x0D { l = l.dropLast() }
            if l.isEmpty { continue }
            if l.first == UInt8(ascii: ">") {
                if let name { out.append(NamedSequence(name: name, letters: seq)) }
                let header = String(decoding: l.dropFirst(), as: UTF8.self)
                name = String(header.split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
                if name!.isEmpty { throw PredictionError("\(path): line \(lineNo): a FASTA header without a name") }
                // Names label the output rows: they must tell the sequences apart.
                if let first = seen[name!] {
                    throw PredictionError("\(path): line \(lineNo): sequence name '\(name!)' was already used at line \(first); give each sequence its own name")
                }
                seen[name!] = lineNo
                seq = []
            } else {
                guard name != nil else {
                    throw PredictionError("\(path): line \(lineNo): sequence before the first '>' header (is this a FASTA file?)")
                }
                seq.append(contentsOf: l)
            }
        }
        if let name { out.append(NamedSequence(name: name, letters: seq)) }
        if out.isEmpty { throw PredictionError("\(path): no FASTA records") }
        return out
    }

    /// BED regions (strand-aware) of a genome, named `chr:start-end(strand)` as Basset's headers.
    public static func readRegions(bed: String, genome: Genome) throws -> [NamedSequence] {
        var names = ChromosomeNames()
        let peaks = try PeakFileParser.parse(path: bed, names: &names)
        if peaks.isEmpty { throw PredictionError("\(bed): no regions") }
        var regions: [GenomeRegion] = []
        for p in peaks {
            let chrom = names[p.chrom]
            guard let idx = genome.index(of: chrom) else {
                throw PredictionError("\(bed): line \(p.line): chromosome \(chrom) is not in \(genome.path)")
            }
            regions.append(GenomeRegion(chrom: idx, start: p.start, end: p.end, strand: p.strand))
        }
        let letters = try genome.letters(of: regions)
        var out: [NamedSequence] = []
        var at = 0
        for (p, r) in zip(peaks, regions) {
            out.append(NamedSequence(name: "\(names[p.chrom]):\(p.start)-\(p.end)(\(r.strand.symbol))",
                                     letters: Array(letters[at..<(at + r.length)])))
            at += r.length
        }
        return out
    }

    /// One single-nucleotide variant.
    public struct Variant: Sendable {
        public var chrom: String
        public var position: Int  // 1-based, as in VCF
        public var id: String
        public var ref: UInt8
        public var alt: UInt8
        public var line: Int
    }

    /// SNVs of a VCF (plain or gzip); other variants are counted and skipped.
    public static func readVCF(path: String) throws -> (variants: [Variant], skipped: Int) {
        let bytes = try ByteSource.readAll(path: path)
        var variants: [Variant] = []
        var skipped = 0
        for (i, lineSub) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            if lineSub.isEmpty || lineSub.first == UInt8(ascii: "#") { continue }
            let f = lineSub.split(separator: 0x09, omittingEmptySubsequences: false)
            guard f.count >= 5, let pos = Int(String(decoding: f[1], as: UTF8.self)), pos >= 1 else {
                throw PredictionError("\(path): line \(i + 1): expected CHROM POS ID REF ALT … (tab-separated) with a positive POS")
            }
            let ref = Array(f[3]), alts = f[4].split(separator: UInt8(ascii: ","))
            for alt in alts {
                if ref.count == 1 && alt.count == 1, BaseCode.code(ascii: ref[0]) != nil, BaseCode.code(ascii: alt[alt.startIndex]) != nil {
                    variants.append(Variant(chrom: String(decoding: f[0], as: UTF8.self), position: pos,
                                            id: String(decoding: f[2], as: UTF8.self), ref: ref[0] & 0xDF,
                                            alt: alt[alt.startIndex] & 0xDF, line: i + 1))
                } else {
                    skipped += 1
                }
            }
        }
        return (variants, skipped)
    }

    /// Windows of the model's length centred on each variant, with the reference and the
    /// alternative allele; checks REF against the genome.
    public static func alleleWindows(_ variants: [Variant], genome: Genome, length L: Int, vcfPath: String) throws
        -> (ref: [NamedSequence], alt: [NamedSequence]) {
        var regions: [GenomeRegion] = []
        for v in variants {
            guard let idx = genome.index(of: v.chrom) else {
                throw PredictionError("\(vcfPath): line \(v.line): chromosome \(v.chrom) is not in \(genome.path)")
            }
            let start = v.position - 1 - L / 2
            // (start + L would overflow for a POS near Int.max.)
            guard start >= 0, start <= genome.lengths[idx] - L else {
                throw PredictionError("\(vcfPath): line \(v.line): the \(L)-bp window around \(v.chrom):\(v.position) runs off the chromosome")
            }
            regions.append(GenomeRegion(chrom: idx, start: start, end: start + L, strand: .plus))
        }
        let letters = try genome.letters(of: regions)
        var refs: [NamedSequence] = [], alts: [NamedSequence] = []
        for (k, v) in variants.enumerated() {
            var w = Array(letters[(k * L)..<((k + 1) * L)])
            let centre = L / 2
            guard w[centre] & 0xDF == v.ref else {
                throw PredictionError("\(vcfPath): line \(v.line): REF \(Character(UnicodeScalar(v.ref))) does not match the genome's \(Character(UnicodeScalar(w[centre]))) at \(v.chrom):\(v.position)")
            }
            let name = "\(v.chrom):\(v.position):\(Character(UnicodeScalar(v.ref)))>\(Character(UnicodeScalar(v.alt)))" + (v.id == "." ? "" : ":\(v.id)")
            refs.append(NamedSequence(name: name, letters: w))
            w[centre] = v.alt
            alts.append(NamedSequence(name: name, letters: w))
        }
        return (refs, alts)
    }
}

public struct PredictionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ m: String) { description = m }
}
