import Foundation
import Genomics
import Motifs
import NeuralNet
import Storage

/// Options of `sigtfb run`.
public struct RunOptions: Sendable {
    public var peaksDirectory: String
    public var genomePath: String
    public var outputDirectory: String
    public var tf: String
    public var ab: String
    public var chromSizesPath: String? = nil
    /// Tuning trials of each stage.
    public var trials = 15
    /// Caps the epochs of every trial and final run (a reduced budget); nil = the search space's.
    public var maxEpochs: Int? = nil
    public var objective: TuningObjective = .auprc
    public var seed: UInt64 = 12345
    public var patience = 10
    public var bootstrapReplicates = 2000
    public var motifDatabasePath: String? = nil
    public var threads = Parallel.availableCores
    /// Rerun every step even when its outputs are up to date.
    public var force = false

    public init(peaksDirectory: String, genomePath: String, outputDirectory: String, tf: String, ab: String) {
        self.peaksDirectory = peaksDirectory; self.genomePath = genomePath; self.outputDirectory = outputDirectory
        self.tf = tf; self.ab = ab
    }
}

/// `sigtfb run`: preprocess → stage 1 → stage 2 (+ signature) → motifs → report, in-process, with
/// make-like skipping: a step whose outputs all exist, are newer than its inputs and were made
/// with the same options is not rerun. The tuning stages resume an interrupted tuning from their
/// saved state. `run.json` records every step's status, time and outputs.
public enum RunPipeline {
    public struct StepFailed: Error, CustomStringConvertible, Sendable {
        public let step: String
        public let message: String
        public var description: String { "step \(step) failed: \(message)" }
    }

    public static let stepNames = ["preprocess", "stage1", "stage2", "motifs", "report"]
    static let descriptions = [
        "preprocess": "peaks + genome → merged regions, HDF5",
        "stage1": "tune + train the stage-1 CNN",
        "stage2": "tune + train stage 2; signature (ΔAUROC, p-value)",
        "motifs": "filter motifs, database matches, influence",
        "report": "HTML report",
    ]

    @discardableResult
    public static func run(options o: RunOptions, log: @escaping (String) -> Void) throws -> RunManifest {
        let fm = FileManager.default
        let L = RunLayout(directory: o.outputDirectory, tf: o.tf, ab: o.ab)
        try fm.createDirectory(atPath: o.outputDirectory, withIntermediateDirectories: true)
        let lock = try OutputLock(directory: o.outputDirectory)
        defer { lock.release() }
        let previous = RunManifest.load(L.manifest)
        if let p = previous, p.tf != o.tf || p.ab != o.ab {
            throw PipelineError("\(L.manifest): this directory holds a run of \(p.tf).\(p.ab), not \(o.tf).\(o.ab); use another --out")
        }
        func previousOptions(_ name: String) -> [String: String]? { previous?.steps.first { $0.name == name }?.options }
        func absolute(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }
        // Steps not reached yet keep the options their existing outputs were made with, so that a
        // run stopped before it reaches them (killed, interrupted, failed) does not make the next
        // run redo them — a redone preprocess would make the stage-1 tuning state stale.
        var manifest = RunManifest(tf: o.tf, ab: o.ab, peaks: absolute(o.peaksDirectory), genome: absolute(o.genomePath),
                                   steps: stepNames.map { name in
                                       RunManifest.Step(name: name, description: descriptions[name]!, status: .pending,
                                                        options: previousOptions(name))
                                   })
        func save() throws {
            manifest.updated = ISO8601DateFormatter().string(from: Date())
            try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(manifest), to: L.manifest)
        }

        /// Runs one step unless it is up to date; records the outcome.
        func step(_ name: String, inputs: [String], outputs: [String], options opts: [String: String],
                  body: () throws -> String?) throws {
            try Interruption.check()
            let k = manifest.steps.firstIndex { $0.name == name }!
            manifest.steps[k].outputs = outputs
            if !o.force, previousOptions(name) == opts, upToDate(outputs: outputs, inputs: inputs) {
                manifest.steps[k].status = .upToDate
                manifest.steps[k].seconds = previous?.steps.first { $0.name == name }?.seconds
                manifest.steps[k].finished = previous?.steps.first { $0.name == name }?.finished
                manifest.steps[k].message = previous?.steps.first { $0.name == name }?.message
                log("[\(name)] up to date, skipped")
                try save()
                return
            }
            log("[\(name)] \(descriptions[name]!)")
            let t0 = Date()
            // Until the step succeeds its outputs are not (all) made with these options.
            manifest.steps[k].options = nil
            try save()
            do {
                let note = try body()
                manifest.steps[k].status = .done
                manifest.steps[k].message = note
                manifest.steps[k].options = opts
            } catch let e as StepNotAvailable {
                manifest.steps[k].status = .notAvailable
                manifest.steps[k].message = e.message
                manifest.steps[k].options = opts
                log("[\(name)] not available: \(e.message)")
            } catch let e as Interrupted {
                manifest.steps[k].status = .pending
                manifest.steps[k].message = "interrupted"
                manifest.steps[k].seconds = Date().timeIntervalSince(t0)
                try? save()
                throw e
            } catch {
                manifest.steps[k].status = .failed
                manifest.steps[k].message = "\(error)"
                manifest.steps[k].seconds = Date().timeIntervalSince(t0)
                try? save()
                // A partial report still shows what exists.
                if name != "report" { _ = try? RunReport.write(directory: o.outputDirectory, options: reportOptions(o)) }
                throw StepFailed(step: name, message: "\(error)")
            }
            manifest.steps[k].seconds = Date().timeIntervalSince(t0)
            manifest.steps[k].finished = ISO8601DateFormatter().string(from: Date())
            log(String(format: "[%@] %@ in %.1f s", name, manifest.steps[k].status == .done ? "done" : manifest.steps[k].status.rawValue,
                       manifest.steps[k].seconds ?? 0))
            try save()
        }

        try save()

        // 1. Preprocess.
        let peakFiles = try PeakDirectory.list(o.peaksDirectory).files.map(\.path)
        try step("preprocess", inputs: peakFiles + [o.genomePath] + (o.chromSizesPath.map { [$0] } ?? []),
                 outputs: [L.h5, L.bed, L.activity],
                 options: ["peaks": o.peaksDirectory, "genome": o.genomePath, "chrom_sizes": o.chromSizesPath ?? ""]) {
            try fm.createDirectory(atPath: L.dataDirectory, withIntermediateDirectories: true)
            var po = PreprocessOptions(peaksDirectory: o.peaksDirectory, genomePath: o.genomePath, outputPath: L.h5)
            po.chromSizesPath = o.chromSizesPath
            let s = try Preprocessor(options: po, log: { log("  " + $0) }).run()
            return "\(s.mergedFeatures) regions: \(s.trainCount) train, \(s.testCount) test"
        }

        // 2. Stage 1.
        let tuningOptions = ["seed": String(o.seed), "max_epochs": o.maxEpochs.map(String.init) ?? "", "objective": o.objective.rawValue,
                             "patience": String(o.patience)]
        func pipelineOptions(_ stageDir: String) -> PipelineOptions {
            var p = PipelineOptions(tf: o.tf, ab: o.ab, chipData: L.h5, hyperparameterPath: stageDir, saveModelPath: stageDir)
            p.trials = o.trials; p.objective = o.objective; p.seed = o.seed; p.patience = o.patience
            p.maxEpochs = o.maxEpochs; p.threads = o.threads; p.bootstrapReplicates = o.bootstrapReplicates
            return p
        }
        try step("stage1", inputs: [L.h5], outputs: [L.stage1Model, L.stage1Metrics],
                 options: tuningOptions.merging(["trials": String(o.trials)]) { a, _ in a }) {
            resetStaleTuning(L.stage1Directory, inputs: [L.h5], options: tuningOptions, previous: previousOptions("stage1"), log: log)
            let r = try Stage1Pipeline.run(options: pipelineOptions(L.stage1Directory), log: { log("  " + $0) })
            return String(format: "test macro AUROC %@; best of %d trials", r.test.macro.auroc.map { String(format: "%.3f", $0) } ?? "NaN", o.trials)
        }

        // 3. Stage 2 and the signature.
        try step("stage2", inputs: [L.h5, L.stage1Model], outputs: [L.stage2Model, L.signatureJSON, L.signatureTSV, L.stage2Metrics],
                 options: tuningOptions.merging(["trials": String(o.trials), "bootstrap": String(o.bootstrapReplicates)]) { a, _ in a }) {
            resetStaleTuning(L.stage2Directory, inputs: [L.h5, L.stage1Model], options: tuningOptions,
                             previous: previousOptions("stage2"), log: log)
            let r = try Stage2Pipeline.run(options: pipelineOptions(L.stage2Directory), stage1Path: L.stage1Model, log: { log("  " + $0) })
            let m = r.signature.macro
            return String(format: "ΔAUROC %.3f [%.3f, %.3f], p = %.3g", m.deltaAUROC, m.ci[0], m.ci[1], m.pValue)
        }

        // 4. Motifs.
        let motifInputs = [L.stage1Model, L.h5] + (fm.fileExists(atPath: L.stage2Model) ? [L.stage2Model] : [])
        try step("motifs", inputs: motifInputs,
                 outputs: ["filters.meme", "filters.tsv", "influence_stage1.tsv", "motifs.json"].map { (L.motifsDirectory as NSString).appendingPathComponent($0) },
                 options: ["motif_db": o.motifDatabasePath ?? "bundled", "stage2": fm.fileExists(atPath: L.stage2Model) ? "yes" : "no"]) {
            let (model, side) = try Stage1Checkpoint.load(path: L.stage1Model)
            let dataset = try BassetH5.read(path: L.h5)
            let database: MotifDatabase, dbName: String
            if let p = o.motifDatabasePath {
                database = try MotifDatabase(contentsOf: URL(fileURLWithPath: p)); dbName = p
            } else {
                do { database = try MotifDatabase.loadDefault() } catch { throw StepNotAvailable(message: "\(error)") }
                dbName = database.url?.lastPathComponent ?? "JASPAR (bundled)"
            }
            var mo = MotifAnalysisOptions()
            mo.threads = o.threads   // every other option as `sigtfb motifs` defaults (all sequences)
            var stage2: (([Double]) throws -> Stage2FilterInfluence)? = nil
            if fm.fileExists(atPath: L.stage2Model) {
                stage2 = try Stage2Influence.closure(stage2Path: L.stage2Model, stage1: model, cellTypes: side.cellTypes,
                                                    dataset: dataset, threads: o.threads)
            }
            let r = try MotifAnalysis.run(model: model, modelCellTypes: side.cellTypes, modelPath: L.stage1Model, dataset: dataset,
                                          dataPath: L.h5, database: database, databaseName: dbName, options: mo,
                                          directory: L.motifsDirectory, stage2: stage2, log: { log("  " + $0) })
            let matched = r.matches.filter { ($0.first?.qValue ?? 1) < 0.05 }.count
            return "\(r.report.filters.count) filters, \(matched) matched at q < 0.05"
        }

        // 5. Report: always rebuilt (cheap; it shows this run's status).
        try Interruption.check()
        let k = manifest.steps.firstIndex { $0.name == "report" }!
        manifest.steps[k].outputs = [L.report]
        manifest.steps[k].status = .done
        manifest.steps[k].finished = ISO8601DateFormatter().string(from: Date())
        try save()
        let t0 = Date()
        log("[report] \(descriptions["report"]!)")
        do {
            try RunReport.write(directory: o.outputDirectory, options: reportOptions(o), log: { log("  " + $0) })
        } catch {
            manifest.steps[k].status = .failed
            manifest.steps[k].message = "\(error)"
            try? save()
            throw StepFailed(step: "report", message: "\(error)")
        }
        manifest.steps[k].seconds = Date().timeIntervalSince(t0)
        try save()
        // The report shown the final timings of every step.
        try RunReport.write(directory: o.outputDirectory, options: reportOptions(o))
        return manifest
    }

    static func reportOptions(_ o: RunOptions) -> RunReportOptions {
        var r = RunReportOptions(); r.threads = o.threads; return r
    }

    /// True when every output exists and the oldest is at least as new as the newest input.
    static func upToDate(outputs: [String], inputs: [String]) -> Bool {
        let outs = outputs.map { RunFiles.modified($0) }
        guard !outs.isEmpty, outs.allSatisfy({ $0 != nil }) else { return false }
        let oldestOut = outs.compactMap { $0 }.min()!
        for i in inputs {
            guard let t = RunFiles.modified(i) else { return false }
            if t > oldestOut { return false }
        }
        return true
    }

    /// A tuning state older than the stage's inputs, or made with other options (trials aside), is
    /// removed; otherwise it is kept so that an interrupted tuning resumes.
    static func resetStaleTuning(_ dir: String, inputs: [String], options: [String: String], previous: [String: String]?,
                                 log: (String) -> Void) {
        let state = (dir as NSString).appendingPathComponent("tuning-state.json")
        guard let t = RunFiles.modified(state) else { return }
        var prev = previous ?? [:]
        prev.removeValue(forKey: "trials"); prev.removeValue(forKey: "bootstrap")
        let stale = inputs.contains { (RunFiles.modified($0) ?? .distantFuture) > t } || (previous != nil && prev != options)
        guard stale else {
            log("  resuming the tuning state in \(dir)")
            return
        }
        log("  the tuning state in \(dir) is older than its inputs or was made with other options; starting afresh")
        for f in ["tuning-state.json", "curves.json", "trial-notes.json"] {
            try? FileManager.default.removeItem(atPath: (dir as NSString).appendingPathComponent(f))
        }
    }
}

/// A step that this build or machine cannot run (reported as "not available", never faked).
public struct StepNotAvailable: Error, Sendable {
    public let message: String
}
