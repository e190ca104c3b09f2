import ArgumentParser
import Foundation
import NeuralNet
import SigTFB

extension Stage2FinalModel: ExpressibleByArgument {}

struct Stage2PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage2",
        abstract: "Tune, train and test Net_Stage2 and compute the TF-AB's signature (the original's stage2_pipeline.py).",
        discussion: """
            Bayesian optimisation over the original stage-2 search space on a seeded 80/20 split of the \
            training set; by default the best trial's validated model (its best epoch, selected on the \
            validation split) is evaluated on every (test sequence, cell type) pair told and not told \
            (--final-model guarded-retrain / retrain: retrain on the whole training set, as the original). \
            Writes hyperparameters.txt, dataframe.csv, tuning-state.json (rerunning resumes), \
            best-trial-model.safetensors and SAVE-MODEL-PATH/TF/AB/TF.AB.safetensors (+ .json), \
            metrics.json (final_model says which model was tested), signature.json, signature.tsv.
            """)
    @OptionGroup var args: PipelineArguments
    @Option(name: [.customLong("model-stage1-path"), .customLong("model_stage1_path")], help: "Stage-1 checkpoint (.safetensors with its .json sidecar; a TF.AB.pth.tar path is read as the .safetensors beside it).")
    var modelStage1Path: String
    @Option(help: "Cell-type encoding: E (one-hot, half of each batch not told; default), C (one-hot only), null controls A (random integer vector per cell type), B (one shared random vector), D (random integer vector per instance); A, B, D are half not told too, so the signature is defined for them.")
    var encoding: CellTypeEncoding?
    @Option(help: "Bootstrap replicates for the 95 % intervals.")
    var bootstrap: Int = 2000
    @Option(name: .customLong("final-model"), help: "Model evaluated on the test set: validated (the best trial's best-epoch model; default), guarded-retrain (retrain on all training sequences, kept only if its validation objective is within --retrain-tolerance of the trial's), retrain (the original: retrain, unchecked).")
    var finalModel: Stage2FinalModel = .validated
    @Option(name: .customLong("retrain-tolerance"), help: "guarded-retrain: largest drop of the validation objective accepted.")
    var retrainTolerance: Double = 0.02
    @Flag(name: .customLong("start-at-centre"), help: "Start a new search at the centre of the search space, as Ax does, instead of at a configuration known to train (lr 0.05, linear_std 0.05, momentum 0.09; the centre, lr 3e-4 with linear_std 1e-3, learns nothing about the cell type).")
    var startAtCentre = false

    @OptionGroup(title: "The original's options (stage2_pipeline.py spellings)") var seed: SeedOptions
    @OptionGroup(title: "The original's stage-2 options") var seed2: SeedStage2Options

    func validate() throws {
        try seed.check(stage: 2)
        try seed2.check()
        if seed.typeChIP == .three && finalModel != .validated {
            throw ValidationError("--typeChIP three has no validation split: --final-model \(finalModel.rawValue) cannot be used")
        }
        guard bootstrap >= 1 else { throw ValidationError("--bootstrap must be at least 1") }
        guard retrainTolerance.isFinite else { throw ValidationError("--retrain-tolerance must be a number") }
    }

    func run() throws {
        try CLI.guarded(interruptible: args.hyperparameterPath) {
            var o = args.options
            o.encoding = try seed.encoding(ours: encoding)
            try seed.apply(to: &o, stage: 2)
            seed2.apply(to: &o)
            o.bootstrapReplicates = bootstrap
            o.finalModel = finalModel
            o.retrainTolerance = retrainTolerance
            o.knownGoodFirstTrial = !startAtCentre
            let r = try Stage2Pipeline.run(options: o, stage1Path: SeedOptions.stage1Checkpoint(modelStage1Path, log: CLI.log), log: CLI.log)
            let m = r.signature.macro
            print(String(format: "%@.%@ signature: macro ΔAUROC %.4f [%.4f, %.4f]  p = %.3g  (AUROC told %.4f, not told %.4f)",
                         args.tf, args.ab, m.deltaAUROC, m.ci[0], m.ci[1], m.pValue, m.aurocTold, m.aurocNotTold))
            for name in r.signature.cellTypes {
                let c = r.signature.perCellType[name]!
                print(String(format: "  %@: AUROC told %.4f  not told %.4f  Δ %.4f  p = %.3g  (stage 1 %@)", name, c.aurocTold, c.aurocNotTold,
                             c.deltaAUROC, c.pValue, c.stage1AUROC.map { String(format: "%.4f", $0) } ?? "NaN"))
            }
            for w in r.signature.warnings { print("  warning: \(w)") }
            for line in r.baseline?.summaryLines ?? [] { print(line) }
            if seed.typeChIP == .three {
                print(String(format: "trained on every training sequence (--typeChIP three, no validation); wrote %@ (%.1f s)", r.modelPath, r.seconds))
            } else {
                print(String(format: "best trial %d (validation %@ %.4f); tested model: %@; wrote %@ (%.1f s)", r.best.index + 1, args.objective.rawValue,
                             r.best.value ?? 0, r.finalModel.source, r.modelPath, r.seconds))
            }
        }
    }
}
