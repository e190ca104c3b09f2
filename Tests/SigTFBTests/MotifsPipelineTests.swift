import Foundation
import Genomics
import Motifs
import NeuralNet
import SigTFB
import Storage
import XCTest

/// Influence, in-silico mutagenesis and the `motifs` analysis on hand-built models.
final class MotifsPipelineTests: XCTestCase {

    // MARK: - Helpers

    /// A stage-1 model with the given weights (PyTorch layouts; conv `[C,4,1,W]`).
    func handModel(C: Int, N: Int, L: Int, W: Int, conv: [Float], convBias: [Float], fc1: [Float], fc1b: [Float],
                   fc2: [Float], fc2b: [Float], H: Int = 32) throws -> Stage1Model {
        let a = Stage1Architecture(channels: C, cellTypes: N, sequenceLength: L, convWidth: W, hidden: H)
        let p = NamedParameters([("conv1.weight", Tensor(shape: [C, 4, 1, W], data: conv)),
                                 ("conv1.bias", Tensor(shape: [C], data: convBias)),
                                 ("fc1.weight", Tensor(shape: [H, C], data: fc1)), ("fc1.bias", Tensor(shape: [H], data: fc1b)),
                                 ("fc2.weight", Tensor(shape: [N, H], data: fc2)), ("fc2.bias", Tensor(shape: [N], data: fc2b))])
        return try Stage1Model(architecture: a, parameters: p)
    }

    func randomSequences(_ n: Int, length L: Int, seed: UInt64) -> EncodedSequences {
        var rng = SeededRandom(seed: seed)
        var s = EncodedSequences(length: L)
        for _ in 0..<n { s.append(codes: (0..<L).map { _ in UInt8(rng.uniform() * 4) % 4 }) }
        return s
    }

    /// Random model: conv std 1, linear std 0.3, with filter `dominant` feeding a strong hidden unit.
    func dominantModel(C: Int = 6, N: Int = 2, L: Int = 40, W: Int = 8, H: Int = 4, dominant: Int,
                       center: [Float] = [-1, 0.5]) throws -> Stage1Model {
        var rng = SeededRandom(seed: 11)
        let conv = (0..<(C * 4 * W)).map { _ in Float(rng.normal()) }
        var fc1 = [Float](repeating: 0, count: H * C)
        for j in 0..<H { for c in 0..<C { fc1[j * C + c] = Float(0.05 * rng.normal()) } }
        fc1[0 * C + dominant] = 0.5          // hidden 0 = 0.5 × filter `dominant`
        var fc2 = [Float](repeating: 0, count: N * H)
        for k in 0..<N { for j in 0..<H { fc2[k * H + j] = Float(0.05 * rng.normal()) } }
        fc2[0 * H + 0] = 1.5; fc2[1 * H + 0] = -1.0
        return try handModel(C: C, N: N, L: L, W: W, conv: conv, convBias: [Float](repeating: 0, count: C),
                             fc1: fc1, fc1b: [Float](repeating: 0.1, count: H), fc2: fc2, fc2b: center, H: H)
    }

    // MARK: - Influence

    func testDominantFilterRanksFirst() throws {
        for dominant in [0, 3] {
            // Centre the logits (not saturated): biases from the dominant filter's mean output.
            let probe = try dominantModel(dominant: dominant)
            let seqs = randomSequences(2000, length: 40, seed: 5)
            let probePooled = probe.pooledFeatures(seqs, threads: 2)
            let mu = (0..<2000).reduce(Float(0)) { $0 + probePooled[$1 * 6 + dominant] } / 2000
            let m = try dominantModel(dominant: dominant, center: [-1.5 * (0.5 * mu + 0.1), 1.0 * (0.5 * mu + 0.1)])
            let pooled = m.pooledFeatures(seqs, threads: 2)
            // Labels drawn from the model's own probabilities, so the dominant filter carries the loss.
            var rng = SeededRandom(seed: 17)
            let labels = m.probabilities(seqs, threads: 2).map { p in UInt8(rng.uniform() < Double(p) ? 1 : 0) }
            let inf = FilterInfluence.stage1(model: m, cellTypes: ["A", "B"], pooled: pooled, labels: labels, threads: 2)
            XCTAssertEqual(inf.ranking.first, dominant)
            XCTAssertEqual((0..<6).max { inf.meanAbsDeltaProbability[$0][0] < inf.meanAbsDeltaProbability[$1][0] }, dominant)
            // Per cell type: the |Δp| ranking (the per-cell loss ranking is noisy with sampled labels).
            XCTAssertEqual((0..<6).max { inf.meanAbsDeltaProbability[$0][1] < inf.meanAbsDeltaProbability[$1][1] }, dominant)
            for i in 0..<6 where i != dominant {
                XCTAssertGreaterThan(inf.meanAbsDeltaProbability[dominant][0], 5 * inf.meanAbsDeltaProbability[i][0])
            }
            XCTAssertGreaterThan(inf.totalDeltaLoss(dominant)!, 0)
            // The TSV: header + (N + 1) rows per filter.
            XCTAssertEqual(inf.tsv().split(separator: "\n").count, 1 + 6 * 3)
        }
    }

    /// Leaving filter i out with constant m is the same as a model whose filter i has zero weights
    /// and bias m (its pooled output is then m for every sequence), run end to end.
    func testLeaveOneOutMatchesDirectComputation() throws {
        let m = try dominantModel(dominant: 2)
        let seqs = randomSequences(150, length: 40, seed: 9)
        let pooled = m.pooledFeatures(seqs, threads: 1)
        var rng = SeededRandom(seed: 3)
        let labels = (0..<(150 * 2)).map { _ in UInt8(rng.uniform() < 0.4 ? 1 : 0) }
        let inf = FilterInfluence.stage1(model: m, cellTypes: ["A", "B"], pooled: pooled, labels: labels, threads: 2)
        let C = 6, n = 150, W = 8
        // Null values are the pooled means.
        for c in 0..<C {
            let mean = (0..<n).reduce(0.0) { $0 + Double(pooled[$1 * C + c]) } / Double(n)
            XCTAssertEqual(inf.nullValues[c], mean, accuracy: 1e-9)
        }
        let baseLogits = m.logits(seqs, threads: 1)
        func bce(_ x: Double, _ t: UInt8) -> Double {
            let p = 1 / (1 + exp(-x))
            return t != 0 ? -log(p) : -log(1 - p)
        }
        for i in 0..<C {
            var p = m.parameters
            var w = p.tensors[0].data
            for j in 0..<(4 * W) { w[i * 4 * W + j] = 0 }
            p.tensors[0].data = w
            p.tensors[1].data[i] = Float(inf.nullValues[i])
            let direct = try Stage1Model(architecture: m.architecture, parameters: p)
            let lg = direct.logits(seqs, threads: 1)
            for k in 0..<2 {
                var dLogit = 0.0, dAbs = 0.0, loss = 0.0, base = 0.0
                for r in 0..<n {
                    let a = Double(lg[r * 2 + k]), b = Double(baseLogits[r * 2 + k])
                    dLogit += a - b
                    dAbs += abs(1 / (1 + exp(-a)) - 1 / (1 + exp(-b)))
                    loss += bce(a, labels[r * 2 + k]); base += bce(b, labels[r * 2 + k])
                }
                XCTAssertEqual(inf.meanDeltaLogit[i][k], dLogit / Double(n), accuracy: 1e-4, "filter \(i) cell \(k)")
                XCTAssertEqual(inf.meanAbsDeltaProbability[i][k], dAbs / Double(n), accuracy: 1e-5, "filter \(i) cell \(k)")
                XCTAssertEqual(inf.deltaLoss![i][k], (loss - base) / Double(n), accuracy: 1e-4, "filter \(i) cell \(k)")
                XCTAssertEqual(inf.baselineLoss![k], base / Double(n), accuracy: 1e-4)
            }
        }
    }

    // MARK: - In-silico mutagenesis

    /// One filter detecting GATTACA exactly (activation 1 at a match, ≤ 0 elsewhere); cell type 0
    /// rises with it, cell type 1 falls.
    func gattacaModel(L: Int) throws -> Stage1Model {
        let motif = Array("GATTACA".utf8).map { BaseCode.code(ascii: $0)! }
        let W = motif.count, H = 2
        var conv = [Float](repeating: -1, count: 4 * W)
        for (k, b) in motif.enumerated() { conv[Int(b) * W + k] = 1 }
        return try handModel(C: 1, N: 2, L: L, W: W, conv: conv, convBias: [-6], fc1: [4, 0], fc1b: [0, 0],
                             fc2: [2, 0, -2, 0], fc2b: [-2, 1], H: H)
    }

    func testISMFindsTheMotifPositions() throws {
        let L = 30
        let m = try gattacaModel(L: L)
        // Background without any near-match of GATTACA; motif at 0-based positions 10...16.
        let background = Array("CCGCCGCGCCGCCGCCGCGCCGCCGCGCCG".utf8)
        var seq = background
        for (k, c) in "GATTACA".utf8.enumerated() { seq[10 + k] = c }
        let s = encode([String(decoding: seq, as: UTF8.self)])
        let r = try InSilicoMutagenesis.run(model: m, sequences: s, names: ["s1"], cellTypes: ["up", "down"], threads: 2)[0]
        XCTAssertEqual(r.length, L)
        XCTAssertEqual(r.reference[0], 1 / (1 + exp(-(2 * 4 - 2))), accuracy: 1e-5)
        for i in 0..<L {
            for b in 0..<4 {
                let d0 = r.delta(position: i, base: b, cellType: 0), d1 = r.delta(position: i, base: b, cellType: 1)
                let isRef = UInt8(b) == s.codes[i]
                if (10...16).contains(i) && !isRef {
                    XCTAssertLessThan(d0, -0.5, "position \(i) base \(b)")
                    XCTAssertGreaterThan(d1, 0.5, "position \(i) base \(b)")
                } else {
                    XCTAssertEqual(d0, 0, accuracy: 1e-6, "position \(i) base \(b)")
                    XCTAssertEqual(d1, 0, accuracy: 1e-6, "position \(i) base \(b)")
                }
            }
        }
        // Contrast and importance: the reference letters of the motif stand above the line.
        let contrast = r.contrastMatrix(0, 1)
        XCTAssertLessThan(contrast[(12 * 4) + 0], -1.0)   // T→A at 12 (0-based) lowers up − down
        let imp = r.importance(r.matrix(cellType: 0))
        for i in 0..<L {
            let v = imp[i * 4 + Int(s.codes[i])]
            if (10...16).contains(i) { XCTAssertGreaterThan(v, 0.5) } else { XCTAssertEqual(v, 0, accuracy: 1e-6) }
        }
        let tsv = r.tsv(contrast: (0, 1))
        let lines = tsv.split(separator: "\n")
        XCTAssertEqual(lines.count, 2 + 4 * L)
        XCTAssertEqual(lines[1], "position\tref\tbase\tdelta_up\tdelta_down\tcontrast_up_minus_down")
        let svg = SequenceLogo.twoSided(values: imp, title: "s1 up")
        XCTAssertTrue(svg.hasPrefix("<svg") || svg.contains("<svg"))
        // The motif in a second sequence of the same batch: results do not depend on batching.
        let two = encode([String(decoding: seq, as: UTF8.self), String(decoding: background, as: UTF8.self)])
        let rs = try InSilicoMutagenesis.run(model: m, sequences: two, names: ["a", "b"], cellTypes: ["up", "down"],
                                             threads: 1, sequencesPerBatch: 1)
        XCTAssertEqual(rs[0].delta, r.delta)
        XCTAssertTrue(rs[1].delta.allSatisfy { $0 == 0 })   // no motif, and no single substitution of C/G creates one
    }

    func testFASTAParsing() throws {
        let (names, seqs) = try InSilicoMutagenesis.parseFASTA(">a desc\nACGT\nacgn\n>b\nRYAC\n", file: "x.fa")
        XCTAssertEqual(names, ["a", "b"])
        XCTAssertEqual(seqs[0], [0, 1, 2, 3, 0, 1, 2, 4])
        XCTAssertEqual(seqs[1], [4, 4, 0, 1])
        XCTAssertThrowsError(try InSilicoMutagenesis.parseFASTA("ACGT\n", file: "x.fa")) { e in
            XCTAssertTrue("\(e)".contains("x.fa:1"), "\(e)")
        }
        XCTAssertThrowsError(try InSilicoMutagenesis.parseFASTA(">a\nAC-T\n", file: "x.fa")) { e in
            XCTAssertFalse("\(e)".contains("\n"))
        }
    }

    // MARK: - The motifs analysis end to end

    /// A model over ctcf_small.h5 (L = 101, three cell types) whose filter 0 is CTCF's JASPAR
    /// log-odds matrix (MA0139.2), the others random.
    func ctcfModel() throws -> (Stage1Model, MotifDatabase) {
        let db = try MotifDatabase.loadDefault()
        let ctcf = try XCTUnwrap(db.motif(id: "MA0139.2"))
        let C = 4, W = 24, H = 8, N = 3
        var rng = SeededRandom(seed: 21)
        var conv = (0..<(C * 4 * W)).map { _ in Float(0.3 * rng.normal()) }
        let lo = ctcf.logOdds()
        for k in 0..<W { for b in 0..<4 { conv[(0 * 4 + b) * W + k] = k < ctcf.width ? Float(lo[k * 4 + b]) : 0 } }
        var fc1 = [Float](repeating: 0, count: H * C)
        for j in 0..<H { for c in 0..<C { fc1[j * C + c] = Float(0.1 * rng.normal()) } }
        fc1[0] = 1
        var fc2 = [Float](repeating: 0, count: N * H)
        for k in 0..<N { fc2[k * H + 0] = 0.5 }
        let m = try handModel(C: C, N: N, L: 101, W: W, conv: conv, convBias: [-5, 0, 0, 0], fc1: fc1,
                              fc1b: [Float](repeating: 0, count: H), fc2: fc2, fc2b: [-1, -1, -1], H: H)
        return (m, db)
    }

    func testMotifsAnalysisWritesValidFiles() throws {
        let (m, db) = try ctcfModel()
        let data = try BassetH5.read(path: fixturePath("h5/ctcf_small.h5"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("motifs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var o = MotifAnalysisOptions()
        o.threads = 2
        let out = try MotifAnalysis.run(model: m, modelCellTypes: data.targetLabels, modelPath: "hand", dataset: data,
                                        dataPath: "ctcf_small.h5", database: db, databaseName: "JASPAR", options: o,
                                        directory: dir.path)
        let meme = try MEMEFile(contentsOf: dir.appendingPathComponent("filters.meme"))
        XCTAssertEqual(meme.motifs.map(\.id), ["filter_0", "filter_1", "filter_2", "filter_3"])
        XCTAssertTrue(meme.motifs.allSatisfy { $0.width == 24 })
        let tsv = try String(contentsOf: dir.appendingPathComponent("filters.tsv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(tsv.count, 5)
        XCTAssertTrue(tsv.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == FilterMotifWriter.summaryColumns.count })
        let inf = try String(contentsOf: dir.appendingPathComponent("influence_stage1.tsv"), encoding: .utf8)
        XCTAssertEqual(inf.split(separator: "\n").count, 1 + 4 * 4)
        for i in 0..<4 {
            let svg = try String(contentsOf: dir.appendingPathComponent("logos/filter_\(i).svg"), encoding: .utf8)
            XCTAssertTrue(svg.contains("<svg") && svg.hasSuffix("</svg>\n") || svg.hasSuffix("</svg>"), "filter \(i) logo")
        }
        // Filter 0 is CTCF: its best match is CTCF and it has a match logo.
        XCTAssertGreaterThan(out.pwms[0].siteCount, 10)
        XCTAssertEqual(out.matches[0].first?.targetID, "MA0139.2")
        XCTAssertLessThan(out.matches[0].first?.qValue ?? 1, 0.05)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("logos/filter_0_match.svg").path))
        // Filter 0 drives every output: it moves the predictions most (the fixture's labels do not
        // depend on CTCF, so the loss ranking is not asserted).
        let s1 = out.report.influenceStage1
        XCTAssertEqual((0..<4).max { s1.overallAbsDeltaProbability($0) < s1.overallAbsDeltaProbability($1) }, 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("motifs.json"))) as! [String: Any]
        let filters = json["filters"] as! [[String: Any]]
        XCTAssertEqual(filters.count, 4)
        XCTAssertEqual(((filters[0]["matches"] as! [[String: Any]]).first?["id"] as? String), "MA0139.2")
        XCTAssertNotNil((filters[0]["influence"] as! [String: Any])["total_delta_loss"])
        XCTAssertEqual(json["sequences"] as? Int, 340)
    }

    // MARK: - Bad inputs

    func testBadInputsGiveOneLineMessages() throws {
        func oneLine(_ e: Error, contains s: String, file: StaticString = #filePath, line: UInt = #line) {
            let d = "\(e)"
            XCTAssertFalse(d.contains("\n"), d, file: file, line: line)
            XCTAssertTrue(d.contains(s), "'\(d)' lacks '\(s)'", file: file, line: line)
        }
        XCTAssertThrowsError(try Stage1Checkpoint.load(path: "/nonexistent/model.safetensors")) { oneLine($0, contains: "/nonexistent/model.safetensors: no such model file") }
        let (m, _) = try ctcfModel()
        let data = try BassetH5.read(path: fixturePath("h5/ctcf_small.h5"))
        XCTAssertThrowsError(try MotifAnalysis.checkCompatible(model: m, modelCellTypes: ["GM12878", "HepG2", "A549"],
                                                               dataset: data, dataPath: "d.h5")) { oneLine($0, contains: "differ") }
        let short = try gattacaModel(L: 30)
        XCTAssertThrowsError(try MotifAnalysis.checkCompatible(model: short, modelCellTypes: data.targetLabels,
                                                               dataset: data, dataPath: "d.h5")) { oneLine($0, contains: "length 101") }
        XCTAssertThrowsError(try InSilicoMutagenesis.run(model: short, sequences: data.testIn, names: data.testHeaders,
                                                         cellTypes: ["up", "down"])) { oneLine($0, contains: "expects 30") }
    }

    /// The CLI itself (when the test build has it): one-line errors with exit code 1.
    func testCLIErrorsAreOneLine() throws {
        func run(_ args: [String]) throws -> (Int32, String) {
            let r = try SigTFBExecutable.run(args)
            return (r.code, r.err)
        }
        let h5 = fixturePath("h5/ctcf_small.h5")
        for args in [["motifs", "--model", "/nonexistent/m.safetensors", "--chip-data", h5, "--out", "/tmp/x"],
                     ["ism", "--model", "/nonexistent/m.safetensors", "--chip-data", h5, "--ids", "a", "--out", "/tmp/x"]] {
            let (code, err) = try run(args)
            XCTAssertEqual(code, 1, err)
            XCTAssertEqual(err.split(separator: "\n").count, 1, err)
            XCTAssertTrue(err.hasPrefix("sigtfb: error: "), err)
        }
    }
}
