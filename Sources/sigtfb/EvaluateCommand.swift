import ArgumentParser
import Foundation
import Genomics
import NeuralNet
import SigTFB
import Storage

/// Compute metrics of a saved stage-1 model on the test set of an HDF5 file.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a saved stage-1 model on an HDF5 file's test set (and its valid set, if any).")

    @Option(help: "A model.safetensors written by sigtfb (its model.json must sit beside it).")
    var model: String

    @Option(name: .customLong("chip-data"), help: "Basset/SigTFB HDF5 file.")
    var chipData: String

    @Option(help: "Write the metrics as JSON here (default: print only).")
    var out: String?

    @Option(name: .customLong("logits-out"), help: "Also write the test sequences and their logits as JSON ({\"sequences\": [...], \"logits\": [[...]]}), e.g. to check a checkpoint against PyTorch with bench/reference/check_safetensors.py.")
    var logitsOut: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try CLI.guarded {
            let threads = self.threads ?? Parallel.availableCores
            let (m, sidecar) = try Stage1Checkpoint.load(path: model)
            let dataset = try BassetH5.read(path: chipData)
            guard dataset.targetLabels == sidecar.cellTypes else {
                throw CLIError.data("\(chipData): cell types \(dataset.targetLabels) do not match the model's \(sidecar.cellTypes)")
            }
            guard dataset.sequenceLength == m.architecture.sequenceLength else {
                throw CLIError.data("\(chipData): sequences have length \(dataset.sequenceLength), the model expects \(m.architecture.sequenceLength)")
            }
            let test = Stage1Training.evaluate(m, on: EvaluationSplit(sequences: dataset.testIn, labels: dataset.testOut),
                                               cellTypes: dataset.targetLabels, threads: threads).report
            var valid: MultiLabelReport?
            if let vi = dataset.validIn, let vo = dataset.validOut {
                valid = Stage1Training.evaluate(m, on: EvaluationSplit(sequences: vi, labels: vo),
                                                cellTypes: dataset.targetLabels, threads: threads).report
            }
            if let logitsOut {
                let logits = m.logits(dataset.testIn, threads: threads)
                let N = m.architecture.cellTypes
                let doc: [String: Any] = [
                    "sequences": (0..<dataset.testIn.count).map { i in
                        String(dataset.testIn[i].map { $0 == BaseCode.zero ? "Z" : BaseCode.letter($0) }) },
                    "logits": (0..<dataset.testIn.count).map { i in (0..<N).map { Double(logits[i * N + $0]) } },
                ]
                try AtomicFile.write(try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]), to: logitsOut)
            }
            for w in test.warnings { CLI.log("warning: test set: \(w)") }
            if let out { try Stage1Outputs.writeMetrics(validation: valid, test: test, to: out) }
            print(CLI.summary(test, title: "test"))
        }
    }
}
