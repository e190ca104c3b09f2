import Foundation
import Genomics
import NeuralNet

/// In-silico mutagenesis of one sequence: the change of each cell type's predicted probability
/// when one base is substituted.
public struct ISMResult: Sendable {
    public var name: String
    /// The sequence's base codes (`BaseCode`).
    public var codes: [UInt8]
    public var cellTypes: [String]
    /// Predicted probability of each cell type for the unmutated sequence.
    public var reference: [Double]
    /// `[position][base A,C,G,T][cell type]` flattened: p(mutant) − p(reference); 0 where the base
    /// is the reference base.
    public var delta: [Double]

    public var length: Int { codes.count }

    @inlinable public func delta(position: Int, base: Int, cellType: Int) -> Double {
        delta[(position * 4 + base) * cellTypes.count + cellType]
    }

    /// `L × 4` matrix (position-major, A C G T) of Δp for one cell type.
    public func matrix(cellType k: Int) -> [Double] {
        (0..<(length * 4)).map { delta[$0 * cellTypes.count + k] }
    }

    /// `L × 4` matrix of Δp_a − Δp_b: how a substitution changes the difference between two cell types.
    public func contrastMatrix(_ a: Int, _ b: Int) -> [Double] {
        // Typed closure: Swift 6.0.3 (Debian's) cannot type-check the untyped form in reasonable time.
        let n = cellTypes.count
        return (0..<(length * 4)).map { (i: Int) -> Double in delta[i * n + a] - delta[i * n + b] }
    }

    /// Importance of each reference base (an `L × 4` matrix for a two-sided logo): at each position
    /// the reference letter gets −(mean Δ of its three substitutions) — positive where mutating the
    /// base lowers the prediction — and the other letters 0. `values` is an `L × 4` Δ matrix.
    public func importance(_ values: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: length * 4)
        for i in 0..<length {
            let ref = Int(codes[i])
            if ref < 4 {
                var s = 0.0
                for b in 0..<4 where b != ref { s += values[i * 4 + b] }
                out[i * 4 + ref] = -s / 3
            } else {
                // N or padding: no reference letter; show the mean effect of each base below/above.
                for b in 0..<4 { out[i * 4 + b] = values[i * 4 + b] / 4 }
            }
        }
        return out
    }

    /// TSV: one row per position and base with the reference base, the Δp of each cell type in
    /// `shown` (indices; default all) and, when given, the contrast Δp_a − Δp_b (indices).
    public func tsv(shown: [Int]? = nil, contrast: (Int, Int)? = nil) -> String {
        let N = cellTypes.count
        let cols = shown ?? Array(0..<N)
        var header = ["position", "ref", "base"] + cols.map { "delta_\(cellTypes[$0])" }
        if let (a, b) = contrast { header.append("contrast_\(cellTypes[a])_minus_\(cellTypes[b])") }
        var s = "# \(name)\treference probabilities: "
            + cols.map { "\(cellTypes[$0])=\(String(format: "%.6g", reference[$0]))" }.joined(separator: " ") + "\n"
        s += header.joined(separator: "\t") + "\n"
        for i in 0..<length {
            for b in 0..<4 {
                var row = [String(i + 1), String(BaseCode.letter(codes[i])), String(BaseCode.letter(UInt8(b)))]
                for k in cols { row.append(String(format: "%.6g", delta[(i * 4 + b) * N + k])) }
                if let (a, c) = contrast {
                    row.append(String(format: "%.6g", delta[(i * 4 + b) * N + a] - delta[(i * 4 + b) * N + c]))
                }
                s += row.joined(separator: "\t") + "\n"
            }
        }
        return s
    }
}

/// In-silico mutagenesis with a stage-1 model: each sequence and its single-base substitutions
/// (3 per position; 4 at N or padding positions) run through `Stage1Model.probabilities` in batches.
public enum InSilicoMutagenesis {

    /// Δp of every substitution of every sequence. `sequences` must have the model's length.
    public static func run(model: Stage1Model, sequences: EncodedSequences, names: [String], cellTypes: [String],
                           threads: Int = Parallel.availableCores, sequencesPerBatch: Int = 16) throws -> [ISMResult] {
        let L = sequences.length, N = model.architecture.cellTypes
        guard L == model.architecture.sequenceLength else {
            throw ModelError("sequences have length \(L) but the model expects \(model.architecture.sequenceLength)")
        }
        guard cellTypes.count == N else { throw ModelError("\(cellTypes.count) cell-type names for a model with \(N) outputs") }
        precondition(names.count == sequences.count, "one name per sequence")
        var out: [ISMResult] = []
        var start = 0
        while start < sequences.count {
            let end = min(sequences.count, start + max(1, sequencesPerBatch))
            // Batch: for each sequence, the reference then its mutants; remember (position, base).
            var batch = EncodedSequences(length: L)
            var layout: [[(Int, Int)]] = []
            for s in start..<end {
                let ref = Array(sequences[s])
                batch.append(codes: ref)
                var muts: [(Int, Int)] = []
                for i in 0..<L {
                    for b in 0..<4 where UInt8(b) != ref[i] {
                        var m = ref
                        m[i] = UInt8(b)
                        batch.append(codes: m)
                        muts.append((i, b))
                    }
                }
                layout.append(muts)
            }
            let probs = model.probabilities(batch, threads: threads)
            var row = 0
            for (j, s) in (start..<end).enumerated() {
                let refP = (0..<N).map { Double(probs[row * N + $0]) }
                row += 1
                var delta = [Double](repeating: 0, count: L * 4 * N)
                for (i, b) in layout[j] {
                    for k in 0..<N { delta[(i * 4 + b) * N + k] = Double(probs[row * N + k]) - refP[k] }
                    row += 1
                }
                out.append(ISMResult(name: names[s], codes: Array(sequences[s]), cellTypes: cellTypes,
                                     reference: refP, delta: delta))
            }
            start = end
        }
        return out
    }

    /// Parses FASTA text into sequences of one length (A C G T N, any case; other IUPAC codes
    /// count as N). Errors name the record.
    public static func parseFASTA(_ text: String, file: String) throws -> (names: [String], sequences: [[UInt8]]) {
        var names: [String] = [], seqs: [[UInt8]] = []
        var current: [UInt8]? = nil
        var lineNo = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNo += 1
            let t = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty { continue }
            if t.hasPrefix(">") {
                if let c = current { seqs.append(c) }
                let name = t.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
                names.append(name.isEmpty ? "seq\(names.count + 1)" : name)
                current = []
            } else {
                guard current != nil else { throw ModelError("\(file):\(lineNo): sequence data before the first '>' header") }
                for byte in t.utf8 {
                    if let c = BaseCode.code(ascii: byte) {
                        current!.append(c)
                    } else if "RYSWKMBDHVryswkmbdhv".utf8.contains(byte) {
                        current!.append(BaseCode.n)
                    } else {
                        throw ModelError("\(file):\(lineNo): unexpected character '\(Character(UnicodeScalar(byte)))' in a sequence")
                    }
                }
            }
        }
        if let c = current { seqs.append(c) }
        guard !seqs.isEmpty else { throw ModelError("\(file): no FASTA records") }
        return (names, seqs)
    }
}
