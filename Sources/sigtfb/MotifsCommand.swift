import ArgumentParser
import Foundation
import Motifs
import NeuralNet
import SigTFB
import Storage

/// Interpret a stage-1 model's first-layer filters: a PWM per filter from the sequences that
/// activate it, its best matches in a motif database, logos, and each filter's leave-one-out
/// influence on every cell type's predictions and loss.
struct MotifsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "motifs",
        abstract: "Filter motifs of a stage-1 model: PWMs, database matches, logos and influence.",
        discussion: """
            Writes DIR/filters.meme (MEME format, motifs filter_0 …), DIR/filters.tsv (sites, IC, \
            consensus, best match), DIR/influence_stage1.tsv (per filter and cell type: mean |Δp|, \
            mean Δlogit and Δ Basset loss when the filter's pooled output is replaced by its mean), \
            DIR/logos/filter_<i>.svg and filter_<i>_match.svg, and DIR/motifs.json with all of it. \
            With --stage2-model also DIR/influence_stage2.tsv (change of the signature ΔAUROC per \
            filter and cell type).
            """)

    @Option(help: "Stage-1 model (model.safetensors with its model.json sidecar).")
    var model: String

    @Option(name: .customLong("chip-data"), help: "Basset/SigTFB HDF5 file whose sequences activate the filters.")
    var chipData: String

    @Option(help: "Output directory.")
    var out: String

    @Option(name: .customLong("motif-db"), help: "Motif database in MEME format (default: the bundled JASPAR 2024 CORE vertebrates).")
    var motifDB: String?

    @Option(name: .customLong("activation-fraction"), help: "A site is a position whose activation is at least this fraction of the filter's maximum.")
    var activationFraction: Double = 0.5

    @Option(name: .customLong("max-sites"), help: "Keep at most this many sites per filter (strongest first).")
    var maxSites: Int?

    @Option(help: "Sequences to use: train, test or all.")
    var split: MotifAnalysisOptions.Split = .all

    @Option(name: .customLong("null-value"), help: "Replacement of a left-out filter: pooled-mean (mean of its pooled output) or activation-mean (mean of its activation map, as the original's motif_CNN_Multilabel).")
    var nullValue: FilterNullValue = .pooledMean

    @Option(name: .customLong("top-matches"), help: "Database matches kept per filter in motifs.json.")
    var topMatches: Int = 5

    @Option(name: .customLong("stage2-model"), help: "Stage-2 model: also measure how nullifying each filter changes the signature (ΔAUROC told − not told) on the test split.")
    var stage2Model: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard activationFraction > 0, activationFraction <= 1 else { throw ValidationError("--activation-fraction must be in (0, 1]") }
        if let maxSites, maxSites < 1 { throw ValidationError("--max-sites must be at least 1") }
        guard topMatches >= 1 else { throw ValidationError("--top-matches must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try CLI.guarded {
            let threads = self.threads ?? Parallel.availableCores
            guard FileManager.default.fileExists(atPath: model) else { throw CLIError.data("\(model): model file not found") }
            guard FileManager.default.fileExists(atPath: chipData) else { throw CLIError.data("\(chipData): file not found") }
            let (m, sidecar) = try Stage1Checkpoint.load(path: model)
            let lock = try OutputLock(directory: out)
            defer { lock.release() }
            let dataset = try BassetH5.read(path: chipData)
            let database: MotifDatabase
            let dbName: String
            if let motifDB {
                database = try MotifDatabase(contentsOf: URL(fileURLWithPath: motifDB))
                dbName = motifDB
            } else {
                database = try MotifDatabase.loadDefault()
                dbName = database.url?.lastPathComponent ?? "JASPAR2024 (bundled)"
            }
            guard database.count > 0 else { throw CLIError.data("\(dbName): the motif database holds no motifs") }
            var options = MotifAnalysisOptions()
            options.split = split; options.activationFraction = activationFraction; options.maxSites = maxSites
            options.topMatches = topMatches; options.nullValue = nullValue; options.threads = threads
            var stage2: (([Double]) throws -> Stage2FilterInfluence)? = nil
            if let stage2Model {
                stage2 = try Stage2Influence.closure(stage2Path: stage2Model, stage1: m, cellTypes: sidecar.cellTypes,
                                                    dataset: dataset, threads: threads)
            }
            let result = try MotifAnalysis.run(model: m, modelCellTypes: sidecar.cellTypes, modelPath: model,
                                               dataset: dataset, dataPath: chipData, database: database, databaseName: dbName,
                                               options: options, directory: out, stage2: stage2, log: CLI.log)
            let r = result.report
            let withSites = result.pwms.filter { $0.siteCount > 0 }.count
            let matched = result.matches.filter { ($0.first?.qValue ?? 1) < 0.05 }.count
            print("\(r.filters.count) filters (\(withSites) with sites, \(matched) with a database match at q < 0.05) from \(r.sequences) sequences")
            for i in r.influenceRanking.prefix(5) {
                let f = r.filters[i]
                let best = f.matches.first.map { "\($0.id) \($0.name) q=\(String(format: "%.3g", $0.q))" } ?? "no match"
                let dl = f.influence.totalDeltaLoss.map { String(format: "%.4g", $0) } ?? "NA"
                print("  filter \(i): Δloss \(dl)  \(f.trimmedConsensus.isEmpty ? "-" : f.trimmedConsensus)  \(best)")
            }
            print("wrote \(out)/filters.meme, filters.tsv, influence_stage1.tsv\(r.influenceStage2 != nil ? ", influence_stage2.tsv" : ""), logos/, motifs.json")
        }
    }
}

extension MotifAnalysisOptions.Split: ExpressibleByArgument {}
extension FilterNullValue: ExpressibleByArgument {}
