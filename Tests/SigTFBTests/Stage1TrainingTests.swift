import Foundation
import Genomics
import NeuralNet
import Storage
import XCTest
@testable import SigTFB

/// A synthetic two-cell-type data set: a motif for each cell type planted in random DNA.
func plantedDataset(count: Int, seed: UInt64, length: Int = 101) -> BassetDataset {
    var rng = SeededRandom(seed: seed)
    let motifs: [[UInt8]] = [Array("GGGACTTTCCA".utf8).map { BaseCode.code(ascii: $0)! },
                             Array("TGACGTCATCG".utf8).map { BaseCode.code(ascii: $0)! }]
    func make(_ n: Int) -> (EncodedSequences, LabelMatrix) {
        var x = EncodedSequences(length: length)
        var y = LabelMatrix(columns: 2)
        for _ in 0..<n {
            var s = (0..<length).map { _ in UInt8(rng.below(4)) }
            var row: [UInt8] = [0, 0]
            for c in 0..<2 where rng.below(2) == 1 {
                let at = rng.below(length - motifs[c].count)
                for (k, b) in motifs[c].enumerated() { s[at + k] = b }
                row[c] = 1
            }
            x.append(codes: s)
            y.append(row: row)
        }
        return (x, y)
    }
    let (tx, ty) = make(count)
    let (sx, sy) = make(count / 4)
    return BassetDataset(trainIn: tx, trainOut: ty, testIn: sx, testOut: sy,
                         testHeaders: (0..<sx.count).map { "chr1:\($0 * 200)-\($0 * 200 + 101)(+)" },
                         targetLabels: ["cellA", "cellB"])
}

final class Stage1TrainingTests: XCTestCase {
    func testBalancedSamplerDrawsOnePositiveAndOneNegativeRoundRobin() throws {
        let ds = plantedDataset(count: 100, seed: 3)
        var sampler = try BalancedPairSampler(labels: ds.trainOut, indices: Array(0..<80), pairsPerBatch: 7, seed: 9)
        let batches = sampler.epoch()
        XCTAssertEqual(batches.reduce(0) { $0 + $1.rows.count }, 160, "an epoch holds as many pairs as training sequences")
        XCTAssertEqual(batches[0].rows.count, 14, "a batch of 7 holds 7 pairs")
        XCTAssertEqual(batches.last!.rows.count, 2 * (80 - 7 * 11), "the last batch is short, not dropped")
        var expectedCell: Int32 = 0
        for b in batches {
            for p in stride(from: 0, to: b.rows.count, by: 2) {
                let c = b.cellTypes![p]
                XCTAssertEqual(c, expectedCell)
                XCTAssertEqual(b.cellTypes![p + 1], c)
                expectedCell = (expectedCell + 1) % 2
                let labels = [ds.trainOut[b.rows[p], Int(c)], ds.trainOut[b.rows[p + 1], Int(c)]]
                XCTAssertEqual(labels.sorted(), [0, 1], "one positive and one negative for the sampled cell type")
                XCTAssertTrue(b.rows[p] < 80 && b.rows[p + 1] < 80, "only training rows")
            }
        }
    }

    func testBalancedSamplerRejectsACellTypeWithoutPositives() {
        let y = LabelMatrix(columns: 2, values: [1, 0, 0, 0, 1, 0])
        XCTAssertThrowsError(try BalancedPairSampler(labels: y, indices: [0, 1, 2], pairsPerBatch: 2, seed: 1,
                                                     cellTypeNames: ["HepG2", "K562"])) { e in
            XCTAssertTrue("\(e)".contains("K562"), "\(e)")
            XCTAssertTrue("\(e)".contains("0 positives"), "\(e)")
        }
    }

    func testSplitIsSeededAndDisjoint() {
        let a = TrainValidationSplit.split(count: 1000, seed: 5)
        let b = TrainValidationSplit.split(count: 1000, seed: 5)
        let c = TrainValidationSplit.split(count: 1000, seed: 6)
        XCTAssertEqual(a.train, b.train)
        XCTAssertNotEqual(a.validation, c.validation)
        XCTAssertEqual(a.validation.count, 200)
        XCTAssertTrue(Set(a.train).isDisjoint(with: a.validation))
        XCTAssertEqual(Set(a.train).union(a.validation).count, 1000)
    }

    func testItLearnsPlantedMotifsAndIsDeterministic() throws {
        let ds = plantedDataset(count: 600, seed: 11)
        var hp = Stage1Hyperparameters()
        hp.channels = 8; hp.batchSize = 32; hp.epochs = 6; hp.learningRate = 0.01
        hp.convStd = 0.05; hp.linearStd = 0.05; hp.seed = 4
        let r1 = try Stage1Training.run(dataset: ds, hyperparameters: hp, threads: 2)
        XCTAssertGreaterThan(r1.test.macro.auroc!, 0.9, "planted motifs should be learned")
        XCTAssertLessThan(r1.epochs.last!.trainLoss, r1.epochs.first!.trainLoss)
        let r2 = try Stage1Training.run(dataset: ds, hyperparameters: hp, threads: 2)
        XCTAssertEqual(r1.model.parameters, r2.model.parameters, "same seed and threads, same model")
        hp.seed = 5
        let r3 = try Stage1Training.run(dataset: ds, hyperparameters: hp, threads: 2)
        XCTAssertNotEqual(r1.model.parameters, r3.model.parameters)
    }

    func testShuffleSamplerAndOneLossVariantsTrain() throws {
        let ds = plantedDataset(count: 300, seed: 12)
        var hp = Stage1Hyperparameters()
        hp.channels = 8; hp.batchSize = 32; hp.epochs = 2; hp.learningRate = 0.01
        hp.convStd = 0.05; hp.linearStd = 0.05
        hp.sampler = .shuffle; hp.loss = .bce
        XCTAssertEqual(try Stage1Training.run(dataset: ds, hyperparameters: hp, threads: 1).epochs.count, 2)
        hp.loss = .oneLoss
        XCTAssertThrowsError(try Stage1Training.run(dataset: ds, hyperparameters: hp, threads: 1)) { e in
            XCTAssertTrue("\(e)".contains("balanced"), "\(e)")
        }
        hp.sampler = .balanced
        XCTAssertTrue(try Stage1Training.run(dataset: ds, hyperparameters: hp, threads: 1).epochs.allSatisfy { $0.trainLoss.isFinite })
    }

    func testDivergenceIsReportedNotWritten() throws {
        let ds = plantedDataset(count: 200, seed: 13)
        var hp = Stage1Hyperparameters()
        hp.channels = 4; hp.batchSize = 16; hp.epochs = 3; hp.learningRate = 1e30
        hp.convStd = 1; hp.linearStd = 1
        XCTAssertThrowsError(try Stage1Training.run(dataset: ds, hyperparameters: hp, threads: 1)) { e in
            XCTAssertTrue(e is TrainingDiverged, "\(e)")
        }
    }

    func testCheckpointCommittedFromSwiftStillLoadsAndMatchesPyTorchCheckedLogits() throws {
        // Tests/Fixtures/golden/safetensors: written by `sigtfb train-stage1`, checked against PyTorch's
        // load_state_dict by bench/reference/make_safetensors_evidence.sh (pytorch_check.json).
        let evidence = try loadJSON("golden/safetensors/pytorch_check.json")
        XCTAssertEqual(evidence["pass"] as? Bool, true)
        let (model, sidecar) = try Stage1Checkpoint.load(path: fixturePath("golden/safetensors/model.safetensors"))
        XCTAssertEqual(sidecar.cellTypes, ["GM12878", "HepG2", "K562"])
        XCTAssertEqual(sidecar.architecture.channels, 8)
        let expected = try loadJSON("golden/safetensors/expected.json")
        let seqs = encode(expected["sequences"] as! [String])
        // Absolute floor 5e-7, not the default 1e-7: some logits here are near 0 (cancellation), and
        // PyTorch's own float32 logits differ from the float64 result by up to 2.4e-7; any
        // reordering of the conv sums (the trinucleotide kernel's included) moves them by as much
        // (float32 emulation of pair/trinucleotide/tree orders: 2.2e-7 to 3.0e-7 from float64).
        assertClose(model.logits(seqs, threads: 1), (expected["logits"] as! [Any]).flatMap { floats($0) },
                    abs: 5e-7, "logits")
    }

    func testCheckpointRoundTripAndBadFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Stage1Model(architecture: Stage1Architecture(channels: 5, cellTypes: 2), convStd: 0.1, linearStd: 0.1, seed: 1)
        let path = dir.appendingPathComponent("m.safetensors").path
        try Stage1Checkpoint.save(model, cellTypes: ["a", "b"], hyperparameters: nil, trainingData: nil, to: path)
        let (back, side) = try Stage1Checkpoint.load(path: path)
        XCTAssertEqual(back.parameters, model.parameters)
        XCTAssertEqual(side.model, "CNN_Multilabel")
        // Truncated weights: a clear message, no crash.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Stage1Checkpoint.load(path: path)) { e in
            XCTAssertTrue("\(e)".contains("truncated"), "\(e)")
        }
        try FileManager.default.removeItem(atPath: Stage1Checkpoint.sidecarPath(for: path))
        XCTAssertThrowsError(try Stage1Checkpoint.load(path: path)) { e in
            XCTAssertTrue("\(e)".contains("sidecar is missing"), "\(e)")
        }
    }
}
