import ArgumentParser
import Foundation
import NeuralNet
import SigTFB

/// Measure stage-1 training and inference throughput on random data (what `make bench` runs).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print stage-1 training/inference throughput as JSON (release builds only are meaningful).")

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Seconds per timing window; each configuration is timed in three windows and the best is reported (as the PyTorch reference script does).")
    var seconds: Double = 2

    @Option(help: "Training sequences held in memory while measuring (peak RSS is reported).")
    var held: Int = 1_000_000

    @Option(help: "Run exactly this many timed steps per configuration instead of --seconds (fixed work, for instruction counts).")
    var calls: Int?

    @Option(help: "Run one part only: train, infer or epoch.")
    var only: String?

    @Option(help: "Channel counts of the train and infer parts, comma-separated.")
    var channels: String = "16,100"

    func validate() throws {
        if channels.split(separator: ",").contains(where: { Int($0).map { $0 < 1 } ?? true }) {
            throw ValidationError("--channels must be positive integers separated by commas")
        }
        if let only, !["train", "infer", "epoch"].contains(only) {
            throw ValidationError("--only must be train, infer or epoch")
        }
        if let calls, calls < 1 { throw ValidationError("--calls must be at least 1") }
        // Inference times batches of the first 1,024 held sequences.
        if held < 1024 { throw ValidationError("--held must be at least 1024 (inference's batch), got \(held)") }
        if !(seconds > 0) { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() throws {
        let report = SpeedBenchmark.run(threads: threads ?? Parallel.availableCores, seconds: seconds,
                                        heldSequences: held, calls: calls, only: only,
                                        channels: channels.split(separator: ",").map { Int($0)! }, log: CLI.log)
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try e.encode(report), as: UTF8.self))
    }
}
