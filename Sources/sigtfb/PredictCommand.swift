import ArgumentParser
import Foundation
import Genomics
import NeuralNet
import SigTFB
import Storage
import Tuning

/// Predict binding probabilities per cell type for new sequences, or score variants.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Probabilities per cell type for new sequences (FASTA, or BED + genome), or ref/alt scores for VCF variants.",
        discussion: """
            Output is a TSV: the sequence name first, then one column of probabilities per cell type, \
            headed by its name. Sequences longer than the model's input are scanned with windows \
            (--stride) and combined by --aggregate (max by default). With --vcf, each SNV gets the \
            probability with the reference and with the alternative allele per cell type, in a window \
            centred on the variant, and their difference.
            """)

    @Option(help: "A stage-1 or stage-2 model (.safetensors written by sigtfb, its .json sidecar beside it). A stage-2 model gives each cell type's probability when told that cell type, plus a 'not_told' column.")
    var model: String

    @Option(help: "Sequences to score (FASTA, plain or gzip).")
    var fasta: String?

    @Option(help: "Regions to score (BED3+, strand in column 6); needs --genome.")
    var bed: String?

    @Option(help: "Variants to score (VCF; SNVs are scored, others skipped with a count); needs --genome.")
    var vcf: String?

    @Option(help: "Genome FASTA (with or without .fai) for --bed and --vcf.")
    var genome: String?

    @Option(name: .customLong("cell-type"), help: "A cell-type name, or 'all'.")
    var cellType: String = "all"

    @Option(help: "Window step when scanning long sequences.")
    var stride: Int = 1

    @Option(help: "How windows of a long sequence are combined: max, mean, or center (the central window only).")
    var aggregate: String = "max"

    @Flag(help: "Pad sequences shorter than the model's input with N (else they are an error).")
    var pad = false

    @Option(help: "Output TSV.")
    var out: String

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        let inputs = [fasta, bed, vcf].compactMap { $0 }
        guard inputs.count == 1 else { throw ValidationError("give exactly one of --fasta, --bed or --vcf") }
        if (bed != nil || vcf != nil) && genome == nil { throw ValidationError("--bed and --vcf need --genome") }
        guard stride >= 1 else { throw ValidationError("--stride must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard Prediction.Aggregate(rawValue: aggregate) != nil else {
            throw ValidationError("--aggregate must be max, mean or center, not '\(aggregate)'")
        }
    }

    func run() throws {
        try CLI.guarded {
            var options = Prediction.Options()
            options.stride = stride
            options.aggregate = Prediction.Aggregate(rawValue: aggregate)!
            options.pad = pad
            options.threads = threads ?? Parallel.availableCores
            if try Self.stage(of: model) == 2 {
                try runStage2(options)
            } else {
                try runStage1(options)
            }
        }
    }

    /// The `stage` recorded in a checkpoint's JSON sidecar (1 when absent).
    static func stage(of model: String) throws -> Int {
        let side = URL(fileURLWithPath: model).deletingPathExtension().appendingPathExtension("json").path
        guard FileManager.default.fileExists(atPath: model) else { throw CLIError.data("\(model): no such model file") }
        guard let data = FileManager.default.contents(atPath: side), UTF8JSON.isUTF8(data),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLIError.data("\(side): the model's JSON sidecar is missing or unreadable (expected next to \(model))")
        }
        return (obj["stage"] as? Int) ?? 1
    }

    func readSequences() throws -> [Prediction.NamedSequence] {
        if let fasta { return try Prediction.readFasta(path: fasta) }
        return try Prediction.readRegions(bed: bed!, genome: try Genome(path: genome!, log: CLI.log))
    }

    func runStage2(_ options: Prediction.Options) throws {
        guard vcf == nil else { throw CLIError.usage("--vcf scores variants with a stage-1 model; give a stage-1 --model") }
        let (m, sidecar) = try Stage2Checkpoint.load(path: model)
        var names = sidecar.cellTypes
        var columns = Array(0...names.count)
        if cellType != "all" {
            guard let i = names.firstIndex(of: cellType) else {
                throw CLIError.data("cell type '\(cellType)' is not one of the model's: \(names.joined(separator: ", "))")
            }
            columns = [i, names.count]
        }
        names.append("not_told")
        let seqs = try readSequences()
        let probs = try Prediction.probabilities(model: m, sequences: seqs, options: options)
        var tsv = "name\t" + columns.map { names[$0] }.joined(separator: "\t") + "\n"
        for (s, p) in zip(seqs, probs) {
            tsv += s.name + "\t" + columns.map { String(format: "%.6g", p[$0]) }.joined(separator: "\t") + "\n"
        }
        CLI.log("scored \(seqs.count) sequences with a stage-2 model (told each cell type, and not told)")
        try AtomicFile.write(tsv, to: out)
        print("wrote \(out)")
    }

    func runStage1(_ options: Prediction.Options) throws {
            let (m, sidecar) = try Stage1Checkpoint.load(path: model)
            var columns = Array(0..<sidecar.cellTypes.count)
            if cellType != "all" {
                guard let i = sidecar.cellTypes.firstIndex(of: cellType) else {
                    throw CLIError.data("cell type '\(cellType)' is not one of the model's: \(sidecar.cellTypes.joined(separator: ", "))")
                }
                columns = [i]
            }
            var tsv = ""
            if let vcf {
                let g = try Genome(path: genome!, log: CLI.log)
                let (variants, skipped) = try Prediction.readVCF(path: vcf)
                if skipped > 0 { CLI.log("\(vcf): skipped \(skipped) variants that are not SNVs") }
                guard !variants.isEmpty else {
                    throw CLIError.data("\(vcf): no SNVs to score (\(skipped) other variants skipped; only single-base REF and ALT are scored)")
                }
                let (refs, alts) = try Prediction.alleleWindows(variants, genome: g, length: m.architecture.sequenceLength, vcfPath: vcf)
                var centre = options
                centre.aggregate = .center
                let pr = try Prediction.probabilities(model: m, sequences: refs, options: centre)
                let pa = try Prediction.probabilities(model: m, sequences: alts, options: centre)
                tsv = "variant\t" + columns.map { c in
                    let n = sidecar.cellTypes[c]
                    return "\(n)_ref\t\(n)_alt\t\(n)_alt_minus_ref"
                }.joined(separator: "\t") + "\n"
                for (k, r) in refs.enumerated() {
                    tsv += r.name + "\t" + columns.map { c in
                        String(format: "%.6g\t%.6g\t%.6g", pr[k][c], pa[k][c], pa[k][c] - pr[k][c])
                    }.joined(separator: "\t") + "\n"
                }
                CLI.log("scored \(refs.count) variants")
            } else {
                let seqs = try readSequences()
                let probs = try Prediction.probabilities(model: m, sequences: seqs, options: options)
                tsv = "name\t" + columns.map { sidecar.cellTypes[$0] }.joined(separator: "\t") + "\n"
                for (s, p) in zip(seqs, probs) {
                    tsv += s.name + "\t" + columns.map { String(format: "%.6g", p[$0]) }.joined(separator: "\t") + "\n"
                }
                CLI.log("scored \(seqs.count) sequences")
            }
            try AtomicFile.write(tsv, to: out)
            print("wrote \(out)")
    }
}
