import Foundation
import Genomics
import NeuralNet

/// Throughput of stage-1 training and inference on random one-hot data (L=101, N=4), the
/// figures `make bench` prints and BENCHMARKS.md records.
public enum SpeedBenchmark {
    public struct Row: Codable, Sendable {
        public var channels: Int
        public var batch: Int
        public var seqPerS: Double
        enum CodingKeys: String, CodingKey { case channels, batch, seqPerS = "seq_per_s" }
    }

    public struct Report: Codable, Sendable {
        public var train: [Row]
        public var infer: [Row]
        public var epoch100kS: Double
        public var peakRSSMiB: Double
        public var threads: Int
        public var sequencesHeld: Int
        enum CodingKeys: String, CodingKey {
            case train, infer, epoch100kS = "epoch_100k_s", peakRSSMiB = "peak_rss_mib", threads
            case sequencesHeld = "sequences_held"
        }
    }

    /// Random sequences and labels (seeded).
    public static func randomData(count: Int, length: Int = 101, cellTypes: Int = 4, seed: UInt64 = 1) -> (EncodedSequences, [UInt8]) {
        var rng = SeededRandom(seed: seed)
        var codes = [UInt8](repeating: 0, count: count * length)
        var i = 0
        while i < codes.count {
            var r = rng.next()
            for _ in 0..<min(32, codes.count - i) { codes[i] = UInt8(r & 3); r >>= 2; i += 1 }
        }
        let labels = (0..<(count * cellTypes)).map { _ in UInt8(rng.below(2)) }
        return (EncodedSequences(length: length, codes: codes), labels)
    }

    /// Times `body` repeatedly for at least `seconds` after one warm-up call; returns calls per second.
    static func rate(seconds: Double, _ body: () -> Void) -> Double {
        body()
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return Double(calls) / elapsed
    }

    public static func run(threads: Int, seconds: Double = 2, heldSequences: Int = 1_000_000,
                           log: ((String) -> Void)? = nil) -> Report {
        let N = 4, L = 101
        let (seqs, labels) = randomData(count: heldSequences, length: L, cellTypes: N)
        var train: [Row] = [], infer: [Row] = []
        for C in [16, 100] {
            for batch in [64, 256] {
                let model = Stage1Model(architecture: Stage1Architecture(channels: C, cellTypes: N, sequenceLength: L),
                                        convStd: 0.1, linearStd: 0.1, seed: 1)
                let trainer = Stage1Trainer(model: model, optimizer: Adam(learningRate: 1e-4), loss: .basset, threads: threads)
                var rng = SeededRandom(seed: 2)
                let steps = rate(seconds: seconds) {
                    let rows = (0..<batch).map { _ in rng.below(heldSequences) }
                    var t = [UInt8](); t.reserveCapacity(batch * N)
                    for r in rows { t.append(contentsOf: labels[(r * N)..<(r * N + N)]) }
                    trainer.step(seqs, rows: rows, targets: t)
                }
                train.append(Row(channels: C, batch: batch, seqPerS: steps * Double(batch)))
                log?("train C=\(C) batch=\(batch): \(Int(steps * Double(batch))) seq/s")
            }
            let model = Stage1Model(architecture: Stage1Architecture(channels: C, cellTypes: N, sequenceLength: L),
                                    convStd: 0.1, linearStd: 0.1, seed: 1)
            let rows = Array(0..<1024)
            let calls = rate(seconds: seconds) { _ = model.logits(seqs, indices: rows, threads: threads) }
            infer.append(Row(channels: C, batch: 1024, seqPerS: calls * 1024))
            log?("infer C=\(C) batch=1024: \(Int(calls * 1024)) seq/s")
        }
        // One epoch over 100k sequences at C=100, 256 sequences (128 balanced pairs) per step.
        let model = Stage1Model(architecture: Stage1Architecture(channels: 100, cellTypes: N, sequenceLength: L),
                                convStd: 0.1, linearStd: 0.1, seed: 1)
        let trainer = Stage1Trainer(model: model, optimizer: Adam(learningRate: 1e-4), loss: .basset, threads: threads)
        let start = DispatchTime.now().uptimeNanoseconds
        var rng = SeededRandom(seed: 3)
        var done = 0
        while done < 100_000 {
            let b = min(256, 100_000 - done)
            let rows = (0..<b).map { _ in rng.below(100_000) }
            var t = [UInt8](); t.reserveCapacity(b * N)
            for r in rows { t.append(contentsOf: labels[(r * N)..<(r * N + N)]) }
            trainer.step(seqs, rows: rows, targets: t)
            done += b
        }
        let epoch = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        log?(String(format: "one epoch over 100k sequences at C=100: %.2f s", epoch))
        return Report(train: train, infer: infer, epoch100kS: epoch, peakRSSMiB: peakRSSMiB(), threads: threads,
                      sequencesHeld: heldSequences)
    }

    /// Peak resident set size of this process (VmHWM), in MiB; 0 where /proc is absent.
    public static func peakRSSMiB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
