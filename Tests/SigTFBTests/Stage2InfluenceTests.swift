import Foundation
import Genomics
import NeuralNet
import Storage
import XCTest
@testable import SigTFB

/// Issue 7: the stage-2 influence (change of each cell type's ΔAUROC when a filter is nullified) on
/// a network built by hand, where the answer is known exactly: filter 0 detects GATA and carries
/// cell type A's signature, filter 1 detects CACG and carries B's, filter 2 (TTTT) carries nothing.
final class Stage2InfluenceTests: XCTestCase {
    static let motifs: [[UInt8]] = [[2, 0, 3, 0], [1, 0, 1, 2], [3, 3, 3, 3]]   // GATA, CACG, TTTT

    /// Stage 1: three exact 4-mer detectors (ReLU(matches − 3) is 1 at a full match, else 0).
    static func detectors(length: Int) throws -> Stage1Model {
        let a = Stage1Architecture(channels: 3, cellTypes: 2, sequenceLength: length, convWidth: 4, hidden: 2)
        var p = NamedParameters()
        var w = [Float](repeating: 0, count: 3 * 4 * 4)
        for (f, m) in motifs.enumerated() { for (k, b) in m.enumerated() { w[(f * 4 + Int(b)) * 4 + k] = 1 } }
        p.append("conv1.weight", Tensor(shape: [3, 4, 1, 4], data: w))
        p.append("conv1.bias", Tensor(shape: [3], data: [-3, -3, -3]))
        p.append("fc1.weight", Tensor(zeros: [2, 3])); p.append("fc1.bias", Tensor(zeros: [2]))
        p.append("fc2.weight", Tensor(zeros: [2, 2])); p.append("fc2.bias", Tensor(zeros: [2]))
        return try Stage1Model(architecture: a, parameters: p)
    }

    /// Stage 2 by hand. Cell-type branch: s = ReLU(g_A) − ReLU(g_B) (+1 told A, −1 told B, 0 not told).
    /// Hidden units: h1 = ReLU(f0 + 10 s − 10) (= f0 only when told A), h2 = ReLU(f1 − 10 s − 10)
    /// (= f1 only when told B); logit(bound) − logit(unbound) = 5 (h1 + h2). Not told, every
    /// prediction is the same (AUROC 0.5); told A ranks by GATA, told B by CACG. BatchNorm layers
    /// are identities in eval mode (running mean 0, variance 1, γ 1, β 0).
    static func handModel(stage1: Stage1Model) throws -> Stage2Model {
        let arch = Stage2Architecture(channels: 3, cellTypes: 2, preConcat: 2, hidden: 2, dropout: 0,
                                      sequenceLength: stage1.architecture.sequenceLength, convWidth: 4)
        var h = NamedParameters()
        h.append("fc1.weight", Tensor(shape: [2, 2], data: [1, 0, 0, 1])); h.append("fc1.bias", Tensor(zeros: [2]))
        h.append("bn1.weight", Tensor(shape: [2], data: [1, 1])); h.append("bn1.bias", Tensor(zeros: [2]))
        h.append("fc2.weight", Tensor(shape: [1, 2], data: [1, -1])); h.append("fc2.bias", Tensor(zeros: [1]))
        h.append("fc3.weight", Tensor(shape: [2, 4], data: [1, 0, 0, 10, 0, 1, 0, -10])); h.append("fc3.bias", Tensor(shape: [2], data: [-10, -10]))
        h.append("bn3.weight", Tensor(shape: [2], data: [1, 1])); h.append("bn3.bias", Tensor(zeros: [2]))
        h.append("fc4.weight", Tensor(shape: [2, 2], data: [0, 0, 5, 5])); h.append("fc4.bias", Tensor(zeros: [2]))
        return try Stage2Model(architecture: arch, stage1: stage1, head: h, bn1: BatchNorm1d(features: 2), bn3: BatchNorm1d(features: 2),
                               freezeStage1: true)
    }

    /// Random sequences with GATA and CACG planted independently; labels = whether the 4-mer occurs
    /// anywhere (so filter 0 / 1 are exact classifiers of cell type A / B).
    static func data(count: Int, length: Int, seed: UInt64) -> (EncodedSequences, LabelMatrix) {
        var rng = SeededRandom(seed: seed)
        var s = EncodedSequences(length: length), l = LabelMatrix(columns: 2)
        func has(_ c: [UInt8], _ m: [UInt8]) -> Bool { (0...(c.count - m.count)).contains { i in (0..<m.count).allSatisfy { c[i + $0] == m[$0] } } }
        for _ in 0..<count {
            var c = (0..<length).map { _ in UInt8(rng.below(4)) }
            if rng.below(2) == 1 { c.replaceSubrange(3..<7, with: motifs[0]) }
            if rng.below(2) == 1 { c.replaceSubrange(20..<24, with: motifs[1]) }
            s.append(codes: c)
            l.append(row: [has(c, motifs[0]) ? 1 : 0, has(c, motifs[1]) ? 1 : 0])
        }
        return (s, l)
    }

    func testNullifyingAFilterRemovesExactlyTheSignatureItCarries() throws {
        let (seqs, labels) = Self.data(count: 200, length: 40, seed: 4)
        let model = try Self.handModel(stage1: try Self.detectors(length: 40))
        let inf = Stage2Influence.compute(model: model, cellTypes: ["A", "B"], sequences: seqs, labels: labels, rows: Array(0..<200),
                                          encoding: .oneHotHalfNotTold, seed: 1, nullValues: nil, threads: 2)
        XCTAssertEqual(inf.sequences, 200)
        XCTAssertEqual(inf.baselineDeltaAUROC[0], 0.5, accuracy: 1e-9)   // told AUROC 1, not told 0.5
        XCTAssertEqual(inf.baselineDeltaAUROC[1], 0.5, accuracy: 1e-9)
        let expected: [[Double]] = [[-0.5, 0], [0, -0.5], [0, 0]]
        for f in 0..<3 { for c in 0..<2 { XCTAssertEqual(inf.changeOfDeltaAUROC[f][c], expected[f][c], accuracy: 1e-9, "filter \(f) cell type \(c)") } }
        // Given null values are used as given: nullifying filter 0 at its "present" value 1 also leaves
        // told A constant (every sequence looks GATA-positive).
        let ones = Stage2Influence.compute(model: model, cellTypes: ["A", "B"], sequences: seqs, labels: labels, rows: Array(0..<200),
                                           encoding: .oneHotHalfNotTold, seed: 1, nullValues: [1, 1, 1], threads: 2)
        XCTAssertEqual(ones.changeOfDeltaAUROC[0][0], -0.5, accuracy: 1e-9)
        XCTAssertEqual(ones.changeOfDeltaAUROC[2][1], 0, accuracy: 1e-9)
        XCTAssertTrue(inf.tsv().hasPrefix("filter\tcell_type\tbaseline_delta_auroc\tdelta_auroc_nullified\tchange_of_delta_auroc\n0\tA\t0.5\t0\t-0.5\n"), inf.tsv())
    }

    /// The checkpoint path `sigtfb motifs --stage2-model` takes: same numbers from the saved model,
    /// computed on the data's test split; mismatched cell types are refused with the file named.
    func testInfluenceFromACheckpointOnTheTestSplit() throws {
        let s1 = try Self.detectors(length: 40)
        let model = try Self.handModel(stage1: s1)
        let (train, trainLabels) = Self.data(count: 20, length: 40, seed: 1)
        let (test, testLabels) = Self.data(count: 120, length: 40, seed: 2)
        let d = BassetDataset(trainIn: train, trainOut: trainLabels, testIn: test, testOut: testLabels,
                              testHeaders: (0..<120).map { "chr1:\($0 * 100)-\($0 * 100 + 40)(+)" }, targetLabels: ["A", "B"])
        let dir = scratchDirectory("s2inf")
        try Stage2Checkpoint.save(model, cellTypes: ["A", "B"], hyperparameters: Stage2Hyperparameters(), to: dir + "/m2.safetensors")
        let run = try Stage2Influence.closure(stage2Path: dir + "/m2.safetensors", stage1: s1, cellTypes: ["A", "B"], dataset: d, threads: 1)
        let inf = try run([0.5, 0.5, 0.5])
        XCTAssertEqual(inf.sequences, 120)
        XCTAssertEqual(inf.changeOfDeltaAUROC[0][0], -0.5, accuracy: 1e-9)
        XCTAssertEqual(inf.changeOfDeltaAUROC[1][1], -0.5, accuracy: 1e-9)
        XCTAssertEqual(inf.changeOfDeltaAUROC[0][1], 0, accuracy: 1e-9)
        XCTAssertThrowsError(try Stage2Influence.closure(stage2Path: dir + "/m2.safetensors", stage1: s1, cellTypes: ["A", "C"], dataset: d, threads: 1)) {
            XCTAssertTrue("\($0)".contains("m2.safetensors") && "\($0)".contains("cell types"), "\($0)")
        }
    }
}
