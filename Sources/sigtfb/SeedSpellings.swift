import ArgumentParser
import Foundation
import NeuralNet
import SigTFB
import Tuning

// The original's command lines (utils/args.py of SigTFB), accepted by `sigtfb stage1` and
// `sigtfb stage2` beside our own spellings, so that `python classification/stage1_pipeline.py`
// can be replaced by `sigtfb stage1` in a job script and nothing else changes.

/// The original's boolean strings: it passed `--shuffle True` and evaluated the string.
enum SeedBool: String, ExpressibleByArgument, CaseIterable {
    case `true` = "True", `false` = "False"

    init?(argument: String) {
        switch argument {
        case "True", "true": self = .true
        case "False", "false": self = .false
        default: return nil
        }
    }
    var value: Bool { self == .true }
}

/// `--Encoding_Random`: ours A–E, and the original's `test_both`.
enum SeedEncoding: String, ExpressibleByArgument, CaseIterable {
    case A, B, C, D, E
    case testBoth = "test_both"

    var encoding: CellTypeEncoding {
        switch self {
        case .A: return .randomPerCellType
        case .B: return .sharedRandom
        case .C: return .oneHot
        case .D: return .randomPerInstance
        case .E, .testBoth: return .oneHotHalfNotTold
        }
    }
}

enum SeedLoss: String, ExpressibleByArgument, CaseIterable {
    case BASSET, BCE
}

enum SeedModelName: String, ExpressibleByArgument, CaseIterable {
    case Net, Net_NoLayers, Net_OneLayer
}

extension ChIPDivision: ExpressibleByArgument {}
extension ReverseComplementMode: ExpressibleByArgument {}

/// Options of the original's `getArgs_Common`, shared by stage 1 and stage 2.
struct SeedOptions: ParsableArguments {
    @Option(name: .customLong("typeChIP"), help: "one: train/validation/test as given by the file (needs valid_in); two: seeded 80/20 split of train_in (default); three: train on all of train_in, no validation, nothing tuned (hyperparameters as given, else the original's defaults).")
    var typeChIP: ChIPDivision = .two
    @Option(name: .customLong("idxPath"), help: "Directory: each trial N's training/validation rows of train_in (0-based) go to DIR/TF/AB/train<N>.txt and valid<N>.txt, and are read back instead when present (--typeChIP two).")
    var idxPath: String?
    @Option(name: .customLong("Encoding_Random"), help: "Stage 2 cell-type encoding A|B|C|D|E|test_both (= --encoding; test_both trains as E and tests every sequence told and not told, which stage 2 always does). Stage 1: no effect, as the original.")
    var encodingRandom: SeedEncoding?
    @Option(name: .customLong("customSampler"), help: "True|False. Stage 1: True = balanced pairs (one bound, one unbound sequence per cell type, round-robin; our default), False = plain shuffled batches. Stage 2: no effect (it draws a random cell type per sequence, so the original's pairs were lost there too).")
    var customSampler: SeedBool?
    @Option(name: .customLong("customSampler_OneLoss"), help: "True|False. Stage 1: True = only each sequence's sampled cell type counts in the loss (needs --customSampler True). The original's default was True; ours is False (the full Basset loss). Stage 2: no effect, as the original.")
    var customSamplerOneLoss: SeedBool?
    @Option(name: .customLong("unique"), help: "True|False: train and validate only on peaks bound in exactly one cell type (the test set is unchanged).")
    var unique: SeedBool?
    @Option(name: .customLong("shuffle"), help: "True|False. Stage 1: add a dinucleotide-shuffled copy (Altschul-Erickson) of every training sequence to its batch, unbound everywhere (the original also added them to validation batches; ours keep validation real). Stage 2: no effect, as the original.")
    var shuffle: SeedBool?
    @Option(name: .customLong("upsampleRows"), help: "True|False: top up every label pattern of the training rows to the most frequent pattern's count (drawn with replacement; validation untouched, where the original upsampled before the split).")
    var upsampleRows: SeedBool?
    @Option(name: .customLong("lossFunction"), help: "BASSET (default) or BCE (mean binary cross-entropy). Stage 1 only; stage 2 always uses NLL, as the original.")
    var lossFunction: SeedLoss?
    @Option(name: .customLong("learning_rate"), help: "Fixes learning_rate (not tuned). The original read it only as a default overridden by the tuner.")
    var learningRate: Double?
    @Option(name: .customLong("momentum_rate"), help: "Stage 2: fixes momentum_rate (SGD, Nesterov). Stage 1 (Adam): no effect, as the original.")
    var momentumRate: Double?
    @Option(name: .customLong("weight_decay"), help: "Fixes weight_decay (not tuned).")
    var weightDecay: Double?
    @Option(name: .customLong("dropout_prob"), help: "Stage 2: fixes dropout_prob. Stage 1 (no dropout layer): no effect, as the original.")
    var dropoutProb: Double?
    @Option(name: .customLong("conv_std"), help: "Fixes conv_std, the std of the conv weights' initialisation (stage 2: inert, the stage-1 conv is loaded).")
    var convStd: Double?
    @Option(name: .customLong("linear_std"), help: "Fixes linear_std, the std of the linear weights' initialisation.")
    var linearStd: Double?
    @Option(name: .customLong("batch_size"), help: "Fixes batch_size (pairs per batch with the balanced sampler).")
    var batchSize: Int?
    @Option(name: .customLong("num_epochs"), help: "Fixes num_epochs (still capped by --max-epochs).")
    var numEpochs: Int?
    @Option(name: .customLong("num_channels"), help: "Fixes num_channels, the conv filters (stage 2: inert, the stage-1 model fixes them).")
    var numChannels: Int?
    @Option(name: .customLong("seq_length"), help: "Checked against the file's sequence length (data error if they differ; the original built a model of this length regardless).")
    var seqLength: Int?
    @Option(name: .customLong("num_units"), help: "Ignored: taken from the file's cell types (the original overwrote it the same way).")
    var numUnits: Int?
    @Option(name: .customLong("num_cell_types"), help: "Ignored: taken from the file's cell types (the original overwrote it the same way).")
    var numCellTypes: Int?
    @Option(name: .customLong("reverse-complement"), help: "Ours (the original left it a stub): augment = train on both strands and average predictions over them; average = average only at evaluation (stage 2: the test set); off (default).")
    var reverseComplement: ReverseComplementMode = .off
    @Flag(name: .customLong("saveModelBool"), help: "Accepted; the model is always saved (the original read this flag nowhere).")
    var saveModelBool = false
    @Flag(name: .customLong("savePlotBool"), help: "Accepted; no effect: learning curves are always in curves.json and the HTML report (the original read this flag nowhere).")
    var savePlotBool = false
    @Flag(name: .customLong("baseline"), help: "Also write baseline.json: the best constant prediction per cell type (its training prevalence) vs the model on the test set.")
    var baseline = false
    @Flag(name: .customLong("dataDivided"), help: "Accepted; no effect (the original read it nowhere): use --typeChIP one for a file's own validation set.")
    var dataDivided = false
    @Flag(name: .customLong("sampleData"), help: "Quick tests: at most 10k training and 1k validation sequences (seeded sample).")
    var sampleData = false

    /// Usage checks (exit 2).
    func check(stage: Int) throws {
        func positive(_ v: Double?, _ n: String) throws {
            if let v, !(v > 0 && v.isFinite) { throw ValidationError("--\(n) must be a positive number (got \(v))") }
        }
        try positive(learningRate, "learning_rate")
        try positive(convStd, "conv_std")
        try positive(linearStd, "linear_std")
        if let v = weightDecay, !(v >= 0 && v.isFinite) { throw ValidationError("--weight_decay must be ≥ 0 (got \(v))") }
        if let v = momentumRate, !(v >= 0 && v < 1) { throw ValidationError("--momentum_rate must be in [0, 1) (got \(v))") }
        if let v = dropoutProb, !(v >= 0 && v < 1) { throw ValidationError("--dropout_prob must be in [0, 1) (got \(v))") }
        for (n, v) in [("batch_size", batchSize), ("num_epochs", numEpochs), ("num_channels", numChannels), ("seq_length", seqLength),
                       ("num_units", numUnits), ("num_cell_types", numCellTypes)] {
            if let v, v < 1 { throw ValidationError("--\(n) must be at least 1 (got \(v))") }
        }
        if let c = numChannels, c > 4096 { throw ValidationError("--num_channels must be at most 4096 (got \(c))") }
        if let L = seqLength, L < 24 { throw ValidationError("--seq_length must be at least 24, the conv width (got \(L))") }
        if idxPath != nil && typeChIP != .two {
            throw ValidationError("--idxPath records the train/validation split of --typeChIP two; --typeChIP \(typeChIP.rawValue) has none")
        }
        if stage == 1 {
            if customSamplerOneLoss == .true && customSampler == .false {
                throw ValidationError("--customSampler_OneLoss True counts each sequence's sampled cell type, so it needs --customSampler True")
            }
            if customSamplerOneLoss == .true && lossFunction == .BCE {
                throw ValidationError("--customSampler_OneLoss True works with --lossFunction BASSET (the original's BCE variant could not run: nn.BCELoss(reduction=\"None\"))")
            }
        }
    }

    /// Stage 2's encoding: `--encoding` or `--Encoding_Random` (they must agree when both are given).
    func encoding(ours: CellTypeEncoding?) throws -> CellTypeEncoding {
        if let s = encodingRandom?.encoding, let o = ours, s != o {
            throw CLIError.usage("--encoding \(o.rawValue) and --Encoding_Random \(encodingRandom!.rawValue) disagree")
        }
        return encodingRandom?.encoding ?? ours ?? .oneHotHalfNotTold
    }

    /// The hyperparameters given, by search-space name.
    var fixedParameters: [String: ParameterValue] {
        var f: [String: ParameterValue] = [:]
        if let v = learningRate { f["learning_rate"] = .double(v) }
        if let v = momentumRate { f["momentum_rate"] = .double(v) }
        if let v = weightDecay { f["weight_decay"] = .double(v) }
        if let v = dropoutProb { f["dropout_prob"] = .double(v) }
        if let v = convStd { f["conv_std"] = .double(v) }
        if let v = linearStd { f["linear_std"] = .double(v) }
        if let v = batchSize { f["batch_size"] = .int(v) }
        if let v = numEpochs { f["num_epochs"] = .int(v) }
        if let v = numChannels { f["num_channels"] = .int(v) }
        return f
    }

    func apply(to o: inout PipelineOptions, stage: Int) throws {
        var d = o.data
        d.division = typeChIP
        d.indexPath = idxPath
        d.uniquePeaks = unique?.value ?? false
        d.upsampleRows = upsampleRows?.value ?? false
        d.sampleData = sampleData
        d.baseline = baseline
        d.reverseComplement = reverseComplement
        d.expectedSequenceLength = seqLength
        if stage == 1 {
            d.dinucleotideShuffle = shuffle?.value ?? false
            d.sampler = customSampler == .false ? .shuffle : .balanced
            if customSamplerOneLoss == .true { d.loss = .oneLoss } else { d.loss = lossFunction == .BCE ? .bce : .basset }
        }
        o.data = d
        o.fixedParameters.merge(fixedParameters) { _, new in new }
    }

    /// The stage-1 checkpoint: a path to the original's `TF.AB.pth.tar` is read as the
    /// `TF.AB.safetensors` that `sigtfb stage1` wrote beside it.
    static func stage1Checkpoint(_ path: String, log: (String) -> Void) -> String {
        guard path.hasSuffix(".pth.tar"), !FileManager.default.fileExists(atPath: path) else { return path }
        let st = String(path.dropLast(".pth.tar".count)) + ".safetensors"
        if FileManager.default.fileExists(atPath: st) {
            log("\(path) does not exist; reading \(st) (sigtfb stage1 writes safetensors)")
            return st
        }
        return path
    }
}

/// Options of the original's `getArgs_Stage2` beyond the common ones.
struct SeedStage2Options: ParsableArguments {
    @Option(name: .customLong("modelname"), help: "Net (default): Net_Stage2 with --num_hidden_layers hidden layers (default 1); Net_OneLayer: exactly one; Net_NoLayers: none (= --num_hidden_layers 0). The original only ever built Net_Stage2.")
    var modelname: SeedModelName?
    @Option(name: .customLong("num_hidden_layers"), help: "Hidden layers after the concatenation, 0...8 (default 1 = Net_Stage2's fc3; 0 = Net_NoLayers; more add fc3_2/bn3_2, …). The original only ever built Net_Stage2.")
    var numHiddenLayers: Int?
    @Option(name: .customLong("neurons_per_layer"), help: "Fixes neurons_per_layer, the width of the hidden layers after the concatenation (not tuned; inert with Net_NoLayers).")
    var neuronsPerLayer: Int?
    @Option(name: .customLong("neurons_per_layer_pre_concat"), help: "Fixes neurons_per_layer_pre_concat, the cell-type branch's width (not tuned).")
    var neuronsPerLayerPreConcat: Int?
    @Flag(name: .customLong("freeze_pretrained_model"), help: "Fixes freeze_pretrained_model = true (not tuned). In the original the tuner's choice overrode this flag.")
    var freezePretrainedModel = false
    @Flag(name: .customLong("sigmoid_bool"), help: "Accepted; no effect: Net_Stage2 ends in LogSoftmax + NLL, as in the original (where this flag changed only an unused accuracy helper).")
    var sigmoidBool = false
    @Flag(name: .customLong("dropout_bool"), help: "Accepted; no effect: dropout is set by dropout_prob (the original read this flag nowhere).")
    var dropoutBool = false
    @Flag(name: .customLong("concatRNA_epoch"), help: "Accepted; no effect (the original read it nowhere): each training sequence gets a random cell type per batch.")
    var concatRNAEpoch = false
    @Flag(name: .customLong("concatRNA_batch"), help: "Accepted; no effect (the original read it nowhere): each training sequence gets a random cell type per batch.")
    var concatRNABatch = false

    /// The head's hidden layers: --num_hidden_layers, else 0 for Net_NoLayers and 1 for Net / Net_OneLayer.
    var hiddenLayers: Int { numHiddenLayers ?? (modelname == .Net_NoLayers ? 0 : 1) }

    func check() throws {
        if let n = numHiddenLayers, !(0...Stage2Architecture.maxHiddenLayers).contains(n) {
            throw ValidationError("--num_hidden_layers must be in 0...\(Stage2Architecture.maxHiddenLayers) (got \(n))")
        }
        if modelname == .Net_NoLayers, let n = numHiddenLayers, n != 0 {
            throw ValidationError("--modelname Net_NoLayers has no hidden layer but --num_hidden_layers is \(n): give one of them")
        }
        if modelname == .Net_OneLayer, let n = numHiddenLayers, n != 1 {
            throw ValidationError("--modelname Net_OneLayer has one hidden layer but --num_hidden_layers is \(n): give one of them")
        }
        for (n, v) in [("neurons_per_layer", neuronsPerLayer), ("neurons_per_layer_pre_concat", neuronsPerLayerPreConcat)] {
            if let v, v < 1 || v > 4096 { throw ValidationError("--\(n) must be in 1...4096 (got \(v))") }
        }
    }

    func apply(to o: inout PipelineOptions) {
        o.numHiddenLayers = hiddenLayers
        if let v = neuronsPerLayer { o.fixedParameters["neurons_per_layer"] = .int(v) }
        if let v = neuronsPerLayerPreConcat { o.fixedParameters["neurons_per_layer_pre_concat"] = .int(v) }
        if freezePretrainedModel { o.fixedParameters["freeze_pretrained_model"] = .bool(true) }
    }
}
