import Foundation
import Storage
import Tuning

/// Stage 2 with the original's data and hyperparameter options (kept apart from Stage2Pipeline.run).
extension Stage2Pipeline {
    /// The stage-2 search space with the parameters given on the command line fixed (all of them,
    /// with the original's defaults for the others, under `--typeChIP three`). A head without
    /// hidden layers (`numHiddenLayers` 0) has nothing for `neurons_per_layer` to size: unless
    /// given, it is fixed at the known-good first trial's value instead of being searched.
    public static func searchSpace(options o: PipelineOptions) throws -> SearchSpace {
        var fixed = o.fixedParameters
        if o.numHiddenLayers == 0 && o.data.division != .three && fixed["neurons_per_layer"] == nil {
            fixed["neurons_per_layer"] = knownGoodFirstTrial["neurons_per_layer"]!
        }
        return try FixedHyperparameters.apply(try searchSpace(), fixed: fixed, fixAll: o.data.division == .three)
    }

    /// The space and the tuning options: one trial when nothing is left to tune.
    static func tuningSetup(options o: PipelineOptions, plan: DataPlan, log: (String) -> Void) throws -> (SearchSpace, PipelineOptions) {
        if !plan.hasValidation && o.finalModel != .validated {
            throw PipelineError("--typeChIP three trains on every training sequence already; --final-model \(o.finalModel.rawValue) needs a validation split")
        }
        let space = try searchSpace(options: o)
        return (space, FixedHyperparameters.tuningOptions(o, space: space, log: log))
    }

    /// data-plan.json and, with `--baseline`, baseline.json (the constant per cell type vs the
    /// told and not-told predictions on the test set).
    static func writeDataOutputs(plan: DataPlan, trainRows: [Int], predictions p: Stage2Predictions, directory: String) throws -> ConstantBaseline? {
        try plan.writeSummary(to: directory)
        return try plan.writeBaseline(to: directory, trainRows: trainRows, testLabels: p.labels,
                                      predictions: { ["told": p.told, "not_told": p.notTold] })
    }
}
