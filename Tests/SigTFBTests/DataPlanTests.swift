import Foundation
import Genomics
import NeuralNet
import Storage
import Tuning
import XCTest
@testable import SigTFB

/// The original's data options as library behaviour: --typeChIP, --idxPath, --unique,
/// --upsampleRows, --sampleData, --reverse-complement, fixed hyperparameters, --baseline.
final class DataPlanTests: XCTestCase {
    /// `n` training rows over 3 cell types with skewed label patterns, a validation set of 20.
    func dataset(n: Int = 200, withValid: Bool = true) -> BassetDataset {
        var rng = SeededRandom(seed: 4)
        func make(_ count: Int) -> (EncodedSequences, LabelMatrix) {
            var s = EncodedSequences(length: 30), l = LabelMatrix(columns: 3)
            for i in 0..<count {
                s.append(codes: (0..<30).map { _ in UInt8(rng.below(4)) })
                switch i % 10 {
                case 0, 1, 2, 3: l.append(row: [1, 0, 0])       // 40 %: only A
                case 4, 5: l.append(row: [0, 1, 0])             // 20 %: only B
                case 6: l.append(row: [0, 0, 1])                // 10 %: only C
                case 7: l.append(row: [1, 1, 0])
                case 8: l.append(row: [1, 1, 1])
                default: l.append(row: [0, 0, 0])
                }
            }
            return (s, l)
        }
        let (ti, to) = make(n), (vi, vo) = make(20), (si, so) = make(10)
        return BassetDataset(trainIn: ti, trainOut: to, validIn: withValid ? vi : nil, validOut: withValid ? vo : nil,
                             testIn: si, testOut: so, testHeaders: [], targetLabels: ["A", "B", "C"])
    }

    func options(_ f: (inout DataOptions) -> Void = { _ in }) -> PipelineOptions {
        var o = PipelineOptions(tf: "T", ab: "X", chipData: "d.h5", hyperparameterPath: "hp", saveModelPath: "m")
        f(&o.data)
        return o
    }

    func tempDir() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-plan-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return d
    }

    func testTypeChIPTwoSplitsTrainOneUsesTheFileThreeHasNoValidation() throws {
        let d = dataset()
        let two = try DataPlan.prepare(dataset: d, options: options(), log: { _ in }).split(trial: 0)
        XCTAssertEqual(two.train.count, 160); XCTAssertEqual(two.validation?.rows.count, 40)
        XCTAssertTrue(Set(two.train).isDisjoint(with: two.validation!.rows))
        XCTAssertEqual(two.validation?.sequences, d.trainIn)

        let one = try DataPlan.prepare(dataset: d, options: options { $0.division = .one }, log: { _ in }).split(trial: 0)
        XCTAssertEqual(one.train, Array(0..<200))
        XCTAssertEqual(one.validation?.sequences, d.validIn); XCTAssertEqual(one.validation?.rows, Array(0..<20))
        XCTAssertThrowsError(try DataPlan.prepare(dataset: dataset(withValid: false), options: options { $0.division = .one }, log: { _ in })) {
            XCTAssertTrue("\($0)".contains("--typeChIP one needs a validation set"), "\($0)")
        }

        let three = try DataPlan.prepare(dataset: d, options: options { $0.division = .three }, log: { _ in })
        XCTAssertFalse(three.hasValidation)
        let s = try three.split(trial: 0)
        XCTAssertNil(s.validation); XCTAssertEqual(s.train, Array(0..<200)); XCTAssertEqual(three.finalRows, Array(0..<200))
    }

    func testUniqueKeepsPeaksBoundInExactlyOneCellType() throws {
        let plan = try DataPlan.prepare(dataset: dataset(), options: options { $0.uniquePeaks = true; $0.division = .one }, log: { _ in })
        XCTAssertEqual(plan.baseRows.count, 140)
        for r in plan.baseRows { XCTAssertEqual((0..<3).map { Int(plan.dataset.trainOut[r, $0]) }.reduce(0, +), 1) }
        let s = try plan.split(trial: 0)
        XCTAssertEqual(s.train, plan.baseRows)
        for r in s.validation!.rows { XCTAssertEqual((0..<3).map { Int(s.validation!.labels[r, $0]) }.reduce(0, +), 1) }
    }

    func testUpsampleRowsEqualisesLabelPatternsOfTrainingRowsOnly() throws {
        let plan = try DataPlan.prepare(dataset: dataset(), options: options { $0.upsampleRows = true }, log: { _ in })
        let s = try plan.split(trial: 0)
        var patterns: [[UInt8]: Int] = [:]
        for r in s.train { patterns[(0..<3).map { plan.dataset.trainOut[r, $0] }, default: 0] += 1 }
        XCTAssertEqual(patterns.count, 6)
        XCTAssertEqual(Set(patterns.values).count, 1, "every pattern as frequent as the most frequent: \(patterns)")
        let plain = try DataPlan.prepare(dataset: dataset(), options: options(), log: { _ in }).split(trial: 0)
        XCTAssertTrue(Set(plain.train).isSubset(of: Set(s.train)), "every training row is kept")
        XCTAssertEqual(s.validation?.rows, plain.validation?.rows, "validation is never upsampled")
        XCTAssertEqual(DataPlan.upsample([0, 1, 4], labels: dataset().trainOut, seed: 1).count, 4, "patterns A (2 rows) and B (1 row): B topped up to 2")
    }

    func testSampleDataCapsTrainingAndValidation() throws {
        let plan = try DataPlan.prepare(dataset: dataset(), options: options { $0.sampleData = true; $0.sampleTrain = 50; $0.sampleValidation = 7 },
                                        log: { _ in })
        let s = try plan.split(trial: 0)
        XCTAssertEqual(s.train.count, 50); XCTAssertEqual(s.validation?.rows.count, 7)
        XCTAssertEqual(plan.finalRows.count, 50)
        XCTAssertEqual(try plan.split(trial: 1).train, s.train, "seeded: the same sample every trial")
    }

    func testReverseComplementAugmentAddsTheOtherStrandOfTrainingRowsOnly() throws {
        let d = dataset()
        let plan = try DataPlan.prepare(dataset: d, options: options { $0.reverseComplement = .augment }, log: { _ in })
        XCTAssertEqual(plan.dataset.trainIn.count, 400)
        XCTAssertEqual(plan.dataset.trainIn.subset(200..<400), d.trainIn.reverseComplemented())
        XCTAssertEqual(plan.dataset.trainOut.subset(200..<400), d.trainOut)
        let s = try plan.split(trial: 0)
        XCTAssertEqual(s.train.count, 320)
        XCTAssertEqual(Array(s.train[160...]), s.train[..<160].map { $0 + 200 })
        XCTAssertTrue(s.validation!.rows.allSatisfy { $0 < 200 })
    }

    func testIdxPathWritesEachTrialsSplitAndReusesEditedFiles() throws {
        let dir = tempDir()
        let plan = try DataPlan.prepare(dataset: dataset(), options: options { $0.indexPath = dir }, log: { _ in })
        let s0 = try plan.split(trial: 0)
        let t0 = try String(contentsOfFile: dir + "/T/X/train0.txt", encoding: .utf8)
        XCTAssertEqual(t0.split(separator: "\n").map { Int($0)! }, s0.train)
        XCTAssertEqual(try String(contentsOfFile: dir + "/T/X/valid0.txt", encoding: .utf8).split(separator: "\n").map { Int($0)! }, s0.validation!.rows)
        // Trial 1's files, written by hand (as the original's getIndex read them), are used as given.
        try (0..<100).map(String.init).joined(separator: "\n").write(toFile: dir + "/T/X/train1.txt", atomically: true, encoding: .utf8)
        try (100..<130).map(String.init).joined(separator: "\n").appending("\n").write(toFile: dir + "/T/X/valid1.txt", atomically: true, encoding: .utf8)
        let s1 = try plan.split(trial: 1)
        XCTAssertEqual(s1.train, Array(0..<100)); XCTAssertEqual(s1.validation?.rows, Array(100..<130))
        // Bad files: a row out of range, overlapping rows.
        try "1\n2\n999".write(toFile: dir + "/T/X/train2.txt", atomically: true, encoding: .utf8)
        try "3".write(toFile: dir + "/T/X/valid2.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try plan.split(trial: 2)) { XCTAssertTrue("\($0)".contains("train2.txt line 3: '999' is not a row of train_in"), "\($0)") }
        try "1\n2".write(toFile: dir + "/T/X/train3.txt", atomically: true, encoding: .utf8)
        try "2".write(toFile: dir + "/T/X/valid3.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try plan.split(trial: 3)) { XCTAssertTrue("\($0)".contains("row 2 is also in"), "\($0)") }
    }

    func testSequenceLengthIsChecked() {
        XCTAssertThrowsError(try DataPlan.prepare(dataset: dataset(), options: options { $0.expectedSequenceLength = 101 }, log: { _ in })) {
            XCTAssertTrue("\($0)".contains("length 30, not --seq_length 101"), "\($0)")
        }
    }

    func testGivenHyperparametersAreFixedInTheSearchSpace() throws {
        let space = try Stage2Pipeline.searchSpace()
        let some = try FixedHyperparameters.apply(space, fixed: ["learning_rate": .double(0.01), "freeze_pretrained_model": .bool(true)], fixAll: false)
        XCTAssertEqual(some.parameters.count, space.parameters.count)
        XCTAssertEqual(some.parameters.first { $0.name == "learning_rate" }, .fixed(name: "learning_rate", value: .double(0.01)))
        XCTAssertEqual(some.parameters.first { $0.name == "momentum_rate" }, space.parameters.first { $0.name == "momentum_rate" })
        XCTAssertFalse(FixedHyperparameters.isFixed(some))
        let all = try FixedHyperparameters.apply(space, fixed: ["batch_size": .int(32)], fixAll: true)
        XCTAssertTrue(FixedHyperparameters.isFixed(all))
        XCTAssertEqual(all.parameters.first { $0.name == "batch_size" }, .fixed(name: "batch_size", value: .int(32)))
        XCTAssertEqual(all.parameters.first { $0.name == "num_epochs" }, .fixed(name: "num_epochs", value: .int(100)), "the original's default")
        // An all-fixed space tunes to its one point.
        let tuner = try Tuner(space: all, seed: 1, direction: .maximize)
        XCTAssertEqual(try tuner.ask(count: 1)[0].parameters["batch_size"], .int(32))
    }

    func testBaselineIsTheTrainingPrevalenceAndMinimisesTheLoss() {
        let labels = LabelMatrix(columns: 2, values: [1, 0, 1, 1, 0, 0, 1, 0])   // prevalence 3/4 and 1/4
        let test: [[UInt8]] = [[1, 1, 0, 1], [0, 0, 0, 1]]
        let b = ConstantBaseline.compute(cellTypes: ["a", "b"], trainLabels: labels, trainRows: [0, 1, 2, 3], testLabels: test,
                                         predictions: ["model": [[0.9, 0.8, 0.1, 0.7], [0.5, 0.5, 0.5, 0.5]]])
        let a = b.perCellType["a"]!
        XCTAssertEqual(a.probability, 0.75); XCTAssertEqual(a.logit!, log(3), accuracy: 1e-12)
        XCTAssertEqual(a.baselineAUPRC, 0.75); XCTAssertEqual(a.baselineAccuracy, 0.75)
        XCTAssertEqual(a.baselineLoss, -(3 * log(0.75) + log(0.25)) / 4, accuracy: 1e-12)
        XCTAssertEqual(b.perCellType["b"]!.modelLoss["model"]!, log(2), accuracy: 1e-6)
        // On its own training labels the prevalence beats every other constant.
        let train: [[UInt8]] = [[1, 1, 0, 1], [0, 1, 0, 0]]
        let at = ConstantBaseline.compute(cellTypes: ["a", "b"], trainLabels: labels, trainRows: [0, 1, 2, 3], testLabels: train, predictions: [:])
        for c in ["a", "b"] {
            for q in stride(from: 0.05, through: 0.95, by: 0.05) {
                let p = at.perCellType[c]!.probability
                let y = c == "a" ? train[0] : train[1]
                let other = y.map { ConstantBaseline.bce(q, $0) }.reduce(0, +) / 4
                XCTAssertLessThanOrEqual(at.perCellType[c]!.baselineLoss, other + 1e-12, "\(c): p \(p) vs \(q)")
            }
        }
    }
}
