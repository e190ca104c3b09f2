import Foundation
import Genomics
import NeuralNet
import Storage

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

    /// Windows timed per configuration; the best is reported. The machine is shared and its noise
    /// only ever slows a window down, so the best window is the least disturbed one — the same rule
    /// as the PyTorch reference script (`bench/reference/pytorch_speed.py`, best of 3).
    static let windows = 3

    /// Times `body` repeatedly for at least `seconds` per window after one warm-up call, `windows`
    /// times; returns the best window's calls per second. With `calls`, exactly that many timed
    /// calls in one window instead (a fixed amount of work, for instruction counts under valgrind
    /// or `perf stat`).
    static func rate(seconds: Double, calls fixed: Int? = nil, _ body: () -> Void) -> Double {
        body()
        var best = 0.0
        for _ in 0..<(fixed == nil ? windows : 1) {
            var calls = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                body()
                calls += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            } while fixed.map { calls < $0 } ?? (elapsed < seconds)
            best = max(best, Double(calls) / elapsed)
        }
        return best
    }

    /// `calls`: a fixed number of timed steps per configuration instead of `seconds` each;
    /// `only`: "train", "infer" or "epoch" to run one part (nil: all); `channels`: the C values of
    /// the train and infer parts.
    public static func run(threads: Int, seconds: Double = 2, heldSequences: Int = 1_000_000, calls: Int? = nil,
                           only: String? = nil, channels: [Int] = [16, 100], log: ((String) -> Void)? = nil) -> Report {
        let N = 4, L = 101
        let (seqs, labelValues) = randomData(count: heldSequences, length: L, cellTypes: N)
        let labels = LabelMatrix(columns: N, values: labelValues)
        var train: [Row] = [], infer: [Row] = []
        for C in channels {
            for batch in [64, 256] where only == nil || only == "train" {
                let model = Stage1Model(architecture: Stage1Architecture(channels: C, cellTypes: N, sequenceLength: L),
                                        convStd: 0.1, linearStd: 0.1, seed: 1)
                let trainer = Stage1Trainer(model: model, optimizer: Adam(learningRate: 1e-4), loss: .basset, threads: threads)
                var rng = SeededRandom(seed: 2)
                let steps = rate(seconds: seconds, calls: calls) {
                    let rows = (0..<batch).map { _ in rng.below(heldSequences) }
                    trainer.step(seqs, rows: rows, targets: labels.gather(rows: rows))
                }
                train.append(Row(channels: C, batch: batch, seqPerS: steps * Double(batch)))
                log?("train C=\(C) batch=\(batch): \(Int(steps * Double(batch))) seq/s")
            }
            if only != nil && only != "infer" { continue }
            let model = Stage1Model(architecture: Stage1Architecture(channels: C, cellTypes: N, sequenceLength: L),
                                    convStd: 0.1, linearStd: 0.1, seed: 1)
            let rows = Array(0..<1024)
            let rate = rate(seconds: seconds, calls: calls) { _ = model.logits(seqs, indices: rows, threads: threads) }
            infer.append(Row(channels: C, batch: 1024, seqPerS: rate * 1024))
            log?("infer C=\(C) batch=1024: \(Int(rate * 1024)) seq/s")
        }
        if only != nil && only != "epoch" {
            return Report(train: train, infer: infer, epoch100kS: 0, peakRSSMiB: peakRSSMiB(), threads: threads,
                          sequencesHeld: heldSequences)
        }
        // One epoch over 100k sequences at C=100, 256 sequences (128 balanced pairs) per step.
        let model = Stage1Model(architecture: Stage1Architecture(channels: 100, cellTypes: N, sequenceLength: L),
                                convStd: 0.1, linearStd: 0.1, seed: 1)
        let trainer = Stage1Trainer(model: model, optimizer: Adam(learningRate: 1e-4), loss: .basset, threads: threads)
        let start = DispatchTime.now().uptimeNanoseconds
        var rng = SeededRandom(seed: 3)
        var done = 0
        let epochSize = min(100_000, heldSequences)
        while done < epochSize {
            let b = min(256, epochSize - done)
            let rows = (0..<b).map { _ in rng.below(epochSize) }
            trainer.step(seqs, rows: rows, targets: labels.gather(rows: rows))
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
