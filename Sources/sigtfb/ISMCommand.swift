import ArgumentParser
import Foundation
import Genomics
import Motifs
import NeuralNet
import SigTFB
import Storage

/// In-silico mutagenesis with a stage-1 model: every single-base substitution of each sequence,
/// and the change it makes to each cell type's predicted probability of binding.
struct ISMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ism",
        abstract: "In-silico mutagenesis: the effect of every base substitution on each cell type's prediction.",
        discussion: """
            Sequences come from a FASTA file (--fasta; each record as long as the model's input) or \
            from the test set of an HDF5 file (--chip-data with --ids, the test headers such as \
            chr1:100-201(+)). Writes DIR/<name>.tsv per sequence (position, reference base, \
            substituted base, Δp per cell type and, with --contrast A,B, Δp_A − Δp_B) and \
            DIR/logos/<name>_<cell type>.svg: a two-sided logo where each reference base's height \
            is minus the mean Δp of its three substitutions (above the line: the base supports \
            binding). With --contrast also DIR/logos/<name>_<A>_vs_<B>.svg.
            """)

    @Option(help: "Stage-1 model (model.safetensors with its model.json sidecar).")
    var model: String

    @Option(help: "FASTA file of sequences to mutate.")
    var fasta: String?

    @Option(name: .customLong("chip-data"), help: "Basset/SigTFB HDF5 file; pick its test sequences with --ids.")
    var chipData: String?

    @Option(help: "Comma-separated test headers of --chip-data, e.g. chr1:100-201(+),chr2:5-106(-).")
    var ids: String?

    @Option(help: "Output directory.")
    var out: String

    @Option(name: .customLong("cell-types"), help: "Comma-separated cell types to report (default: all of the model's).")
    var cellTypes: String?

    @Option(help: "Two cell types A,B: also report Δp_A − Δp_B.")
    var contrast: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if (fasta == nil) == (chipData == nil) { throw ValidationError("give exactly one of --fasta and --chip-data") }
        if chipData != nil && ids == nil { throw ValidationError("--chip-data needs --ids (test headers, comma-separated)") }
        if fasta != nil && ids != nil { throw ValidationError("--ids goes with --chip-data, not --fasta") }
        if let contrast, contrast.split(separator: ",").count != 2 { throw ValidationError("--contrast takes two cell types: A,B") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try CLI.guarded {
            let threads = self.threads ?? Parallel.availableCores
            guard FileManager.default.fileExists(atPath: model) else { throw CLIError.data("\(model): model file not found") }
            let (m, sidecar) = try Stage1Checkpoint.load(path: model)
            let lock = try OutputLock(directory: out)
            defer { lock.release() }
            let L = m.architecture.sequenceLength
            let names = sidecar.cellTypes

            func index(_ name: String) throws -> Int {
                guard let k = names.firstIndex(of: name) else {
                    throw CLIError.data("cell type '\(name)' is not one of the model's: \(names.joined(separator: ", "))")
                }
                return k
            }
            let list = { (s: String) in s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            let shown = try cellTypes.map { try list($0).map(index) } ?? Array(names.indices)
            guard !shown.isEmpty else { throw CLIError.usage("--cell-types names no cell type") }
            let contrastPair = try contrast.map { c -> (Int, Int) in
                let p = try list(c).map(index)
                return (p[0], p[1])
            }

            var seqs = EncodedSequences(length: L)
            var seqNames: [String] = []
            if let fasta {
                guard let data = FileManager.default.contents(atPath: fasta) else { throw CLIError.data("\(fasta): file not found") }
                let (n, s) = try InSilicoMutagenesis.parseFASTA(String(decoding: data, as: UTF8.self), file: fasta)
                for (name, codes) in zip(n, s) {
                    guard codes.count == L else {
                        throw CLIError.data("\(fasta): sequence '\(name)' has length \(codes.count) but the model expects \(L)")
                    }
                    seqs.append(codes: codes); seqNames.append(name)
                }
            } else if let chipData, let ids {
                guard FileManager.default.fileExists(atPath: chipData) else { throw CLIError.data("\(chipData): file not found") }
                let d = try BassetH5.read(path: chipData)
                guard d.sequenceLength == L else {
                    throw CLIError.data("\(chipData): sequences have length \(d.sequenceLength) but the model expects \(L)")
                }
                guard !d.testHeaders.isEmpty else { throw CLIError.data("\(chipData): the file has no test headers to look --ids up in") }
                var where_: [String: Int] = [:]
                for (i, h) in d.testHeaders.enumerated() where where_[h] == nil { where_[h] = i }
                for id in list(ids) {
                    guard let i = where_[id] else {
                        throw CLIError.data("\(chipData): '\(id)' is not a test header (e.g. \(d.testHeaders[0]))")
                    }
                    seqs.append(codes: d.testIn[i]); seqNames.append(id)
                }
            }
            guard seqs.count > 0 else { throw CLIError.usage("no sequences given") }

            CLI.log("mutating \(seqs.count) sequence(s) of length \(L): \(seqs.count * 3 * L) mutants")
            let results = try InSilicoMutagenesis.run(model: m, sequences: seqs, names: seqNames, cellTypes: names, threads: threads)
            let dir = URL(fileURLWithPath: out)
            var used: Set<String> = []
            for r in results {
                // File-name-safe, unique stem.
                var stem = String(r.name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
                if stem.isEmpty { stem = "seq" }
                var unique = stem, k = 2
                while used.contains(unique) { unique = "\(stem)_\(k)"; k += 1 }
                used.insert(unique)
                let tsvText = r.tsv(shown: shown, contrast: contrastPair)
                try AtomicFile.write(Data(tsvText.utf8), to: dir.appendingPathComponent("\(unique).tsv").path)
                for k in shown {
                    let svg = SequenceLogo.twoSided(values: r.importance(r.matrix(cellType: k)),
                                                    title: "\(r.name) \(names[k]) (p = \(String(format: "%.3f", r.reference[k])))",
                                                    yLabel: "−mean Δp")
                    try AtomicFile.write(Data(svg.utf8), to: dir.appendingPathComponent("logos/\(unique)_\(names[k]).svg").path)
                }
                if let (a, b) = contrastPair {
                    let svg = SequenceLogo.twoSided(values: r.importance(r.contrastMatrix(a, b)),
                                                    title: "\(r.name) \(names[a]) vs \(names[b])", yLabel: "−mean Δ(p_A − p_B)")
                    try AtomicFile.write(Data(svg.utf8), to: dir.appendingPathComponent("logos/\(unique)_\(names[a])_vs_\(names[b]).svg").path)
                }
                let top = shown.map { k -> String in
                    var best = (0, 0, 0.0)
                    for i in 0..<r.length { for b in 0..<4 where abs(r.delta(position: i, base: b, cellType: k)) > abs(best.2) {
                        best = (i, b, r.delta(position: i, base: b, cellType: k)) } }
                    return "\(names[k]) p=\(String(format: "%.3f", r.reference[k])) largest Δp \(String(format: "%+.3f", best.2)) at \(best.0 + 1)\(BaseCode.letter(r.codes[best.0]))>\(BaseCode.letter(UInt8(best.1)))"
                }
                print("\(r.name): " + top.joined(separator: "; "))
            }
            print("wrote \(results.count) TSV file(s) and logos to \(out)")
        }
    }
}
