import Foundation
import Genomics
import NeuralNet
import Storage
import XCTest
@testable import SigTFB

/// Issue 9: a checkpoint is two files renamed one after the other; a kill between the two renames
/// must not let one save's weights load with another save's sidecar.
final class CheckpointPairTests: XCTestCase {

    func testStage1PairFromDifferentSavesIsRefused() throws {
        let d = scratchDirectory("pair")
        let arch = Stage1Architecture(channels: 4, cellTypes: 2, sequenceLength: 30, convWidth: 5)
        let a = Stage1Model(architecture: arch, convStd: 0.1, linearStd: 0.1, seed: 1)
        let b = Stage1Model(architecture: arch, convStd: 0.1, linearStd: 0.1, seed: 2)
        try Stage1Checkpoint.save(a, cellTypes: ["x", "y"], hyperparameters: nil, trainingData: nil, to: d + "/a.safetensors")
        try Stage1Checkpoint.save(b, cellTypes: ["x", "y"], hyperparameters: nil, trainingData: nil, to: d + "/b.safetensors")
        XCTAssertEqual(try Stage1Checkpoint.load(path: d + "/a.safetensors").model.parameters, a.parameters)
        // The state a kill between the renames leaves: the next save's sidecar, the previous save's weights.
        try FileManager.default.removeItem(atPath: d + "/a.json")
        try FileManager.default.copyItem(atPath: d + "/b.json", toPath: d + "/a.json")
        XCTAssertThrowsError(try Stage1Checkpoint.load(path: d + "/a.safetensors")) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("a.safetensors") && m.contains("a.json") && m.contains("different saves") && !m.contains("\n"), m)
        }
        // Files of older versions carry no tag and still load.
        var side = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/b.json"))) as! [String: Any]
        side.removeValue(forKey: "weights_tag")
        try JSONSerialization.data(withJSONObject: side).write(to: URL(fileURLWithPath: d + "/a.json"))
        XCTAssertEqual(try Stage1Checkpoint.load(path: d + "/a.safetensors").model.parameters, a.parameters)
    }

    func testStage2PairFromDifferentSavesIsRefused() throws {
        let d = scratchDirectory("pair")
        let data = Stage2PipelineTests.tinyDataset(n: 16, test: 4, seed: 2)
        let s1 = Stage2PipelineTests.stage1(data)
        let arch = Stage2Architecture(channels: 8, cellTypes: 2, preConcat: 3, hidden: 4, sequenceLength: 40, convWidth: 6)
        let a = Stage2Model(architecture: arch, stage1: s1, linearStd: 0.2, freezeStage1: true, seed: 1)
        let b = Stage2Model(architecture: arch, stage1: s1, linearStd: 0.2, freezeStage1: true, seed: 2)
        try Stage2Checkpoint.save(a, cellTypes: ["CT_A", "CT_B"], hyperparameters: Stage2Hyperparameters(), to: d + "/a.safetensors")
        try Stage2Checkpoint.save(b, cellTypes: ["CT_A", "CT_B"], hyperparameters: Stage2Hyperparameters(), to: d + "/b.safetensors")
        XCTAssertEqual(try Stage2Checkpoint.load(path: d + "/a.safetensors").model.head, a.head)
        try FileManager.default.removeItem(atPath: d + "/a.json")
        try FileManager.default.copyItem(atPath: d + "/b.json", toPath: d + "/a.json")
        XCTAssertThrowsError(try Stage2Checkpoint.load(path: d + "/a.safetensors")) { e in
            XCTAssertTrue("\(e)".contains("different saves"), "\(e)")
        }
        // The weights file names its tag in the safetensors metadata (PyTorch ignores it).
        XCTAssertNotNil(try Safetensors.read(path: d + "/b.safetensors").metadata[CheckpointPair.metadataKey])
    }
}
