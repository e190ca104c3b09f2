import ArgumentParser
import Foundation
import NeuralNet
import SigTFB
import Storage

/// Train SigTFB's stage-1 model (CNN_Multilabel) on a Basset/SigTFB HDF5 file with fixed
/// hyperparameters, and evaluate it on the validation and test sets.
struct TrainStage1Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-stage1",
        abstract: "Train the stage-1 CNN on an HDF5 file with fixed hyperparameters.",
        discussion: """
            Writes DIR/model.safetensors (PyTorch parameter names; loads into CNN_Multilabel with \
            load_state_dict) with its sidecar DIR/model.json, DIR/metrics.json (validation and test \
            metrics) and DIR/epochs.csv (loss and validation AUROC/AUPRC per epoch).
            """)

    @Option(name: .customLong("chip-data"), help: "Basset/SigTFB HDF5 file (train_in, train_out, test_in, test_out, target_labels).")
    var chipData: String

    @Option(help: "Output directory.")
    var out: String

    @Option(name: .customLong("num-channels"), help: "Convolution filters C.")
    var numChannels: Int = 64

    @Option(name: .customLong("batch-size"), help: "Pairs per batch with the balanced sampler (2× sequences); sequences per batch with shuffle.")
    var batchSize: Int = 128

    @Option(help: "Passes over the training set.")
    var epochs: Int = 20

    @Option(name: .customLong("learning-rate"), help: "Adam learning rate.")
    var learningRate: Double = 1e-3

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay added to the gradient (torch.optim.Adam semantics).")
    var weightDecay: Double = 0

    @Option(name: .customLong("conv-std"), help: "Std of the normal initialisation of the conv weights (0.01 learned best on the demo data in both this tool and the PyTorch reference; see BENCHMARKS.md).")
    var convStd: Double = 0.01

    @Option(name: .customLong("linear-std"), help: "Std of the normal initialisation of the linear weights.")
    var linearStd: Double = 0.01

    @Option(help: "balanced: one positive and one negative per cell type, round-robin (the original's customSampler); shuffle: plain shuffled batches.")
    var sampler: Stage1Hyperparameters.SamplerKind = .balanced

    @Option(help: "basset: BCE with logits summed over cell types / batch; bce: mean BCE on sigmoid outputs; one-loss: only the sampled cell type's term (the original's customSampler_OneLoss).")
    var loss: MultiLabelLoss = .basset

    @Option(help: "Fraction of train_in held out for validation when the file has no valid_in (0 = none).")
    var validationFraction: Double = 0.2

    @Option(help: "Seed for initialisation, split and sampling.")
    var seed: UInt64 = 1

    @Option(help: "Worker threads (default: all cores). Results are identical for a given seed and thread count.")
    var threads: Int?

    func validate() throws {
        // Upper bounds far above any real use, so that a typo fails here instead of in an allocation.
        guard (1...10_000).contains(numChannels) else { throw ValidationError("--num-channels must be between 1 and 10000") }
        guard (1...1_000_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000000") }
        guard (1...1_000_000).contains(epochs) else { throw ValidationError("--epochs must be between 1 and 1000000") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("--weight-decay must be a finite number ≥ 0") }
        guard convStd > 0, linearStd > 0, convStd.isFinite, linearStd.isFinite else {
            throw ValidationError("--conv-std and --linear-std must be positive finite numbers")
        }
        guard (0..<1).contains(validationFraction) else { throw ValidationError("--validation-fraction must be in [0, 1)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try CLI.guarded {
            var hp = Stage1Hyperparameters()
            hp.channels = numChannels; hp.batchSize = batchSize; hp.epochs = epochs
            hp.learningRate = learningRate; hp.weightDecay = weightDecay
            hp.convStd = convStd; hp.linearStd = linearStd
            hp.sampler = sampler; hp.loss = loss; hp.seed = seed; hp.validationFraction = validationFraction
            let threads = self.threads ?? Parallel.availableCores
            let lock = try OutputLock(directory: out)
            defer { lock.release() }
            let (dataset, report) = try BassetH5.readWithReport(path: chipData)
            CLI.log("read \(chipData): \(dataset.trainIn.count) training, \(dataset.testIn.count) test sequences of length \(dataset.sequenceLength), cell types \(dataset.targetLabels.joined(separator: ", "))"
                    + ((report.quarterNs.values.reduce(0, +) + report.zeroNs.values.reduce(0, +)) > 0
                       ? "; \(report.quarterNs.values.reduce(0, +) + report.zeroNs.values.reduce(0, +)) N positions" : ""))
            let result = try Stage1Training.run(dataset: dataset, hyperparameters: hp, threads: threads, log: CLI.log)
            let modelPath = (out as NSString).appendingPathComponent("model.safetensors")
            try Stage1Checkpoint.save(result.model, cellTypes: dataset.targetLabels, hyperparameters: hp,
                                      trainingData: .init(file: chipData, sha256: Stage1Checkpoint.fingerprint(dataset),
                                                          sequences: dataset.trainIn.count),
                                      to: modelPath)
            try Stage1Outputs.writeEpochs(result.epochs, to: (out as NSString).appendingPathComponent("epochs.csv"))
            try Stage1Outputs.writeMetrics(validation: result.validation, test: result.test,
                                           to: (out as NSString).appendingPathComponent("metrics.json"))
            for w in result.test.warnings { CLI.log("warning: test set: \(w)") }
            print(CLI.summary(result.test, title: "test"))
            print("wrote \(modelPath), metrics.json, epochs.csv")
        }
    }
}
