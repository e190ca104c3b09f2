import Foundation
import Tuning
import NeuralNet
import Storage

/// Hyperparameters of a stage-1 training run (names as the original's `args`).
public struct Stage1Hyperparameters: Codable, Sendable, Equatable {
    public var channels: Int = 64
    /// Balanced sampler: pairs per batch (2× sequences). Shuffled sampler: sequences per batch.
    public var batchSize: Int = 128
    public var epochs: Int = 20
    public var learningRate: Double = 1e-3
    public var weightDecay: Double = 0
    public var convStd: Double = 0.01
    public var linearStd: Double = 0.01
    public var sampler: SamplerKind = .balanced
    public var loss: MultiLabelLoss = .basset
    public var seed: UInt64 = 1
    public var validationFraction: Double = 0.2

    public enum SamplerKind: String, Codable, Sendable, CaseIterable { case balanced, shuffle }

    public init() {}

    enum CodingKeys: String, CodingKey {
        case channels = "num_channels", batchSize = "batch_size", epochs = "num_epochs", learningRate = "learning_rate"
        case weightDecay = "weight_decay", convStd = "conv_std", linearStd = "linear_std", sampler, loss, seed
        case validationFraction = "validation_fraction"
    }
}

/// The JSON sidecar written next to `model.safetensors`.
public struct CheckpointSidecar: Codable, Sendable {
    public var format = "sigtfb-checkpoint-1"
    public var model: String
    public var stage: Int
    public var architecture: Stage1Architecture
    public var cellTypes: [String]
    public var hyperparameters: Stage1Hyperparameters?
    public var seed: UInt64?
    public var trainingData: TrainingData?
    public var created: String
    public var sigtfbVersion: String
    /// `CheckpointPair.tag` of the weights saved with this sidecar (nil in files of older versions).
    public var weightsTag: String? = nil

    public struct TrainingData: Codable, Sendable {
        public var file: String
        public var sha256: String
        public var sequences: Int
        public init(file: String, sha256: String, sequences: Int) {
            self.file = file; self.sha256 = sha256; self.sequences = sequences
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, model, stage, architecture, cellTypes = "cell_types", hyperparameters, seed
        case trainingData = "training_data", created, sigtfbVersion = "sigtfb_version", weightsTag = "weights_tag"
    }
}

/// A checkpoint is two files, the JSON sidecar and the safetensors weights, each written atomically
/// but one after the other (sidecar first). Both carry a tag computed from the weights, so a pair
/// whose second rename never happened (the process was killed in between) is refused with a clear
/// message instead of loading weights with another save's description.
public enum CheckpointPair {
    /// Metadata key of the tag in the safetensors header.
    public static let metadataKey = "sigtfb_weights_tag"

    /// SHA-256 (first 16 hex digits) of the tensors' names, shapes and values.
    public static func tag(_ tensors: [StoredTensor]) -> String {
        var d = SHA256Digest()
        for t in tensors {
            d.update(Array(t.name.utf8)); d.update([0])
            for x in t.shape { withUnsafeBytes(of: UInt64(x).littleEndian) { d.update(Array($0)) } }
            t.values.withUnsafeBytes { d.update(Array($0)) }
        }
        return String(d.hexDigest().prefix(16))
    }

    /// Throws when both files carry a tag and the tags differ.
    public static func check(sidecarTag: String?, metadata: [String: String], weightsPath: String, sidecarPath: String) throws {
        guard let a = sidecarTag, let b = metadata[metadataKey], a != b else { return }
        throw ModelError("\(weightsPath) and \(sidecarPath) come from different saves (a write was interrupted between the two files); rerun the command that wrote them")
    }
}


public enum SigTFBVersion {
    public static let current = "0.1.0"
}

/// Saving and loading stage-1 models: safetensors with PyTorch names + a JSON sidecar.
public enum Stage1Checkpoint {
    /// `model.safetensors` → `model.json`.
    public static func sidecarPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingPathExtension().appendingPathExtension("json").path
    }

    public static func save(_ model: Stage1Model, cellTypes: [String], hyperparameters: Stage1Hyperparameters?,
                            trainingData: CheckpointSidecar.TrainingData?, to path: String) throws {
        let tensors = zip(model.parameters.names, model.parameters.tensors).map {
            StoredTensor(name: $0.0, shape: $0.1.shape, values: $0.1.data)
        }
        let tag = CheckpointPair.tag(tensors)
        let sidecar = CheckpointSidecar(model: "CNN_Multilabel", stage: 1, architecture: model.architecture,
                                        cellTypes: cellTypes, hyperparameters: hyperparameters,
                                        seed: hyperparameters?.seed, trainingData: trainingData,
                                        created: ISO8601DateFormatter().string(from: Date()),
                                        sigtfbVersion: SigTFBVersion.current, weightsTag: tag)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Sidecar first: a checkpoint is complete once its weights exist, and those land last.
        try AtomicFile.write(try encoder.encode(sidecar), to: sidecarPath(for: path))
        try Safetensors.write(tensors, metadata: ["format": "pt", "model": "CNN_Multilabel", CheckpointPair.metadataKey: tag], to: path)
    }

    public static func load(path: String) throws -> (model: Stage1Model, sidecar: CheckpointSidecar) {
        let side = sidecarPath(for: path)
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError("\(path): no such model file") }
        guard let data = FileManager.default.contents(atPath: side) else {
            throw ModelError("\(side): the model's JSON sidecar is missing (expected next to \(path))")
        }
        if let s = recordedStage(data), s != 1 { throw ModelError("\(side): this is a stage-\(s) model; expected stage 1") }
        let sidecar: CheckpointSidecar
        do {
            sidecar = try UTF8JSON.decode(CheckpointSidecar.self, from: data)
        } catch {
            throw ModelError("\(side): not a valid sigtfb model sidecar: \(describe(error))")
        }
        guard sidecar.stage == 1 else { throw ModelError("\(side): this is a stage-\(sidecar.stage) model; expected stage 1") }
        if let p = sidecar.architecture.problem { throw ModelError("\(side): field 'architecture': \(p)") }
        guard sidecar.cellTypes.count == sidecar.architecture.cellTypes else {
            throw ModelError("\(side): field 'cell_types' names \(sidecar.cellTypes.count) cell types but the architecture has \(sidecar.architecture.cellTypes)")
        }
        if let p = ArchitectureCheck.cellTypeNames(sidecar.cellTypes) { throw ModelError("\(side): field 'cell_types': \(p)") }
        let (tensors, metadata) = try Safetensors.read(path: path)
        try CheckpointPair.check(sidecarTag: sidecar.weightsTag, metadata: metadata, weightsPath: path, sidecarPath: side)
        var params = NamedParameters()
        for t in tensors { params.append(t.name, Tensor(shape: t.shape, data: t.values)) }
        do {
            return (try Stage1Model(architecture: sidecar.architecture, parameters: params), sidecar)
        } catch {
            throw ModelError("\(path): \(error)")
        }
    }

    /// The `stage` a sidecar records, read on its own so that a model of the other stage is named
    /// as such instead of failing on the first field the two formats do not share.
    static func recordedStage(_ sidecar: Data) -> Int? {
        struct StageOnly: Decodable { var stage: Int? }
        return (try? UTF8JSON.decode(StageOnly.self, from: sidecar))?.stage
    }

    /// SHA-256 over the training sequences' codes and labels.
    public static func fingerprint(_ dataset: BassetDataset) -> String {
        var h = SHA256Digest()
        h.update(dataset.trainIn.codes)
        h.update(dataset.trainOut.values)
        return h.hexDigest()
    }
}

/// A short description of a decoding error (which key, where), on one line (the data's own
/// strings, which may hold line breaks, are quoted into the message by Foundation).
func describe(_ error: Error) -> String {
    oneLine(describeDecoding(error))
}

private func describeDecoding(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, let ctx):
        return "missing key '\((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
    case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
        return "wrong type at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))': \(ctx.debugDescription)"
    case DecodingError.dataCorrupted(let ctx):
        return "corrupt JSON at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))': \(ctx.debugDescription)"
    default:
        return "\(error)"
    }
}
