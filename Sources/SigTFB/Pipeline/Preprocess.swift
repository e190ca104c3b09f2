import Foundation
import Genomics
import Storage

/// Settings of `sigtfb preprocess`: peak files of one TF-AB plus a genome in, a Basset-layout
/// HDF5 file (and Basset's merged BED and activity table) out.
public struct PreprocessOptions: Sendable {
    public enum Center: String, Sendable, CaseIterable {
        /// Basset: the peak's midpoint, `(start + end) / 2` rounded down.
        case midpoint
        /// narrowPeak column 10 (`start + summit`); peaks without one (-1) use the midpoint.
        case summit
    }

    public enum TestSplit: Sendable, Equatable {
        /// Seeded random fraction of the merged peaks (the original: 0.05).
        case fraction(Double)
        /// Every peak on these chromosomes.
        case chromosomes([String])
    }

    /// Directory with one peak file per cell type.
    public var peaksDirectory: String
    /// Genome FASTA (plain or gzip/BGZF).
    public var genomePath: String
    /// Output HDF5 path; the BED and activity table go beside it with the same stem.
    public var outputPath: String
    /// Chromosome lengths used to cap features (Basset's `-c`); default: the genome's.
    public var chromSizesPath: String? = nil
    public var sequenceLength = 101
    public var mergeOverlap = 30
    public var center = Center.midpoint
    public var testSplit = TestSplit.fraction(0.05)
    public var validFraction = 0.0
    public var seed: UInt64 = 1
    /// Drop chrY peaks (Basset `-y`).
    public var ignoreChrY = false
    /// Keep only `chr<digits>` and chrX (Basset `-i`).
    public var primaryOnly = false
    public var nEncoding = SequenceEncoder.NEncoding.quarter
    /// Features with a larger fraction of N are dropped (1 keeps all).
    public var maxNFraction = 1.0
    /// Drop peaks on chromosomes the genome lacks instead of failing.
    public var skipUnknownChromosomes = false
    public var sequenceType = OneHotStorage.float16
    /// Also write the feature sequences as `bedtools getfasta -s` would.
    public var fastaOutputPath: String? = nil

    public init(peaksDirectory: String, genomePath: String, outputPath: String) {
        self.peaksDirectory = peaksDirectory
        self.genomePath = genomePath
        self.outputPath = outputPath
    }

    /// `X/TF.AB.h5` → `X/TF.AB` (the stem of the BED and activity table).
    public var outputStem: String {
        for ext in [".h5", ".hdf5", ".H5", ".HDF5"] where outputPath.hasSuffix(ext) {
            return String(outputPath.dropLast(ext.count))
        }
        return outputPath
    }
    public var bedOutputPath: String { outputStem + ".bed" }
    public var activityOutputPath: String { outputStem + "_act.txt" }
}

/// A problem with the options themselves (exit code 2), as opposed to the data (exit code 1).
public struct PreprocessUsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}

/// What a preprocessing run did.
public struct PreprocessSummary: Sendable {
    public var cellTypes: [String] = []
    public var peaksPerCellType: [Int] = []
    /// Peaks dropped by `--ignore-chrY` / `--primary-only`.
    public var peaksFilteredByChromosome = 0
    /// Peaks on chromosomes absent from the genome, skipped (name → count).
    public var skippedUnknown: [String: Int] = [:]
    public var mergedFeatures = 0
    public var nBases = 0
    public var featuresWithN = 0
    public var droppedForN = 0
    public var trainCount = 0
    public var validCount = 0
    public var testCount = 0
    public var outputs: [String] = []
    public var seconds: [(String, Double)] = []
}

/// Runs the whole preprocessing: read peaks, merge as Basset, extract and encode sequences,
/// split, write. Progress goes to `log` (stderr in the CLI). Nothing is left half-written: every
/// output is written to a temporary sibling and renamed into place at the end.
public struct Preprocessor {
    public var options: PreprocessOptions
    public var log: (String) -> Void

    public init(options: PreprocessOptions, log: @escaping (String) -> Void = Preprocessor.stderrLog) {
        self.options = options
        self.log = log
    }

    public static func stderrLog(_ line: String) {
        FileHandle.standardError.write(Data(("[preprocess] " + line + "\n").utf8))
    }

    /// Checks the options that need no data.
    public func validate() throws {
        let o = options
        guard o.sequenceLength > 0 else { throw PreprocessUsageError("--seq-length must be positive (got \(o.sequenceLength))") }
        guard o.mergeOverlap >= 0 else { throw PreprocessUsageError("--merge-overlap must not be negative (got \(o.mergeOverlap))") }
        guard (0...1).contains(o.validFraction) else { throw PreprocessUsageError("--valid-fraction must lie in [0, 1] (got \(o.validFraction))") }
        guard (0...1).contains(o.maxNFraction) else { throw PreprocessUsageError("--max-n-fraction must lie in [0, 1] (got \(o.maxNFraction))") }
        switch o.testSplit {
        case .fraction(let f):
            guard (0...1).contains(f) else { throw PreprocessUsageError("--test-fraction must lie in [0, 1] (got \(f))") }
            guard f + o.validFraction < 1 else {
                throw PreprocessUsageError("--test-fraction + --valid-fraction must leave some training data (got \(f) + \(o.validFraction))")
            }
        case .chromosomes(let c):
            guard !c.isEmpty, !c.contains(where: { $0.isEmpty }) else {
                throw PreprocessUsageError("--test-chromosomes needs a comma-separated list of chromosome names")
            }
            guard o.validFraction < 1 else { throw PreprocessUsageError("--valid-fraction must be below 1 to leave training data") }
        }
        guard o.outputStem != o.outputPath else {
            throw PreprocessUsageError("--out must name an .h5 (or .hdf5) file, got \(o.outputPath); the .bed and _act.txt go beside it")
        }
        if let f = o.fastaOutputPath, [o.outputPath, o.bedOutputPath, o.activityOutputPath].contains(f) {
            throw PreprocessUsageError("--fasta-out \(f) would overwrite another output")
        }
    }

    /// Everything the run produces, in memory.
    public struct Result: Sendable {
        public var dataset: BassetDataset
        public var features: [MergedPeak]
        public var chromosomeNames: [String]
        public var bedText: [UInt8]
        public var activityText: [UInt8]
        /// `bedtools getfasta -s` text of the features, when asked for.
        public var fastaText: [UInt8]?
        public var summary: PreprocessSummary
    }

    /// Runs and writes the outputs.
    @discardableResult
    public func run() throws -> PreprocessSummary {
        let result = try compute()
        var summary = result.summary
        let t0 = Date()
        try write(result)
        summary.seconds.append(("write", Date().timeIntervalSince(t0)))
        summary.outputs = [options.outputPath, options.bedOutputPath, options.activityOutputPath]
            + (options.fastaOutputPath.map { [$0] } ?? [])
        log("wrote \(summary.outputs.joined(separator: ", ")) (\(Self.seconds(Date().timeIntervalSince(t0))) s)")
        log("time: " + summary.seconds.map { "\($0.0) \(Self.seconds($0.1)) s" }.joined(separator: ", ")
            + "; total \(Self.seconds(summary.seconds.reduce(0) { $0 + $1.1 })) s")
        return summary
    }

    /// Runs everything but the writing.
    public func compute() throws -> Result {
        try validate()
        let o = options
        var summary = PreprocessSummary()
        var clock = Date()
        func lap(_ what: String) {
            let now = Date()
            summary.seconds.append((what, now.timeIntervalSince(clock)))
            clock = now
        }

        // Peak files, one per cell type, in sorted order (the label columns).
        let (files, ignored) = try PeakDirectory.list(o.peaksDirectory)
        if !ignored.isEmpty { log("ignoring \(ignored.count) non-peak file(s) in \(o.peaksDirectory): \(ignored.prefix(5).joined(separator: ", "))") }
        let cellTypes = files.map(\.cellType)
        summary.cellTypes = cellTypes

        // Genome and chromosome lengths.
        let genome = try Genome(path: o.genomePath, log: log)
        var caps: [Int] = genome.lengths
        if let sizesPath = o.chromSizesPath {
            let sizes = try Self.readChromSizes(sizesPath)
            for (name, len, line) in sizes {
                guard let g = genome.index(of: name) else { continue }
                guard genome.lengths[g] == len else {
                    throw GenomicsError(file: sizesPath, line: line,
                                        "\(name) has length \(len) here but \(genome.lengths[g]) in \(o.genomePath): different assemblies?")
                }
                caps[g] = len
            }
        }
        lap("genome index")
        log("genome \(o.genomePath): \(genome.names.count) sequences, \(genome.lengths.reduce(0, +)) bp\(genome.isCompressed ? " (compressed, streamed)" : "")")

        // Read peaks.
        // Parsed in parallel, each file with its own chromosome table, then renumbered.
        var parsed = [Swift.Result<([PeakRecord], ChromosomeNames), Error>](repeating: .failure(GenomicsError("not read")), count: files.count)
        let readSummit = o.center == .summit
        parsed.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let out = slots
            DispatchQueue.concurrentPerform(iterations: files.count) { i in
                out[i] = Swift.Result {
                    var local = ChromosomeNames()
                    let peaks = try PeakFileParser.parse(path: files[i].path, names: &local, readSummit: readSummit)
                    return (peaks, local)
                }
            }
        }
        var names = ChromosomeNames()
        var peakSets = [[PeakRecord]]()
        for (i, r) in parsed.enumerated() {
            var (peaks, local) = try r.get()
            guard !peaks.isEmpty else { throw GenomicsError(file: files[i].path, "no peaks (empty file)") }
            let remap = local.names.map { names.id(for: $0) }
            for k in peaks.indices { peaks[k].chrom = remap[Int(peaks[k].chrom)] }
            peakSets.append(peaks)
        }
        parsed = []
        summary.peaksPerCellType = peakSets.map(\.count)
        lap("read peaks")
        log("read \(files.count) cell types (\(cellTypes.joined(separator: ", "))): \(summary.peaksPerCellType.reduce(0, +)) peaks")

        // Chromosome filters, unknown chromosomes.
        var keepChrom = [Bool](repeating: true, count: names.count)
        var rankOf = [Int](repeating: -1, count: names.count)
        for id in 0..<names.count {
            let name = names[Int32(id)]
            if o.ignoreChrY && name == "chrY" { keepChrom[id] = false }
            if o.primaryOnly && !Self.isPrimary(name) { keepChrom[id] = false }
            rankOf[id] = genome.index(of: name) ?? -1
        }
        var unknown = [String: (count: Int, file: String, line: Int)]()
        for (fi, peaks) in peakSets.enumerated() {
            for p in peaks {
                let id = Int(p.chrom)
                if !keepChrom[id] { summary.peaksFilteredByChromosome += 1; continue }
                if rankOf[id] < 0 {
                    let name = names[p.chrom]
                    if let u = unknown[name] { unknown[name] = (u.count + 1, u.file, u.line) } else { unknown[name] = (1, files[fi].path, p.line) }
                }
            }
        }
        if !unknown.isEmpty {
            let list = unknown.keys.sorted().map { "\($0) (\(unknown[$0]!.count) peaks, first at \(unknown[$0]!.file):\(unknown[$0]!.line))" }
            if !o.skipUnknownChromosomes {
                throw GenomicsError(file: o.genomePath,
                                    "peaks on chromosomes absent from the genome: \(list.joined(separator: ", ")); use --skip-unknown-chromosomes to drop them")
            }
            for (k, v) in unknown { summary.skippedUnknown[k] = v.count }
            log("skipping peaks on chromosomes absent from the genome: \(list.joined(separator: ", "))")
        }
        if summary.peaksFilteredByChromosome > 0 {
            log("dropped \(summary.peaksFilteredByChromosome) peaks on excluded chromosomes (\(o.ignoreChrY ? "--ignore-chrY " : "")\(o.primaryOnly ? "--primary-only" : ""))")
        }

        // Centre points.
        var points = [PeakPoint]()
        points.reserveCapacity(summary.peaksPerCellType.reduce(0, +))
        for (fi, peaks) in peakSets.enumerated() {
            for p in peaks {
                let id = Int(p.chrom)
                guard keepChrom[id] else { continue }
                let rank = rankOf[id]
                guard rank >= 0 else { continue }
                guard p.end <= genome.lengths[rank] else {
                    throw GenomicsError(file: files[fi].path, line: p.line,
                                        "peak \(names[p.chrom]):\(p.start)-\(p.end) runs past the end of \(names[p.chrom]) (length \(genome.lengths[rank]) in \(o.genomePath)): wrong genome assembly?")
                }
                let c = (o.center == .summit && p.summit >= 0) ? p.start + p.summit : PeakPoint.midpoint(start: p.start, end: p.end)
                points.append(PeakPoint(chrom: rank, strand: p.strand, center: c, cell: fi))
            }
        }
        guard !points.isEmpty else { throw GenomicsError(file: o.peaksDirectory, "no peaks left after the chromosome filters") }
        peakSets = []

        // Merge.
        let merger = BassetMerger(featureSize: o.sequenceLength, mergeOverlap: o.mergeOverlap)
        var features = merger.merge(points, chromLengths: caps.map { Optional($0) })
        lap("merge")
        log("merged \(points.count) peaks into \(features.count) features of \(o.sequenceLength) bp (overlap ≥ \(o.mergeOverlap))")
        for f in features where f.start < 0 || f.end > genome.lengths[f.chrom] {
            throw GenomicsError(file: o.genomePath, "\(genome.names[f.chrom]) (\(genome.lengths[f.chrom]) bp) is shorter than --seq-length \(o.sequenceLength)")
        }

        // Sequences.
        let regions = features.map { GenomeRegion(chrom: $0.chrom, start: $0.start, end: $0.end, strand: $0.strand) }
        let letters = try genome.letters(of: regions)
        lap("read sequences")
        let L = o.sequenceLength
        let encoded = try SequenceEncoder.encode(letters, length: L, nEncoding: o.nEncoding) { s, off in
            let r = regions[s]
            let pos = r.strand == .plus ? r.start + off : r.end - 1 - off
            return "\(o.genomePath): \(genome.names[r.chrom]):\(pos + 1)"
        }
        summary.nBases = encoded.nCounts.reduce(0, +)
        summary.featuresWithN = encoded.nCounts.filter { $0 > 0 }.count
        var keep = [Int]()
        keep.reserveCapacity(features.count)
        let maxN = o.maxNFraction * Double(L)
        for (i, n) in encoded.nCounts.enumerated() where Double(n) <= maxN { keep.append(i) }
        summary.droppedForN = features.count - keep.count
        log("N bases: \(summary.nBases) in \(summary.featuresWithN) features (encoded as \(o.nEncoding == .quarter ? "0.25 per channel" : "all-zero columns"))"
            + (summary.droppedForN > 0 ? "; dropped \(summary.droppedForN) features above --max-n-fraction \(o.maxNFraction)" : ""))
        var codes = encoded.codes
        var lettersKept = letters
        if summary.droppedForN > 0 {
            features = keep.map { features[$0] }
            var c = [UInt8](), l = [UInt8]()
            c.reserveCapacity(keep.count * L); l.reserveCapacity(keep.count * L)
            for i in keep {
                c.append(contentsOf: codes[(i * L)..<((i + 1) * L)])
                l.append(contentsOf: letters[(i * L)..<((i + 1) * L)])
            }
            codes = c; lettersKept = l
        }
        guard !features.isEmpty else { throw GenomicsError(file: o.peaksDirectory, "no features left after --max-n-fraction") }
        lap("encode")

        // Split.
        let split: TrainTestSplit
        switch o.testSplit {
        case .fraction(let f):
            split = TrainTestSplit.random(count: features.count, testFraction: f, validFraction: o.validFraction, seed: o.seed)
        case .chromosomes(let chroms):
            var ids = Set<Int>()
            var missing = [String]()
            for c in chroms { if let g = genome.index(of: c) { ids.insert(g) } else { missing.append(c) } }
            guard missing.isEmpty else {
                throw PreprocessUsageError("--test-chromosomes: \(missing.joined(separator: ", ")) not in \(o.genomePath)")
            }
            split = TrainTestSplit.byChromosome(chromOfRow: features.map(\.chrom), testChromosomes: ids,
                                                validFraction: o.validFraction, seed: o.seed)
            guard !split.test.isEmpty else {
                throw GenomicsError(file: o.peaksDirectory, "no features on the test chromosomes \(chroms.joined(separator: ","))")
            }
        }
        guard !split.train.isEmpty else { throw GenomicsError(file: o.peaksDirectory, "no features left for training") }
        summary.trainCount = split.train.count
        summary.validCount = split.valid.count
        summary.testCount = split.test.count

        let labelValues = ActivityTable.labels(features, cellTypes: cellTypes.count)
        let C = cellTypes.count
        func sequences(_ rows: [Int]) -> EncodedSequences {
            EncodedSequences(length: L, codes: Self.gather(codes, width: L, rows: rows))
        }
        func labels(_ rows: [Int]) -> LabelMatrix {
            LabelMatrix(columns: C, values: Self.gather(labelValues, width: C, rows: rows))
        }
        let chromBytesH = genome.names.map { Array($0.utf8) }
        let headers = split.test.map { i -> String in
            var h = [UInt8]()
            ActivityTable.appendHeader(chromBytesH[features[i].chrom], features[i].start, features[i].end, features[i].strand, to: &h)
            return String(decoding: h, as: UTF8.self)
        }
        let dataset = BassetDataset(
            trainIn: sequences(split.train), trainOut: labels(split.train),
            validIn: split.valid.isEmpty ? nil : sequences(split.valid),
            validOut: split.valid.isEmpty ? nil : labels(split.valid),
            testIn: sequences(split.test), testOut: labels(split.test),
            testHeaders: headers, targetLabels: cellTypes)
        summary.mergedFeatures = features.count
        log("split: \(split.train.count) train, \(split.valid.count) valid, \(split.test.count) test "
            + { if case .chromosomes(let c) = o.testSplit { return "(test = \(c.joined(separator: ",")))" } else { return "(seed \(o.seed))" } }())

        let bed = ActivityTable.bedText(features, chromNames: genome.names)
        let act = ActivityTable.tableText(features, chromNames: genome.names, cellTypes: cellTypes)
        var fasta: [UInt8]? = nil
        if o.fastaOutputPath != nil {
            let chromBytes = genome.names.map { Array($0.utf8) }
            var t = [UInt8]()
            t.reserveCapacity(features.count * (L + 30))
            for (i, f) in features.enumerated() {
                t.append(UInt8(ascii: ">"))
                ActivityTable.appendHeader(chromBytes[f.chrom], f.start, f.end, f.strand, to: &t)
                t.append(0x0A)
                t.append(contentsOf: lettersKept[(i * L)..<((i + 1) * L)])
                t.append(0x0A)
            }
            fasta = t
        }
        lap("assemble")
        return Result(dataset: dataset, features: features, chromosomeNames: genome.names,
                      bedText: bed, activityText: act, fastaText: fasta, summary: summary)
    }

    /// Writes the outputs: text files to temporaries first, then the HDF5 (atomic), then the
    /// renames; on any failure the temporaries are removed and nothing new is left behind.
    public func write(_ result: Result) throws {
        let o = options
        var pending = [(tmp: String, final: String)]()
        defer { for p in pending { unlink(p.tmp) } }
        let dir = URL(fileURLWithPath: o.outputPath).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw GenomicsError(file: dir, "cannot create the output directory: \(error.localizedDescription)")
        }
        var texts = [(o.bedOutputPath, result.bedText), (o.activityOutputPath, result.activityText)]
        if let fp = o.fastaOutputPath, let ft = result.fastaText { texts.append((fp, ft)) }
        for (path, bytes) in texts {
            let tmp = AtomicFile.temporaryPath(for: path)
            guard AtomicWrite.writeNewFile(bytes, at: tmp) else {
                throw GenomicsError(file: path, "cannot write (directory not writable or disk full?)")
            }
            pending.append((tmp, path))
        }
        try BassetH5.write(result.dataset, to: o.outputPath, sequenceType: o.sequenceType)
        while let p = pending.first {
            try AtomicFile.moveIntoPlace(from: p.tmp, to: p.final)
            pending.removeFirst()
        }
    }

    /// `chrom<TAB>length` lines.
    static func readChromSizes(_ path: String) throws -> [(String, Int, Int)] {
        let bytes = try ByteSource.readAll(path: path)
        var out = [(String, Int, Int)]()
        var lineNo = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard f.count >= 2, let len = Int(f[1]), len > 0 else {
                throw GenomicsError(file: path, line: lineNo, "expected 'chromosome<TAB>length', found '\(line)'")
            }
            out.append((String(f[0]), len, lineNo))
        }
        guard !out.isEmpty else { throw GenomicsError(file: path, "no chromosome sizes (empty file)") }
        return out
    }

    /// Rows `rows` of a row-major `width`-column byte matrix.
    static func gather(_ values: [UInt8], width: Int, rows: [Int]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows.count * width)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (k, r) in rows.enumerated() {
                    (dst.baseAddress! + k * width).update(from: src.baseAddress! + r * width, count: width)
                }
            }
        }
        return out
    }

    private static func seconds(_ s: Double) -> String { String(format: "%.2f", s) }

    /// Basset's `-i`: `chr` followed by digits only, or chrX.
    static func isPrimary(_ name: String) -> Bool {
        if name == "chrX" { return true }
        guard name.hasPrefix("chr") else { return false }
        let rest = name.dropFirst(3)
        return !rest.isEmpty && rest.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

