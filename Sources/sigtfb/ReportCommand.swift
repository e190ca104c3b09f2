import ArgumentParser
import Foundation
import NeuralNet
import SigTFB

/// `sigtfb report --run DIR`: one self-contained HTML page from a run directory.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report of a run directory.",
        discussion: """
            Reads whatever DIR holds (run.json, data/TF.AB.h5 and _act.txt, stage1/, stage2/, motifs/) and \
            writes DIR/report.html: a summary, the data (regions per cell type and their overlaps), tuning \
            traces and learning curves, stage-1 ROC and precision-recall curves per cell type, stage-2 told \
            vs not-told curves, the signature table with intervals and p-values, and the filter logos with \
            their database matches and per-cell-type influence. Sections of steps that have not run say so. \
            Inline CSS and SVG only: no scripts, nothing is fetched.
            """)

    @Option(name: .customLong("run"), help: "Run directory (the --out of sigtfb run).")
    var runDirectory: String

    @Option(help: "Output HTML file (default: RUN/report.html).")
    var out: String?

    @Option(help: "Worker threads for scoring the test set (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try CLI.guarded {
            var o = RunReportOptions()
            o.threads = threads ?? Parallel.availableCores
            let path = try RunReport.write(directory: runDirectory, output: out, options: o, log: CLI.log)
            print(path)
        }
    }
}
