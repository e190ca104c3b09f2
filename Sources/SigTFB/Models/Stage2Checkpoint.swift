import Foundation
import Tuning
import NeuralNet
import Storage

/// The JSON sidecar of a stage-2 checkpoint.
public struct Stage2Sidecar: Codable, Sendable {
    public var format = "sigtfb-checkpoint-1"
    public var model = "Net_Stage2"
    public var stage = 2
    public var architecture: Stage2Architecture
    public var stage1Architecture: Stage1Architecture
    public var cellTypes: [String]
    public var hyperparameters: Stage2Hyperparameters
    public var created: String
    public var sigtfbVersion: String
    /// `CheckpointPair.tag` of the weights saved with this sidecar (nil in files of older versions).
    public var weightsTag: String? = nil
    enum CodingKeys: String, CodingKey {
        case format, model, stage, architecture, stage1Architecture = "stage1_architecture", cellTypes = "cell_types"
        case hyperparameters, created, sigtfbVersion = "sigtfb_version", weightsTag = "weights_tag"
    }
}

/// Stage-2 checkpoints: safetensors holding the full `state_dict` of Net_Stage2 with PyTorch
/// names (`model_stage1.conv1.weight`, …, `bn1.running_mean`, `bn1.num_batches_tracked` as a
/// 0-d float32, …; the hidden blocks as `fc3.*`/`bn3.*`, `fc3_2.*`/`bn3_2.*`, …) + a JSON sidecar
/// whose `architecture.num_hidden_layers` says how many hidden blocks there are (absent = 1).
public enum Stage2Checkpoint {
    public static func save(_ model: Stage2Model, cellTypes: [String], hyperparameters: Stage2Hyperparameters, to path: String) throws {
        let tensors = model.stateDict.map { StoredTensor(name: $0.0, shape: $0.1.shape, values: $0.1.data) }
        let side = Stage2Sidecar(architecture: model.architecture, stage1Architecture: model.stage1.architecture,
                                 cellTypes: cellTypes, hyperparameters: hyperparameters,
                                 created: ISO8601DateFormatter().string(from: Date()), sigtfbVersion: SigTFBVersion.current,
                                 weightsTag: CheckpointPair.tag(tensors))
        try AtomicFile.write(try Stage1Outputs.jsonEncoder().encode(side), to: Stage1Checkpoint.sidecarPath(for: path))
        try Safetensors.write(tensors, metadata: ["format": "pt", "model": "Net_Stage2", CheckpointPair.metadataKey: side.weightsTag!], to: path)
    }

    public static func load(path: String) throws -> (model: Stage2Model, sidecar: Stage2Sidecar) {
        let sidePath = Stage1Checkpoint.sidecarPath(for: path)
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError("\(path): no such model file") }
        guard let data = FileManager.default.contents(atPath: sidePath) else {
            throw ModelError("\(sidePath): the model's JSON sidecar is missing (expected next to \(path))")
        }
        if let s = Stage1Checkpoint.recordedStage(data), s != 2 {
            throw ModelError("\(sidePath): this is a stage-\(s) model; expected stage 2")
        }
        let side: Stage2Sidecar
        do { side = try UTF8JSON.decode(Stage2Sidecar.self, from: data) } catch {
            throw ModelError("\(sidePath): not a valid sigtfb stage-2 sidecar: \(describe(error))")
        }
        guard side.stage == 2 else { throw ModelError("\(sidePath): this is a stage-\(side.stage) model; expected stage 2") }
        if let p = side.architecture.problem { throw ModelError("\(sidePath): field 'architecture': \(p)") }
        if let p = side.stage1Architecture.problem { throw ModelError("\(sidePath): field 'stage1_architecture': \(p)") }
        guard side.cellTypes.count == side.architecture.cellTypes else {
            throw ModelError("\(sidePath): field 'cell_types' names \(side.cellTypes.count) cell types but the architecture has \(side.architecture.cellTypes)")
        }
        if let p = ArchitectureCheck.cellTypeNames(side.cellTypes) { throw ModelError("\(sidePath): field 'cell_types': \(p)") }
        var all: [String: Tensor] = [:]
        let stored = try Safetensors.read(path: path)
        try CheckpointPair.check(sidecarTag: side.weightsTag, metadata: stored.metadata, weightsPath: path, sidecarPath: sidePath)
        for t in stored.tensors { all[t.name] = Tensor(shape: t.shape, data: t.values) }
        var p1 = NamedParameters(), head = NamedParameters()
        for (name, _) in side.stage1Architecture.parameterShapes {
            guard let t = all["model_stage1." + name] else { throw ModelError("\(path): tensor 'model_stage1.\(name)' is missing") }
            p1.append(name, t)
        }
        for (name, _) in side.architecture.headParameterShapes {
            guard let t = all[name] else { throw ModelError("\(path): tensor '\(name)' is missing") }
            head.append(name, t)
        }
        do {
            let s1 = try Stage1Model(architecture: side.stage1Architecture, parameters: p1)
            let m = try Stage2Model(architecture: side.architecture, stage1: s1, head: head,
                                    bn1: Stage2Model.batchNorm("bn1", features: side.architecture.preConcat, from: all),
                                    hiddenNorms: side.architecture.hiddenNormNames.map {
                                        try Stage2Model.batchNorm($0, features: side.architecture.hidden, from: all)
                                    },
                                    freezeStage1: side.hyperparameters.freezePretrainedModel)
            return (m, side)
        } catch { throw ModelError("\(path): \(error)") }
    }
}
