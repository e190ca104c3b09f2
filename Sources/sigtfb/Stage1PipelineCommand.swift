import ArgumentParser
import Foundation
import NeuralNet
import SigTFB

extension TuningObjective: ExpressibleByArgument {}
extension CellTypeEncoding: ExpressibleByArgument {}

/// Options shared by `sigtfb stage1` and `sigtfb stage2` (the original's argument names).
struct PipelineArguments: ParsableArguments {
    @Option(name: [.customLong("tf"), .customLong("TF")], help: "Transcription factor name (output subdirectory).")
    var tf: String
    @Option(name: [.customLong("ab"), .customLong("AB")], help: "Antibody name (output subdirectory).")
    var ab: String
    @Option(name: [.customLong("chip-data"), .customLong("chipData")], help: "Basset/SigTFB HDF5 file of the TF-AB.")
    var chipData: String
    @Option(name: [.customLong("hyperparameter-path"), .customLong("hyperparameterPath")], help: "Directory for hyperparameters.txt, dataframe.csv and the resumable tuning state (created if missing; the original needed it to exist).")
    var hyperparameterPath: String
    @Option(name: [.customLong("save-model-path"), .customLong("saveModelPath")], help: "Directory under which TF/AB/TF.AB.safetensors (+ .json, metrics.json) are written (the original: TF.AB.pth.tar).")
    var saveModelPath: String
    @Option(help: "Tuning trials (the original: 15).")
    var trials: Int = 15
    @Option(help: "Validation objective to maximise: auprc (default), auroc, accuracy, hamming (the original stage 1's).")
    var objective: TuningObjective = .auprc
    @Option(help: "Seed for the tuner, splits, initialisation and sampling.")
    var seed: UInt64 = 12345
    @Option(help: "Early stopping inside a trial: epochs without improvement of the validation objective (0 = off).")
    var patience: Int = 10
    @Option(name: .customLong("curve-margin"), help: "Stop a trial whose best-so-far validation curve is this far below the best trial's (from epoch 10); negative = off.")
    var curveMargin: Double = 0.05
    @Option(name: .customLong("max-epochs"), help: "Cap num_epochs of every trial and the final run (a reduced budget).")
    var maxEpochs: Int?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard patience >= 0 else { throw ValidationError("--patience must be ≥ 0") }
        if let m = maxEpochs, m < 1 { throw ValidationError("--max-epochs must be at least 1") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        guard curveMargin.isFinite else { throw ValidationError("--curve-margin must be a finite number (negative turns the rule off)") }
        for (n, v) in [("--tf", tf), ("--ab", ab)] where v.isEmpty || v.contains("/") {
            throw ValidationError("\(n) must be a non-empty name without '/'")
        }
    }

    var options: PipelineOptions {
        var o = PipelineOptions(tf: tf, ab: ab, chipData: chipData, hyperparameterPath: hyperparameterPath, saveModelPath: saveModelPath)
        o.trials = trials; o.objective = objective; o.seed = seed; o.patience = patience
        o.curveRule = curveMargin >= 0; o.curveMargin = max(0, curveMargin)
        o.maxEpochs = maxEpochs; o.threads = threads ?? Parallel.availableCores
        return o
    }
}

struct Stage1PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage1",
        abstract: "Tune, train and test the stage-1 CNN (the original's stage1_pipeline.py).",
        discussion: """
            Bayesian optimisation over the original search space (learning_rate, weight_decay, conv_std, \
            linear_std, num_channels, batch_size, num_epochs) on a seeded 80/20 split of the training set, \
            then the final model on the whole training set. Writes HYPERPARAMETER-PATH/hyperparameters.txt, \
            dataframe.csv, tuning-state.json (rerunning the same command resumes) and \
            SAVE-MODEL-PATH/TF/AB/TF.AB.safetensors (+ .json) and metrics.json.
            """)
    @OptionGroup var args: PipelineArguments
    @OptionGroup(title: "The original's options (stage1_pipeline.py spellings)") var seed: SeedOptions

    func validate() throws { try seed.check(stage: 1) }

    func run() throws {
        try CLI.guarded(interruptible: args.hyperparameterPath) {
            var o = args.options
            try seed.apply(to: &o, stage: 1)
            let r = try Stage1Pipeline.run(options: o, log: CLI.log)
            print(CLI.summary(r.test, title: "test"))
            for line in r.baseline?.summaryLines ?? [] { print(line) }
            if r.hasValidation {
                print(String(format: "best trial %d (validation %@ %.4f); wrote %@ (%.1f s)", r.best.index + 1, args.objective.rawValue,
                             r.best.value ?? 0, r.modelPath, r.seconds))
            } else {
                print(String(format: "trained on every training sequence (--typeChIP three, no validation); wrote %@ (%.1f s)", r.modelPath, r.seconds))
            }
        }
    }
}
