import ArgumentParser
import Foundation
import Genomics
import SigTFB
import Storage

/// Turns ENCODE peak files and a genome into the training HDF5, merging peaks exactly as Basset.
struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Merge one TF-AB's peak files as Basset and write the training HDF5.",
        discussion: """
            Reads one peak file per cell type from --peaks (the file name before its first dot is \
            the cell type; .bed, .bed.gz, narrowPeak or BED3+), merges them as Basset's \
            preprocess_features.py, extracts the sequences and writes the Basset-layout HDF5 plus \
            the merged BED and activity table beside it (--out X/TF.AB.h5 → X/TF.AB.bed, \
            X/TF.AB_act.txt). Exit code 1: bad data; 2: bad options.
            """)

    /// Directory with one peak file per cell type.
    @Option(name: .long, help: "Directory with one peak file per cell type.")
    var peaks: String

    @Option(name: .long, help: "Genome FASTA (plain or gzip/BGZF); its .fai is built when missing.")
    var genome: String

    @Option(name: .long, help: "Output HDF5 (the .bed and _act.txt go beside it).")
    var out: String

    @Option(name: .long, help: "Chromosome lengths (chrom<TAB>length) capping features; default: the genome's.")
    var chromSizes: String?

    @Option(name: .long, help: "Feature (sequence) length, Basset -s.")
    var seqLength: Int = 101

    @Option(name: .long, help: "Merge features overlapping by at least this many bases, Basset -m.")
    var mergeOverlap: Int = 30

    @Option(name: .long, help: "Peak centre: midpoint (Basset) or summit (narrowPeak column 10).")
    var center: String = "midpoint"

    @Option(name: .long, help: "Random test fraction (default 0.05, the original's).")
    var testFraction: Double?

    @Option(name: .long, help: "Hold out these chromosomes (comma-separated) as the test set instead.")
    var testChromosomes: String?

    @Option(name: .long, help: "Validation fraction (of all features, or of the non-test ones with --test-chromosomes).")
    var validFraction: Double = 0

    @Option(name: .long, help: "Seed of the split.")
    var seed: UInt64 = 1

    @Flag(name: .customLong("ignore-chrY"), help: "Drop chrY peaks (Basset -y).")
    var ignoreChrY = false

    @Flag(name: .long, help: "Keep only chr<number> and chrX peaks (Basset -i).")
    var primaryOnly = false

    @Option(name: .long, help: "How N is encoded: quarter (0.25 per channel, Basset) or zeros.")
    var nEncoding: String = "quarter"

    @Option(name: .long, help: "Drop features whose fraction of N exceeds this.")
    var maxNFraction: Double = 1

    @Flag(name: .long, help: "Drop peaks on chromosomes the genome lacks instead of failing.")
    var skipUnknownChromosomes = false

    @Option(name: .long, help: "One-hot storage type: float16 (Basset) or float32.")
    var onehotType: String = "float16"

    @Option(name: .long, help: "Also write the feature sequences as `bedtools getfasta -s` does.")
    var fastaOut: String?

    func run() throws {
        let options: PreprocessOptions
        do { options = try makeOptions() } catch let e as PreprocessUsageError {
            throw fail(e.description, code: 2)
        }
        do {
            try Preprocessor(options: options).run()
        } catch let e as PreprocessUsageError {
            throw fail(e.description, code: 2)
        } catch {
            throw fail("\(error)", code: 1)
        }
    }

    private func makeOptions() throws -> PreprocessOptions {
        var o = PreprocessOptions(peaksDirectory: peaks, genomePath: genome, outputPath: out)
        o.chromSizesPath = chromSizes
        o.sequenceLength = seqLength
        o.mergeOverlap = mergeOverlap
        guard let c = PreprocessOptions.Center(rawValue: center) else {
            throw PreprocessUsageError("--center must be midpoint or summit (got \(center))")
        }
        o.center = c
        switch (testFraction, testChromosomes) {
        case (_?, _?):
            throw PreprocessUsageError("give either --test-fraction or --test-chromosomes, not both")
        case (nil, let chroms?):
            o.testSplit = .chromosomes(chroms.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        case (let f, nil):
            o.testSplit = .fraction(f ?? 0.05)
        }
        o.validFraction = validFraction
        o.seed = seed
        o.ignoreChrY = ignoreChrY
        o.primaryOnly = primaryOnly
        guard let n = SequenceEncoder.NEncoding(rawValue: nEncoding) else {
            throw PreprocessUsageError("--n-encoding must be quarter or zeros (got \(nEncoding))")
        }
        o.nEncoding = n
        o.maxNFraction = maxNFraction
        o.skipUnknownChromosomes = skipUnknownChromosomes
        guard let t = OneHotStorage(rawValue: onehotType) else {
            throw PreprocessUsageError("--onehot-type must be float16 or float32 (got \(onehotType))")
        }
        o.sequenceType = t
        o.fastaOutputPath = fastaOut
        return o
    }

    /// Prints the one-line message; the returned `ExitCode` ends the process with `code`.
    private func fail(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("sigtfb: error: \(message)\n".utf8))
        return ExitCode(code)
    }
}
