import Foundation
import XCTest
import Genomics
import Storage
@testable import SigTFB

/// Seeded mutants (and the kept crashers in `Tests/Fixtures/fuzz/sidecar`, `…/vcf`) of the two
/// parsers that live in the SigTFB module and so have no libFuzzer harness of their own: the
/// checkpoint JSON sidecars (stage 1 and stage 2, read with their real weights) and VCF files
/// (read, then turned into allele windows on a small genome). Every input must load or throw a
/// one-line error naming the file, never trap.
final class SigTFBFuzzRegressionTests: XCTestCase {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    var dir = ""
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    struct SplitMix {
        var state: UInt64
        mutating func next() -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
        }
    }

    /// Accepts success or an error whose message is one line and names `file`.
    func expectLoadOrError(_ what: String, naming file: String, _ body: () throws -> Void) {
        do { try body() } catch {
            let m = "\(error)"
            XCTAssertFalse(m.contains("\n") || m.contains("\r"), "\(what): multi-line message: \(m)")
            XCTAssertTrue(m.contains(file), "\(what): the message does not name \(file): \(m)")
            XCTAssertTrue(error is ModelError || error is StorageError || error is PredictionError || error is GenomicsError,
                          "\(what): unexpected error type \(type(of: error)): \(m)")
        }
    }

    static let tokens = ["-1", "0", "1", "24", "101", "9223372036854775807", "-9223372036854775808", "18446744073709551615",
                         "1e308", "-1e308", "1e400", "null", "[]", "{}", "true", "\"x\"", "\"a\\nb\"", "[\"a\\nb\",\"c\"]"]

    /// Replaces 1–3 JSON scalars of `text` by tokens, or cuts it (as TuningFuzzRegressionTests).
    static func mutateJSON(_ text: String, _ rng: inout SplitMix) -> [UInt8] {
        var m = Array(text.utf8)
        for _ in 0..<(1 + rng.next() % 3) {
            let starts = m.indices.filter { i in
                let prev = i > 0 ? m[i - 1] : 0, c = m[i]
                return (prev == UInt8(ascii: ":") || prev == UInt8(ascii: "[") || prev == UInt8(ascii: ",") || (prev == 0x20 && i > 1 && m[i - 2] == UInt8(ascii: ":")))
                    && c != UInt8(ascii: "{") && c != UInt8(ascii: "[") && c != 0x20 && c != 0x0A
            }
            if rng.next() % 8 == 0 || starts.isEmpty { m = Array(m.prefix(rng.next() % (m.count + 1))); continue }
            let s = starts[rng.next() % starts.count]
            var e = s
            if m[s] == UInt8(ascii: "\"") {
                e += 1
                while e < m.count && m[e] != UInt8(ascii: "\"") { e += 1 }
                e = min(e + 1, m.count)
            } else {
                while e < m.count && ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x0A].contains(m[e]) { e += 1 }
            }
            m.replaceSubrange(s..<e, with: Array(tokens[rng.next() % tokens.count].utf8))
        }
        return m
    }

    // MARK: checkpoint sidecars

    /// A small stage-1 and stage-2 checkpoint, saved by the real writers.
    func checkpoints() throws -> (s1: String, s2: String) {
        let s1 = Stage1Model(architecture: Stage1Architecture(channels: 3, cellTypes: 2, sequenceLength: 30, convWidth: 5, hidden: 4),
                             convStd: 0.1, linearStd: 0.1, seed: 1)
        let p1 = dir + "/s1.safetensors", p2 = dir + "/s2.safetensors"
        try Stage1Checkpoint.save(s1, cellTypes: ["A", "B"], hyperparameters: Stage1Hyperparameters(),
                                  trainingData: .init(file: "d.h5", sha256: "00", sequences: 3), to: p1)
        let a2 = Stage2Architecture(channels: 3, cellTypes: 2, preConcat: 2, hidden: 3, dropout: 0.1, sequenceLength: 30, convWidth: 5)
        let s2 = Stage2Model(architecture: a2, stage1: s1, linearStd: 0.1, freezeStage1: true, seed: 2)
        try Stage2Checkpoint.save(s2, cellTypes: ["A", "B"], hyperparameters: Stage2Hyperparameters(), to: p2)
        _ = try Stage1Checkpoint.load(path: p1)
        _ = try Stage2Checkpoint.load(path: p2)
        return (p1, p2)
    }

    func replaySidecar(_ bytes: [UInt8], stage: Int, paths: (s1: String, s2: String), _ what: String) throws {
        let path = stage == 1 ? paths.s1 : paths.s2
        let side = Stage1Checkpoint.sidecarPath(for: path)
        try Data(bytes).write(to: URL(fileURLWithPath: side))
        expectLoadOrError(what, naming: dir) {
            if stage == 1 {
                let (m, s) = try Stage1Checkpoint.load(path: path)
                // A loaded model must be usable: score one sequence of its length.
                var seqs = EncodedSequences(length: m.architecture.sequenceLength)
                seqs.append(codes: [UInt8](repeating: 1, count: m.architecture.sequenceLength))
                XCTAssertEqual(m.logits(seqs, threads: 1).count, s.cellTypes.count, what)
            } else {
                let (m, _) = try Stage2Checkpoint.load(path: path)
                XCTAssertEqual(m.architecture.cellTypes, 2, what)
            }
        }
    }

    func testSidecarCorpus() throws {
        let paths = try checkpoints()
        let d = Self.corpusRoot.appendingPathComponent("sidecar")
        let files = try FileManager.default.contentsOfDirectory(atPath: d.path).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for f in files {
            // File names start with the stage the sidecar belongs to: s1-… or s2-….
            try replaySidecar(Array(try Data(contentsOf: d.appendingPathComponent(f))), stage: f.hasPrefix("s2") ? 2 : 1, paths: paths, f)
        }
    }

    /// Sidecars that trapped (`crash-*`) or loaded into an unusable model (`accepted-*`) before the
    /// architecture and name checks: now one-line errors naming the field.
    func testAbsurdArchitecturesAndNamesAreErrors() throws {
        let paths = try checkpoints()
        let d = Self.corpusRoot.appendingPathComponent("sidecar")
        let files = try FileManager.default.contentsOfDirectory(atPath: d.path).filter { $0.contains("-crash-") || $0.contains("-accepted-") }
        XCTAssertEqual(files.count, 6)
        for f in files {
            let stage = f.hasPrefix("s2") ? 2 : 1
            let path = stage == 1 ? paths.s1 : paths.s2
            try Data(contentsOf: d.appendingPathComponent(f)).write(to: URL(fileURLWithPath: Stage1Checkpoint.sidecarPath(for: path)))
            XCTAssertThrowsError(stage == 1 ? try Stage1Checkpoint.load(path: path).sidecar.stage : try Stage2Checkpoint.load(path: path).sidecar.stage, f) { e in
                let m = "\(e)"
                XCTAssertTrue(m.hasPrefix(Stage1Checkpoint.sidecarPath(for: path) + ": field '"), "\(f): \(m)")
                XCTAssertFalse(m.contains("\n"), "\(f): \(m)")
            }
        }
    }

    func testSidecarSeededMutants() throws {
        let paths = try checkpoints()
        let seeds = [try String(contentsOfFile: Stage1Checkpoint.sidecarPath(for: paths.s1), encoding: .utf8),
                     try String(contentsOfFile: Stage1Checkpoint.sidecarPath(for: paths.s2), encoding: .utf8)]
        var rng = SplitMix(state: 0x51DE_CA12)
        for k in 0..<300 {
            let stage = 1 + k % 2
            try replaySidecar(Self.mutateJSON(seeds[stage - 1], &rng), stage: stage, paths: paths, "sidecar mutant \(k) (stage \(stage))")
        }
    }

    // MARK: VCF

    /// A 300-bp chromosome and a VCF of SNVs on it (plus an indel and a multi-allelic site).
    func vcfCase() throws -> (genome: Genome, vcf: String) {
        var rng = SplitMix(state: 7)
        let bases = Array("ACGT".utf8)
        let chrom = (0..<300).map { _ in bases[rng.next() % 4] }
        var fa = ">chr1\n"
        for i in stride(from: 0, to: chrom.count, by: 60) { fa += String(decoding: chrom[i..<min(i + 60, chrom.count)], as: UTF8.self) + "\n" }
        try fa.write(toFile: dir + "/g.fa", atomically: true, encoding: .utf8)
        var vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        for (pos, id) in [(120, "rs1"), (151, "."), (180, "rs3")] {
            let ref = Character(UnicodeScalar(chrom[pos - 1]))
            let alt = ref == "A" ? "C" : "A"
            vcf += "chr1\t\(pos)\t\(id)\t\(ref)\t\(alt)\t50\tPASS\t.\n"
        }
        vcf += "chr1\t200\tdel\tAT\tA\t50\tPASS\t.\nchr1\t210\tmulti\t\(Character(UnicodeScalar(chrom[209])))\tA,G,T\t.\t.\t.\n"
        return (try Genome(path: dir + "/g.fa"), vcf)
    }

    func replayVCF(_ bytes: [UInt8], genome: Genome, _ what: String) throws {
        let path = dir + "/v.vcf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        expectLoadOrError(what, naming: path) {
            let (variants, _) = try Prediction.readVCF(path: path)
            let (refs, alts) = try Prediction.alleleWindows(variants, genome: genome, length: 101, vcfPath: path)
            XCTAssertEqual(refs.count, variants.count, what)
            XCTAssertEqual(alts.count, variants.count, what)
        }
    }

    func testVCFCorpus() throws {
        let (genome, _) = try vcfCase()
        let d = Self.corpusRoot.appendingPathComponent("vcf")
        let files = try FileManager.default.contentsOfDirectory(atPath: d.path).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for f in files { try replayVCF(Array(try Data(contentsOf: d.appendingPathComponent(f))), genome: genome, f) }
    }

    func testVCFSeededMutants() throws {
        let (genome, vcf) = try vcfCase()
        try replayVCF(Array(vcf.utf8), genome: genome, "seed")
        var rng = SplitMix(state: 0x0FCF)
        let numbers = ["0", "-1", "1", "51", "250", "301", "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1e3", "", "."]
        for k in 0..<300 {
            var lines = vcf.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
            for _ in 0..<(1 + rng.next() % 3) {
                let i = rng.next() % lines.count
                switch rng.next() % 7 {
                case 0: if !lines[i].isEmpty { let j = rng.next() % lines[i].count; lines[i][j] ^= UInt8(1 << (rng.next() % 8)) }
                case 1: lines.remove(at: i); if lines.isEmpty { lines = [[]] }
                case 2: lines.insert(lines[i], at: i)
                case 3: lines.swapAt(i, rng.next() % lines.count)
                case 4:
                    // A field replaced by an absurd number (POS mostly).
                    var f = lines[i].split(separator: 0x09, omittingEmptySubsequences: false).map(Array.init)
                    let c = rng.next() % 3 == 0 ? rng.next() % max(f.count, 1) : min(1, f.count - 1)
                    if c >= 0 && c < f.count { f[c] = Array(numbers[rng.next() % numbers.count].utf8) }
                    lines[i] = Array(f.joined(separator: [0x09]))
                case 5: lines[i] = Array(lines[i].prefix(rng.next() % (lines[i].count + 1)))
                default: lines[i].insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.next() % (lines[i].count + 1))
                }
            }
            var bytes = Array(lines.joined(separator: [0x0A]))
            if k % 10 == 9 { bytes = Array(bytes.prefix(rng.next() % (bytes.count + 1))) }
            try replayVCF(bytes, genome: genome, "VCF mutant \(k)")
        }
    }
}
