import Foundation
import Genomics
import NeuralNet
import Storage
import Tuning

/// Options shared by `sigtfb stage1` and `sigtfb stage2`.
public struct PipelineOptions: Sendable {
    public var tf: String
    public var ab: String
    public var chipData: String
    public var hyperparameterPath: String
    public var saveModelPath: String
    public var trials = 15
    public var objective: TuningObjective = .auprc
    public var seed: UInt64 = 12345
    public var threads = Parallel.availableCores
    /// Early stopping inside a trial: epochs without improvement of the validation objective (0 = off).
    public var patience = 10
    /// Stop a trial whose best-so-far curve is below the best trial's by more than `curveMargin`
    /// (checked from epoch `curveMinEpochs` on).
    public var curveRule = true
    public var curveMargin = 0.05
    public var curveMinEpochs = 10
    /// Caps `num_epochs` of every trial and of the final run (a reduced budget; nil = the search space's).
    public var maxEpochs: Int?
    public var validationFraction = 0.2
    public var bootstrapReplicates = 2000
    public var encoding: CellTypeEncoding = .oneHotHalfNotTold
    /// Stage 2: which model is evaluated on the test set (see `Stage2FinalModel`).
    public var finalModel: Stage2FinalModel = .validated
    /// Stage 2, `guarded-retrain`: the retrain is kept only if its validation objective is at least
    /// the best trial's minus this.
    public var retrainTolerance = 0.02
    /// Stage 2: start a new search with `Stage2Pipeline.knownGoodFirstTrial` instead of the space's centre.
    public var knownGoodFirstTrial = true
    /// Stage 2: hidden layers of the head after the concatenation (`--num_hidden_layers`, 0...8; 1 =
    /// the original's Net_Stage2, 0 = Net_NoLayers; see `Stage2Architecture.hiddenLayers`). Not tuned.
    public var numHiddenLayers = 1
    /// The original's data options (`--typeChIP`, `--unique`, `--shuffle`, …; see `DataPlan`).
    public var data = DataOptions()
    /// Hyperparameters fixed on the command line (not tuned); see `FixedHyperparameters`.
    public var fixedParameters: [String: ParameterValue] = [:]

    public init(tf: String, ab: String, chipData: String, hyperparameterPath: String, saveModelPath: String) {
        self.tf = tf; self.ab = ab; self.chipData = chipData
        self.hyperparameterPath = hyperparameterPath; self.saveModelPath = saveModelPath
    }
}

/// The learning curves of completed trials (for the cross-trial stop rule), saved beside the tuner state.
struct CurveStore: Codable {
    /// trial index → best-so-far validation objective after each epoch.
    var curves: [String: [Double]] = [:]

    /// The saved curves; none when the file does not exist yet. A file that cannot be decoded is an
    /// error: resuming without it would silently change the cross-trial stop rule.
    static func load(_ path: String) throws -> CurveStore {
        guard let d = FileManager.default.contents(atPath: path) else { return CurveStore() }
        do { return try UTF8JSON.decode(CurveStore.self, from: d) } catch {
            throw PipelineError("\(path): cannot be read (\(oneLine(describe(error)))); it belongs to the tuning state beside it: restore it, or delete the directory's tuning-state.json, curves.json and trial-notes.json to start the tuning afresh")
        }
    }
    func save(_ path: String) throws { try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(self), to: path) }

    /// The best-so-far value at `epoch` (1-based) of the completed trial with the highest final value.
    func bestCurveValue(at epoch: Int) -> Double? {
        guard let best = curves.values.max(by: { ($0.last ?? -1) < ($1.last ?? -1) }), !best.isEmpty else { return nil }
        return best[min(epoch, best.count) - 1]
    }
}

/// Shared machinery: the resumable ask/tell loop, the original's output files.
enum TuningLoop {
    struct TrialOutcome {
        var value: Double
        var curve: [Double]
        var bestEpoch: Int
        var stopped: String?
        var seconds: Double
        /// Why the trial may not be selected as the best (nil: eligible). Stage 2 uses it for
        /// cell-type blind models. The tuner is then told the worst value observed so far (the
        /// usual treatment of a violated constraint), so the search moves away from that region;
        /// the trial's own objective is kept in its note.
        var ineligible: String? = nil
        var cellTypeSensitivity: Double? = nil
    }

    /// Runs trials until `options.trials` have been asked and answered; resumes from the state file.
    /// Returns the tuner and per-trial notes (best epoch, early stop).
    /// - Parameter firstTrial: parameters of the first trial of a new search (replacing the centre point).
    static func run(space: SearchSpace, options o: PipelineOptions, stage: Int, firstTrial: [String: ParameterValue]? = nil,
                    log: @escaping (String) -> Void,
                    trial: (Trial, _ shouldStop: @escaping (Int, Double) -> Bool) throws -> TrialOutcome) throws -> (Tuner, [Int: TrialNote]) {
        let dir = o.hyperparameterPath
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let stateURL = URL(fileURLWithPath: (dir as NSString).appendingPathComponent("tuning-state.json"))
        let curvesPath = (dir as NSString).appendingPathComponent("curves.json")
        let notesPath = (dir as NSString).appendingPathComponent("trial-notes.json")
        let tuner: Tuner
        if FileManager.default.fileExists(atPath: stateURL.path) {
            tuner = try Tuner.resume(stateURL: stateURL)
            guard tuner.space == space else {
                throw PipelineError("\(stateURL.path): the saved tuning state is for a different search space; use another --hyperparameter-path")
            }
            guard tuner.seed == o.seed else {
                throw PipelineError("\(stateURL.path): the saved tuning state was started with --seed \(tuner.seed), not \(o.seed)")
            }
            log("resuming stage-\(stage) tuning: \(tuner.trials.filter { $0.status != .pending }.count) trials done")
        } else {
            tuner = try Tuner(space: space, seed: o.seed, direction: .maximize, stateURL: stateURL)
            if let f = firstTrial { try tuner.enqueue(f) }
        }
        var curves = try CurveStore.load(curvesPath)
        var notes: [Int: TrialNote] = [:]
        if let d = FileManager.default.contents(atPath: notesPath) {
            do {
                for (k, v) in try UTF8JSON.decode([String: TrialNote].self, from: d) { if let i = Int(k) { notes[i] = v } }
            } catch {
                throw PipelineError("\(notesPath): cannot be read (\(oneLine(describe(error)))); it belongs to the tuning state beside it: restore it, or delete the directory's tuning-state.json, curves.json and trial-notes.json to start the tuning afresh")
            }
        }
        while true {
            try Interruption.check()
            // A trial left pending by an interrupted run is re-run (deterministic) before new ones.
            let pending = tuner.trials.filter { $0.status == .pending }
            let next: Trial
            if let p = pending.first { next = p }
            else if tuner.trials.count < o.trials { next = try tuner.ask(count: 1)[0] }
            else { break }
            log("trial \(next.index + 1)/\(o.trials): " + space.parameters.map { "\($0.name)=\(next.parameters[$0.name]?.description ?? "?")" }.joined(separator: " "))
            let snapshot = curves
            let rule: (Int, Double) -> Bool = { epoch, bestSoFar in
                guard o.curveRule, epoch >= o.curveMinEpochs, let b = snapshot.bestCurveValue(at: epoch) else { return false }
                return bestSoFar < b - o.curveMargin
            }
            // The trial's curve and note are saved before the tuner is told: the state file is what
            // marks a trial complete, so a run killed in between reruns the trial (deterministically)
            // and rewrites them, instead of resuming with a completed trial whose note is missing
            // (the final run's epoch count and the curve rule read them).
            func record(_ note: TrialNote, curve: [Double]?) throws {
                if let curve { curves.curves[String(next.index)] = curve }
                notes[next.index] = note
                try curves.save(curvesPath)
                var enc: [String: TrialNote] = [:]
                for (k, v) in notes { enc[String(k)] = v }
                try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(enc), to: notesPath)
            }
            do {
                let out = try trial(next, rule)
                var told = out.value
                if out.ineligible != nil {
                    let worst = tuner.trials.filter { $0.status == .completed }.compactMap { $0.value }.min()
                    told = min(out.value, worst ?? out.value)
                }
                try record(TrialNote(bestEpoch: out.bestEpoch, epochsRun: out.curve.count, stopped: out.stopped, seconds: out.seconds,
                                     validation: out.value, ineligible: out.ineligible, cellTypeSensitivity: out.cellTypeSensitivity), curve: out.curve)
                try tuner.tell(trial: next.index, value: told)
                log(String(format: "trial %d: validation %@ %.4f (best epoch %d of %d run%@, %.1f s)", next.index + 1, o.objective.rawValue,
                           out.value, out.bestEpoch, out.curve.count, out.stopped.map { ", stopped by \($0)" } ?? "", out.seconds)
                    + (out.ineligible.map { "; not eligible as best: \($0)" } ?? ""))
            } catch let e as TrainingDiverged {
                try record(TrialNote(bestEpoch: 0, epochsRun: e.epoch, stopped: "diverged", seconds: 0), curve: nil)
                try tuner.fail(trial: next.index, reason: e.description)
                log("trial \(next.index + 1): failed: \(e.description)")
            } catch let e as Interrupted {
                log("trial \(next.index + 1): \(e.description); it will be rerun from its start")
                throw e
            }
            try Interruption.check()
        }
        return (tuner, notes)
    }

    /// The best completed trial among the eligible ones (by the value the tuner was told); when
    /// every completed trial is ineligible, the one with the best own validation value.
    static func bestTrial(tuner: Tuner, notes: [Int: TrialNote]) -> Trial? {
        let done = tuner.trials.filter { $0.status == .completed && $0.value != nil }
        func better(_ a: Trial, _ b: Trial, _ v: (Trial) -> Double) -> Bool { v(a) > v(b) || (v(a) == v(b) && a.index < b.index) }
        let eligible = done.filter { notes[$0.index]?.ineligible == nil }
        if let b = eligible.max(by: { better($1, $0, { $0.value! }) }) { return b }
        return done.max(by: { better($1, $0, { notes[$0.index]?.validation ?? $0.value! }) })
    }

    /// `hyperparameters.txt` (first line `OBJECTIVE,value`, then `name,value`) and `dataframe.csv`.
    /// Without validation (`validated` false, `--typeChIP three`) the trial's value is no objective
    /// and the first line reads `OBJECTIVE,nan`.
    static func writeOriginalOutputs(tuner: Tuner, best: Trial, objective: TuningObjective, notes: [Int: TrialNote], dir: String,
                                     validated: Bool) throws {
        let value = validated ? "\(notes[best.index]?.validation ?? best.value!)" : "nan"
        var txt = "\(objective.rawValue.uppercased()),\(value)\n"
        for p in tuner.space.parameters { txt += "\(p.name),\(best.parameters[p.name]!.description)\n" }
        try AtomicFile.write(txt, to: (dir as NSString).appendingPathComponent("hyperparameters.txt"))
        let table = tuner.csvTable().split(separator: "\n", omittingEmptySubsequences: false)
        var csv = ""
        for (i, line) in table.enumerated() where !line.isEmpty {
            if i == 0 { csv += line + ",best_epoch,epochs_run,stopped_early,seconds,trial_validation,cell_type_sensitivity,not_eligible\n"; continue }
            let idx = Int(line.split(separator: ",").first ?? "") ?? -1
            let n = notes[idx]
            csv += line + ",\(n.map { String($0.bestEpoch) } ?? ""),\(n.map { String($0.epochsRun) } ?? ""),\(n?.stopped ?? ""),\(n.map { String(format: "%.2f", $0.seconds) } ?? "")"
            csv += ",\(n?.validation.map { String($0) } ?? ""),\(n?.cellTypeSensitivity.map { String(format: "%.3g", $0) } ?? ""),\(n?.ineligible.map { "\"\($0)\"" } ?? "")\n"
        }
        try AtomicFile.write(csv, to: (dir as NSString).appendingPathComponent("dataframe.csv"))
    }

    static func int(_ t: Trial, _ k: String) -> Int { Int(t.parameters[k]!.doubleValue!) }
    static func double(_ t: Trial, _ k: String) -> Double { t.parameters[k]!.doubleValue! }
}

extension PipelineOptions {
    /// The directories a stage writes to (its tuning state, its TF/AB model directory), locked for
    /// the whole stage so that two runs never interleave their files there.
    func lockOutputs() throws -> [OutputLock] {
        try OutputLock.acquire([hyperparameterPath,
                                ((saveModelPath as NSString).appendingPathComponent(tf) as NSString).appendingPathComponent(ab)])
    }
}

public struct TrialNote: Codable, Sendable {
    public var bestEpoch: Int
    public var epochsRun: Int
    public var stopped: String?
    public var seconds: Double
    /// The trial's own validation objective (the tuner was told a worse one when it is ineligible).
    public var validation: Double? = nil
    /// Why the trial cannot be selected (e.g. a cell-type blind stage-2 model); nil when eligible.
    public var ineligible: String? = nil
    /// Stage 2: the largest |P(told) − P(not told)| on validation of the trial's model.
    public var cellTypeSensitivity: Double? = nil
    enum CodingKeys: String, CodingKey {
        case bestEpoch = "best_epoch", epochsRun = "epochs_run", stopped, seconds, validation, ineligible
        case cellTypeSensitivity = "cell_type_sensitivity"
    }
}

/// `s` with line breaks escaped, for a one-line message.
func oneLine(_ s: String) -> String {
    s.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
}

public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ m: String) { description = m }
}
