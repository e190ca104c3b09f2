import ArgumentParser
import Foundation
import NeuralNet
import SigTFB

/// `sigtfb run`: the whole pipeline for one TF-AB, resumable.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole pipeline for one TF-AB: preprocess, stage 1, stage 2 + signature, motifs, report.",
        discussion: """
            Writes into OUT: data/TF.AB.h5 (+ .bed, _act.txt), stage1/ and stage2/ (tuning traces, \
            TF/AB/TF.AB.safetensors, metrics.json; stage 2 also signature.json and signature.tsv), motifs/, \
            report.html and run.json (each step's status, time and outputs). A step whose outputs are newer \
            than its inputs and were made with the same options is skipped, and an interrupted tuning \
            resumes from its saved state, so rerunning the same command after an interruption continues. \
            TF and AB default to the last two components of --peaks (PEAKS/TF/AB) or to TF.AB.
            """)

    @Option(help: "Directory of one peak file per cell type (PEAKS/TF/AB or PEAKS/TF.AB; .bed, .narrowPeak, optionally .gz).")
    var peaks: String

    @Option(help: "Genome FASTA (plain or .gz).")
    var genome: String

    @Option(help: "Run directory.")
    var out: String

    @Option(name: .customLong("chrom-sizes"), help: "Chromosome sizes (name<TAB>length) capping the regions.")
    var chromSizes: String?

    @Option(help: "Transcription factor (default: from --peaks).")
    var tf: String?

    @Option(help: "Antibody (default: from --peaks).")
    var ab: String?

    @Option(help: "Tuning trials per stage (the original: 15).")
    var trials: Int = 15

    @Option(name: .customLong("max-epochs"), help: "Cap the epochs of every trial and final model (a reduced budget).")
    var maxEpochs: Int?

    @Option(help: "Validation objective the tuning maximises: auprc, auroc, accuracy, hamming.")
    var objective: TuningObjective = .auprc

    @Option(help: "Early stopping inside a trial: epochs without improvement (0 = off).")
    var patience: Int = 10

    @Option(help: "Bootstrap replicates of the signature's intervals.")
    var bootstrap: Int = 2000

    @Option(name: .customLong("motif-db"), help: "Motif database in MEME format (default: the bundled JASPAR 2024).")
    var motifDB: String?

    @Option(help: "Seed of tuning, splits, initialisation and sampling.")
    var seed: UInt64 = 12345

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Rerun every step even when its outputs are up to date.")
    var force = false

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        if let m = maxEpochs, m < 1 { throw ValidationError("--max-epochs must be at least 1") }
        guard patience >= 0 else { throw ValidationError("--patience must be ≥ 0") }
        guard bootstrap >= 1 else { throw ValidationError("--bootstrap must be at least 1") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        for (n, v) in [("--tf", tf), ("--ab", ab)] {
            if let v, v.isEmpty || v.contains("/") || v.contains(".") { throw ValidationError("\(n) must be a non-empty name without '/' or '.'") }
        }
        if tf == nil || ab == nil, RunLayout.names(fromPeaksDirectory: peaks) == nil {
            throw ValidationError("cannot tell TF and AB from --peaks \(peaks); pass --tf and --ab")
        }
    }

    func run() throws {
        try CLI.guarded(interruptible: out) {
            let names = RunLayout.names(fromPeaksDirectory: peaks)!
            var o = RunOptions(peaksDirectory: peaks, genomePath: genome, outputDirectory: out,
                               tf: tf ?? names.tf, ab: ab ?? names.ab)
            o.chromSizesPath = chromSizes
            o.trials = trials; o.maxEpochs = maxEpochs; o.objective = objective; o.patience = patience
            o.bootstrapReplicates = bootstrap; o.motifDatabasePath = motifDB; o.seed = seed
            o.threads = threads ?? Parallel.availableCores
            o.force = force
            let t0 = Date()
            let m = try RunPipeline.run(options: o, log: CLI.log)
            for s in m.steps {
                print(String(format: "%-10@ %-13@ %@", s.name, s.status.rawValue, s.message ?? ""))
            }
            print(String(format: "%@.%@ done in %.1f s; report: %@", o.tf, o.ab, Date().timeIntervalSince(t0),
                         (out as NSString).appendingPathComponent("report.html")))
        }
    }
}
