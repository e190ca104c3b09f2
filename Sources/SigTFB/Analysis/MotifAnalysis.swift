import Foundation
import Genomics
import Motifs
import NeuralNet
import Storage

/// Options of `MotifAnalysis.run`.
public struct MotifAnalysisOptions: Sendable {
    public enum Split: String, Sendable, CaseIterable, Codable { case train, test, all }
    public var split: Split = .all
    /// Basset's site rule: activation ≥ fraction × the filter's maximum.
    public var activationFraction: Double = 0.5
    public var maxSites: Int? = nil
    /// Matches kept per filter in `motifs.json`.
    public var topMatches: Int = 5
    /// Columns with less information than this are trimmed from the filter logos and for the
    /// comparison (bits, small-sample corrected).
    public var trimIC: Double = 0.25
    public var nullValue: FilterNullValue = .pooledMean
    public var threads: Int = Parallel.availableCores
    public init() {}
}

/// One filter's entry of `motifs.json`.
public struct FilterMotifSummary: Codable, Sendable {
    public struct Match: Codable, Sendable {
        public var id: String
        public var name: String
        public var p: Double
        public var e: Double
        public var q: Double
        public var strand: String
        public var offset: Int
        public var overlap: Int
    }
    public struct Influence: Codable, Sendable {
        public var rank: Int
        public var nullValue: Double
        public var meanAbsDeltaProbability: [String: Double]
        public var meanDeltaLogit: [String: Double]
        public var deltaLoss: [String: Double]?
        public var totalDeltaLoss: Double?
        enum CodingKeys: String, CodingKey {
            case rank, nullValue = "null_value", meanAbsDeltaProbability = "mean_abs_delta_probability"
            case meanDeltaLogit = "mean_delta_logit", deltaLoss = "delta_loss", totalDeltaLoss = "total_delta_loss"
        }
    }
    public var filter: Int
    public var sites: Int
    public var sequencesWithSite: Int
    public var informationContent: Double
    public var consensus: String
    public var trimmedConsensus: String
    public var maxActivation: Double
    public var meanActivation: Double
    public var matches: [Match]
    public var influence: Influence
    enum CodingKeys: String, CodingKey {
        case filter, sites, sequencesWithSite = "sequences_with_site", informationContent = "ic_total", consensus
        case trimmedConsensus = "trimmed_consensus", maxActivation = "max_activation", meanActivation = "mean_activation"
        case matches, influence
    }
}

/// `motifs.json`.
public struct MotifReport: Codable, Sendable {
    public var model: String
    public var chipData: String
    public var split: String
    public var sequences: Int
    public var cellTypes: [String]
    public var motifDatabase: String
    public var databaseMotifs: Int
    public var activationFraction: Double
    public var maxSites: Int?
    public var nullValue: String
    public var filters: [FilterMotifSummary]
    /// Filters by decreasing overall influence (Δ Basset loss summed over cell types).
    public var influenceRanking: [Int]
    /// Per cell type, filters by decreasing influence on that cell type.
    public var influenceRankingPerCellType: [String: [Int]]
    public var influenceStage1: FilterInfluence
    public var influenceStage2: Stage2FilterInfluence?
    public var sigtfbVersion: String
    enum CodingKeys: String, CodingKey {
        case model, chipData = "chip_data", split, sequences, cellTypes = "cell_types", motifDatabase = "motif_database"
        case databaseMotifs = "database_motifs", activationFraction = "activation_fraction", maxSites = "max_sites"
        case nullValue = "null_value", filters, influenceRanking = "influence_ranking"
        case influenceRankingPerCellType = "influence_ranking_per_cell_type", influenceStage1 = "influence_stage1"
        case influenceStage2 = "influence_stage2", sigtfbVersion = "sigtfb_version"
    }
}

/// Stage-2 influence of each filter on the signature (filled by the stage-2 analysis when available).
public struct Stage2FilterInfluence: Codable, Sendable {
    public var cellTypes: [String]
    /// ΔAUROC (told − not told) per cell type with all filters.
    public var baselineDeltaAUROC: [Double]
    /// `[filter][cell type]`: ΔAUROC with the filter nullified − baseline ΔAUROC.
    public var changeOfDeltaAUROC: [[Double]]
    public var sequences: Int
    public init(cellTypes: [String], baselineDeltaAUROC: [Double], changeOfDeltaAUROC: [[Double]], sequences: Int) {
        self.cellTypes = cellTypes; self.baselineDeltaAUROC = baselineDeltaAUROC
        self.changeOfDeltaAUROC = changeOfDeltaAUROC; self.sequences = sequences
    }
    enum CodingKeys: String, CodingKey {
        case cellTypes = "cell_types", baselineDeltaAUROC = "baseline_delta_auroc"
        case changeOfDeltaAUROC = "change_of_delta_auroc", sequences
    }

    public func tsv() -> String {
        var s = "filter\tcell_type\tbaseline_delta_auroc\tdelta_auroc_nullified\tchange_of_delta_auroc\n"
        for (i, row) in changeOfDeltaAUROC.enumerated() {
            for (k, name) in cellTypes.enumerated() {
                s += "\(i)\t\(name)\t\(String(format: "%.6g", baselineDeltaAUROC[k]))\t"
                    + "\(String(format: "%.6g", baselineDeltaAUROC[k] + row[k]))\t\(String(format: "%.6g", row[k]))\n"
            }
        }
        return s
    }
}

/// `sigtfb motifs`: filter PWMs, their database matches, logos and leave-one-filter-out influence.
public enum MotifAnalysis {

    /// The sequences and labels of a split.
    public static func select(_ d: BassetDataset, split: MotifAnalysisOptions.Split) -> (EncodedSequences, [UInt8]) {
        switch split {
        case .train: return (d.trainIn, d.trainOut.values)
        case .test: return (d.testIn, d.testOut.values)
        case .all:
            var codes = d.trainIn.codes, l = d.trainOut.values
            if let v = d.validIn, let vo = d.validOut { codes += v.codes; l += vo.values }
            codes += d.testIn.codes; l += d.testOut.values
            return (EncodedSequences(length: d.sequenceLength, codes: codes), l)
        }
    }

    /// Checks that a model and a data set go together; one-line errors.
    public static func checkCompatible(model: Stage1Model, modelCellTypes: [String], dataset: BassetDataset, dataPath: String) throws {
        guard dataset.sequenceLength == model.architecture.sequenceLength else {
            throw ModelError("\(dataPath): sequences have length \(dataset.sequenceLength) but the model expects \(model.architecture.sequenceLength)")
        }
        guard dataset.targetLabels == modelCellTypes else {
            throw ModelError("\(dataPath): cell types [\(dataset.targetLabels.joined(separator: ", "))] differ from the model's [\(modelCellTypes.joined(separator: ", "))]")
        }
    }

    /// The model's first-layer filters.
    public static func filters(of model: Stage1Model) -> ConvFilters {
        let a = model.architecture
        return ConvFilters(weights: model.parameters["conv1.weight"]!.data, bias: model.parameters["conv1.bias"]!.data,
                           count: a.channels, width: a.convWidth)
    }

    public struct Output {
        public var report: MotifReport
        public var pwms: [FilterPWMResult]
        public var matches: [[MotifMatch]]
    }

    /// Runs the analysis and writes `filters.meme`, `filters.tsv`, `influence_stage1.tsv`,
    /// `logos/filter_<i>.svg`, `logos/filter_<i>_match.svg` and `motifs.json` into `directory`.
    /// `stage2` (optional) computes the stage-2 influence from the pooled features and null values.
    public static func run(model: Stage1Model, modelCellTypes: [String], modelPath: String,
                           dataset: BassetDataset, dataPath: String, database: MotifDatabase, databaseName: String,
                           options: MotifAnalysisOptions, directory: String,
                           stage2: ((_ pooledNull: [Double]) throws -> Stage2FilterInfluence)? = nil,
                           log: (String) -> Void = { _ in }) throws -> Output {
        try checkCompatible(model: model, modelCellTypes: modelCellTypes, dataset: dataset, dataPath: dataPath)
        let (seqs, labels) = select(dataset, split: options.split)
        guard seqs.count > 0 else { throw ModelError("\(dataPath): the \(options.split.rawValue) split holds no sequences") }
        let filters = filters(of: model)
        let C = filters.count

        log("building PWMs of \(C) filters from \(seqs.count) sequences (\(options.split.rawValue) split)")
        let pwmOptions = FilterPWMOptions(activationFraction: options.activationFraction, maxSites: options.maxSites)
        let pwms = FilterPWMBuilder.build(filters: filters, sequences: seqs, options: pwmOptions)

        log("comparing with \(database.count) database motifs")
        let comparator = MotifComparator(database: database)
        let queries = pwms.map { r -> PWM in
            let t = r.pwm.trimmed(minimumIC: options.trimIC, correctSmallSample: true)
            return t.width >= 1 ? t : r.pwm
        }
        var matches = [[MotifMatch]](repeating: [], count: C)
        let active = (0..<C).filter { pwms[$0].siteCount > 0 }
        let found = comparator.compareAll(active.map { queries[$0] }, top: max(1, options.topMatches))
        for (j, i) in active.enumerated() { matches[i] = found[j] }

        log("leave-one-filter-out influence (\(options.nullValue.rawValue))")
        let pooled = model.pooledFeatures(seqs, threads: options.threads)
        let nulls: [Double]? = options.nullValue == .activationMean ? pwms.map(\.meanActivation) : nil
        let influence = FilterInfluence.stage1(model: model, cellTypes: modelCellTypes, pooled: pooled, labels: labels,
                                               nullValues: nulls, nullKind: options.nullValue, threads: options.threads)
        var stage2Influence: Stage2FilterInfluence? = nil
        if let stage2 {
            log("stage-2 influence on the signature")
            stage2Influence = try stage2(influence.nullValues)
        }

        // Outputs.
        let dir = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func write(_ text: String, _ name: String) throws {
            try AtomicFile.write(Data(text.utf8), to: dir.appendingPathComponent(name).path)
        }
        try write(FilterMotifWriter.memeText(pwms), "filters.meme")
        try write(FilterMotifWriter.summaryTSV(pwms, matches: matches), "filters.tsv")
        try write(influence.tsv(), "influence_stage1.tsv")
        if let s2 = stage2Influence { try write(s2.tsv(), "influence_stage2.tsv") }
        for i in 0..<C {
            let title = "filter \(i)" + (pwms[i].siteCount > 0 ? " (\(pwms[i].siteCount) sites)" : " (no sites)")
            try write(SequenceLogo.informationContent(queries[i], title: title, correctSmallSample: true), "logos/filter_\(i).svg")
            if let best = matches[i].first {
                var target = database.motifs[best.targetIndex]
                if best.strand == .reverse { target = target.reverseComplement }
                let t = "\(best.targetID) \(best.targetName) (\(best.strand.rawValue)) q=\(String(format: "%.3g", best.qValue))"
                try write(SequenceLogo.informationContent(target, title: t), "logos/filter_\(i)_match.svg")
            }
        }

        let ranking = influence.ranking
        var rankOf = [Int](repeating: 0, count: C)
        for (r, i) in ranking.enumerated() { rankOf[i] = r + 1 }
        let names = modelCellTypes
        let summaries: [FilterMotifSummary] = (0..<C).map { i in
            let r = pwms[i]
            func dict(_ v: [Double]) -> [String: Double] { Dictionary(uniqueKeysWithValues: zip(names, v)) }
            return FilterMotifSummary(
                filter: i, sites: r.siteCount, sequencesWithSite: r.sequencesWithSite,
                informationContent: r.siteCount > 0 ? r.pwm.totalInformationContent(correctSmallSample: true) : 0,
                consensus: r.siteCount > 0 ? r.pwm.consensus : "", trimmedConsensus: r.siteCount > 0 ? queries[i].consensus : "",
                maxActivation: Double(r.maxActivation), meanActivation: r.meanActivation,
                matches: matches[i].map { .init(id: $0.targetID, name: $0.targetName, p: $0.pValue, e: $0.eValue, q: $0.qValue,
                                               strand: $0.strand.rawValue, offset: $0.offset, overlap: $0.overlap) },
                influence: .init(rank: rankOf[i], nullValue: influence.nullValues[i],
                                 meanAbsDeltaProbability: dict(influence.meanAbsDeltaProbability[i]),
                                 meanDeltaLogit: dict(influence.meanDeltaLogit[i]),
                                 deltaLoss: influence.deltaLoss.map { dict($0[i]) }, totalDeltaLoss: influence.totalDeltaLoss(i)))
        }
        var perCell: [String: [Int]] = [:]
        for (k, name) in names.enumerated() { perCell[name] = influence.ranking(cellType: k) }
        let report = MotifReport(model: modelPath, chipData: dataPath, split: options.split.rawValue, sequences: seqs.count,
                                 cellTypes: names, motifDatabase: databaseName, databaseMotifs: database.count,
                                 activationFraction: options.activationFraction, maxSites: options.maxSites,
                                 nullValue: options.nullValue.rawValue, filters: summaries, influenceRanking: ranking,
                                 influenceRankingPerCellType: perCell, influenceStage1: influence,
                                 influenceStage2: stage2Influence, sigtfbVersion: SigTFBVersion.current)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        try AtomicFile.write(try enc.encode(report), to: dir.appendingPathComponent("motifs.json").path)
        return Output(report: report, pwms: pwms, matches: matches)
    }
}
