import Foundation
import Storage
import XCTest

/// `sigtfb stage1` / `sigtfb stage2` as drop-ins for the original's stage1_pipeline.py and
/// stage2_pipeline.py: the original's command lines, every option of its argument parser, wrong values.
/// Budgets are tiny (one trial, one epoch) so that the whole class runs in seconds.
final class SeedCLITests: XCTestCase {
    @discardableResult
    func run(_ args: [String], cwd: String? = nil) throws -> (code: Int32, out: String, err: String) {
        try SigTFBExecutable.run(args, cwd: cwd)
    }

    func tempDir() -> String { scratchDirectory("sigtfb-seed") }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    let h5 = fixturePath("h5/ctcf_small.h5")
    let budget1 = ["--trials", "1", "--max-epochs", "1", "--threads", "2"]
    var budget2: [String] { budget1 + ["--bootstrap", "20"] }

    /// A stage-1 model of ctcf_small.h5 for the stage-2 runs (one per test).
    func stage1Model(_ dir: String) throws -> String {
        let r = try run(["stage1", "--TF", "CTCF", "--AB", "S", "--chipData", h5, "--hyperparameterPath", dir + "/s1hp",
                         "--saveModelPath", dir + "/s1m"] + budget1 + small)
        XCTAssertEqual(r.code, 0, r.err)
        return dir + "/s1m/CTCF/S/CTCF.S.safetensors"
    }

    /// A small network (fixed, so not tuned) keeps runs that test something else fast.
    let small = ["--num_channels", "8", "--batch_size", "16"]

    /// One stage-1 run in a fresh directory with the original's spellings plus `extra`.
    func stage1(_ extra: [String], file: String? = nil, small isSmall: Bool = true) throws -> (code: Int32, out: String, err: String, dir: String) {
        let d = tempDir()
        let r = try run(["stage1", "--TF", "CTCF", "--AB", "S", "--chipData", file ?? h5, "--hyperparameterPath", d + "/hp",
                         "--saveModelPath", d + "/m"] + budget1 + (isSmall ? small : []) + extra)
        return (r.code, r.out, r.err, d)
    }

    func stage2(_ extra: [String], stage1 model: String) throws -> (code: Int32, out: String, err: String, dir: String) {
        let d = tempDir()
        let r = try run(["stage2", "--TF", "CTCF", "--AB", "S", "--chipData", h5, "--model_stage1_path", model,
                         "--hyperparameterPath", d + "/hp", "--saveModelPath", d + "/m"] + budget2 + extra)
        return (r.code, r.out, r.err, d)
    }

    func hyperparameters(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for l in try lines(dir + "/hp/hyperparameters.txt") {
            let p = l.split(separator: ",", maxSplits: 1).map(String.init)
            out[p[0]] = p[1]
        }
        return out
    }

    func plan(_ dir: String) throws -> [String: Any] { try json(dir + "/m/CTCF/S/data-plan.json") }
    func options(_ dir: String) throws -> [String: Any] { try plan(dir)["options"] as! [String: Any] }
    func modelBytes(_ dir: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: dir + "/m/CTCF/S/CTCF.S.safetensors")) }
    func sidecarHP(_ dir: String) throws -> [String: Any] { try json(dir + "/m/CTCF/S/CTCF.S.json")["hyperparameters"] as! [String: Any] }

    /// The original README's two command lines, with `python classification/stageN_pipeline.py`
    /// replaced by `sigtfb stageN` and a small budget appended; and its `--help` lines.
    func testTheOriginalReadmeCommandLinesRunUnchanged() throws {
        let root = tempDir()
        let vars = ["$TF": "CTCF", "$AB": "ENCAB000DEMO", "$chipData": h5,
                    "$hyperparameterPath": root + "/hp1", "$saveModelPath": root + "/models1",
                    // The original saved stage 1 as TF.AB.pth.tar; scripts pass that path on.
                    "$model_stage1_path": root + "/models1/CTCF/ENCAB000DEMO/CTCF.ENCAB000DEMO.pth.tar"]
        let readme: [(line: String, budget: [String], outputs: [String], hpDir: String?)] = [
            ("python classification/stage1_pipeline.py --TF $TF --AB $AB --chipData $chipData --hyperparameterPath $hyperparameterPath --saveModelPath $saveModelPath",
             budget1, ["models1/CTCF/ENCAB000DEMO/CTCF.ENCAB000DEMO.safetensors", "models1/CTCF/ENCAB000DEMO/CTCF.ENCAB000DEMO.json",
                       "models1/CTCF/ENCAB000DEMO/metrics.json", "hp1/dataframe.csv"], "hp1"),
            ("python classification/stage2_pipeline.py --TF $TF --AB $AB --chipData $chipData --model_stage1_path $model_stage1_path --hyperparameterPath $hyperparameterPath --saveModelPath $saveModelPath",
             budget2, ["models2/CTCF/ENCAB000DEMO/CTCF.ENCAB000DEMO.safetensors", "models2/CTCF/ENCAB000DEMO/metrics.json",
                       "models2/CTCF/ENCAB000DEMO/signature.json", "models2/CTCF/ENCAB000DEMO/signature.tsv", "hp2/dataframe.csv"], "hp2"),
            ("python stage1_pipeline.py --help", [], [], nil),
            ("python stage2_pipeline.py --help", [], [], nil),
        ]
        for (k, row) in readme.enumerated() {
            var v = vars
            if k == 1 { v["$hyperparameterPath"] = root + "/hp2"; v["$saveModelPath"] = root + "/models2" }
            var words = row.line.split(separator: " ").map(String.init)
            XCTAssertEqual(words[0], "python")
            let script = (words[1] as NSString).lastPathComponent
            words = [script == "stage1_pipeline.py" ? "stage1" : "stage2"] + words.dropFirst(2).map { v[$0] ?? $0 }
            let r = try run(words + row.budget)
            XCTAssertEqual(r.code, 0, "\(row.line): \(r.err)")
            for f in row.outputs { XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + f), "\(row.line): \(f)") }
            if let hp = row.hpDir {
                let first = try lines(root + "/\(hp)/hyperparameters.txt")[0].split(separator: ",")
                XCTAssertEqual(first[0], "AUPRC"); XCTAssertNotNil(Double(first[1]))
            }
            if k == 0 {
                let m = try json(root + "/models1/CTCF/ENCAB000DEMO/metrics.json")
                let macro = (m["test"] as! [String: Any])["macro"] as! [String: Any]
                XCTAssertNotNil(macro["auroc"] as? Double)
            }
            if k == 1 {
                let s = try json(root + "/models2/CTCF/ENCAB000DEMO/signature.json")
                XCTAssertEqual(Set((s["per_cell_type"] as! [String: Any]).keys), ["GM12878", "HepG2", "K562"])
                XCTAssertTrue(r.err.contains("CTCF.ENCAB000DEMO.pth.tar does not exist; reading"), r.err)
            }
            if row.line.hasSuffix("--help") {
                let names = ["--TF", "--AB", "--chipData", "--hyperparameterPath", "--saveModelPath", "--idxPath", "--typeChIP",
                             "--Encoding_Random", "--customSampler", "--customSampler_OneLoss", "--unique", "--shuffle", "--upsampleRows",
                             "--lossFunction", "--learning_rate", "--momentum_rate", "--weight_decay", "--dropout_prob", "--conv_std",
                             "--linear_std", "--batch_size", "--num_epochs", "--num_channels", "--seq_length", "--saveModelBool",
                             "--savePlotBool", "--baseline", "--dataDivided", "--sampleData", "--reverse-complement"]
                    + (words[0] == "stage2" ? ["--model_stage1_path", "--modelname", "--freeze_pretrained_model", "--sigmoid_bool",
                                               "--dropout_bool", "--num_hidden_layers", "--neurons_per_layer",
                                               "--neurons_per_layer_pre_concat", "--concatRNA_epoch", "--concatRNA_batch"] : [])
                for n in names { XCTAssertTrue(r.out.contains(n + " ") || r.out.contains(n + ",") || r.out.contains(n + "\n"), "\(words[0]) --help lacks \(n)") }
                if words[0] == "stage2" {
                    // The head variants: documented, saying the original only ever built Net_Stage2.
                    let help = r.out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                    for n in ["--modelname <modelname> Net (default)", "--num_hidden_layers <num_hidden_layers> Hidden layers"] {
                        let entry = help.components(separatedBy: n).dropFirst().first ?? ""
                        XCTAssertTrue(entry.hasPrefix(":") || entry.hasPrefix(" after"), "stage2 --help: \(n)")
                        XCTAssertTrue(entry.prefix(250).contains("The original only ever built Net_Stage2."), "stage2 --help: \(n): \(entry.prefix(250))")
                    }
                }
            }
        }
    }

    func testTypeChIP() throws {
        let two = try stage1(["--typeChIP", "two"])
        XCTAssertEqual(two.code, 0, two.err)
        XCTAssertEqual(try plan(two.dir)["validation_rows"] as? Int, 60)
        XCTAssertEqual(try plan(two.dir)["training_rows_per_trial"] as? Int, 240)

        let one = try stage1(["--typeChIP", "one"], file: fixturePath("h5/with_valid.h5"))
        XCTAssertEqual(one.code, 0, one.err)
        XCTAssertEqual(try plan(one.dir)["validation_rows"] as? Int, 5, "the file's valid_in")
        XCTAssertEqual(try plan(one.dir)["training_rows_per_trial"] as? Int, 20)
        let noValid = try stage1(["--typeChIP", "one"])
        XCTAssertEqual(noValid.code, 1)
        XCTAssertTrue(noValid.err.hasSuffix("it has none (use two)\n"), noValid.err)

        let three = try stage1(["--typeChIP", "three", "--trials", "3"], small: false)
        XCTAssertEqual(three.code, 0, three.err)
        XCTAssertNil(try plan(three.dir)["validation_rows"] as? Int)
        XCTAssertEqual(try plan(three.dir)["training_rows_per_trial"] as? Int, 300)
        XCTAssertEqual(try lines(three.dir + "/hp/hyperparameters.txt")[0], "AUPRC,nan")
        XCTAssertEqual(try lines(three.dir + "/hp/dataframe.csv").count, 2, "nothing tuned: one trial")
        XCTAssertEqual(try hyperparameters(three.dir)["num_channels"], "16", "the original's default")
        XCTAssertTrue(three.out.contains("--typeChIP three"), three.out)
        let m = try json(three.dir + "/m/CTCF/S/metrics.json")
        XCTAssertNil(m["best_validation"] as? Double, "no validation objective")
    }

    func testIdxPathWritesAndReusesTheSplits() throws {
        let d = tempDir()
        let idx = d + "/idx"
        let a = try stage1(["--idxPath", idx, "--trials", "2"])
        XCTAssertEqual(a.code, 0, a.err)
        for f in ["train0", "valid0", "train1", "valid1"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(idx)/CTCF/S/\(f).txt"), f)
        }
        XCTAssertEqual(try lines(idx + "/CTCF/S/train0.txt").count, 240)
        XCTAssertEqual(try lines(idx + "/CTCF/S/valid0.txt").count, 60)
        // Edited index files are used as given.
        try (0..<100).map(String.init).joined(separator: "\n").write(toFile: idx + "/CTCF/S/train0.txt", atomically: true, encoding: .utf8)
        try (100..<150).map(String.init).joined(separator: "\n").write(toFile: idx + "/CTCF/S/valid0.txt", atomically: true, encoding: .utf8)
        let b = try stage1(["--idxPath", idx])
        XCTAssertEqual(b.code, 0, b.err)
        XCTAssertEqual(try plan(b.dir)["training_rows_per_trial"] as? Int, 100)
        XCTAssertEqual(try plan(b.dir)["validation_rows"] as? Int, 50)
        try "5\n7\n300".write(toFile: idx + "/CTCF/S/train0.txt", atomically: true, encoding: .utf8)
        let bad = try stage1(["--idxPath", idx])
        XCTAssertEqual(bad.code, 1)
        XCTAssertTrue(bad.err.contains("train0.txt line 3: '300' is not a row of train_in"), bad.err)
        let usage = try stage1(["--idxPath", idx, "--typeChIP", "three"])
        XCTAssertEqual(usage.code, 2)
    }

    func testSamplerAndLossOptions() throws {
        let plain = try stage1([])
        XCTAssertEqual(plain.code, 0, plain.err)
        XCTAssertEqual(try sidecarHP(plain.dir)["sampler"] as? String, "balanced")
        XCTAssertEqual(try sidecarHP(plain.dir)["loss"] as? String, "basset")
        let shuffled = try stage1(["--customSampler", "False"])
        XCTAssertEqual(shuffled.code, 0, shuffled.err)
        XCTAssertEqual(try sidecarHP(shuffled.dir)["sampler"] as? String, "shuffle")
        let oneLoss = try stage1(["--customSampler", "True", "--customSampler_OneLoss", "True"])
        XCTAssertEqual(oneLoss.code, 0, oneLoss.err)
        XCTAssertEqual(try sidecarHP(oneLoss.dir)["loss"] as? String, "one-loss")
        let bce = try stage1(["--lossFunction", "BCE", "--customSampler_OneLoss", "False"])
        XCTAssertEqual(bce.code, 0, bce.err)
        XCTAssertEqual(try sidecarHP(bce.dir)["loss"] as? String, "bce")
        XCTAssertNotEqual(try modelBytes(bce.dir), try modelBytes(plain.dir), "the loss changes training")
        XCTAssertEqual(try stage1(["--customSampler_OneLoss", "True", "--customSampler", "False"]).code, 2)
        XCTAssertEqual(try stage1(["--customSampler_OneLoss", "True", "--lossFunction", "BCE"]).code, 2)
    }

    func testUniqueShuffleUpsampleSampleData() throws {
        let data = try BassetH5.read(path: h5)
        let uniqueRows = (0..<data.trainIn.count).filter { r in (0..<3).map { Int(data.trainOut[r, $0]) }.reduce(0, +) == 1 }.count
        let u = try stage1(["--unique", "True"])
        XCTAssertEqual(u.code, 0, u.err)
        XCTAssertEqual(try plan(u.dir)["kept_rows"] as? Int, uniqueRows)
        XCTAssertEqual(try options(u.dir)["unique"] as? Bool, true)

        let fixed = ["--learning_rate", "0.01", "--conv_std", "0.01", "--linear_std", "0.01", "--num_channels", "8",
                     "--batch_size", "16", "--num_epochs", "1", "--weight_decay", "0"]
        let plain = try stage1(fixed, small: false)
        let sh = try stage1(fixed + ["--shuffle", "True"], small: false)
        XCTAssertEqual(sh.code, 0, sh.err)
        XCTAssertEqual(try options(sh.dir)["dinucleotide_shuffle"] as? Bool, true)
        XCTAssertNotEqual(try modelBytes(sh.dir), try modelBytes(plain.dir), "shuffled negatives change training")
        let no = try stage1(fixed + ["--shuffle", "False"], small: false)
        XCTAssertEqual(no.code, 0, no.err)
        XCTAssertEqual(try modelBytes(no.dir), try modelBytes(plain.dir))

        let up = try stage1(["--upsampleRows", "True"])
        XCTAssertEqual(up.code, 0, up.err)
        XCTAssertGreaterThan(try plan(up.dir)["training_rows_per_trial"] as! Int, 240)
        XCTAssertEqual(try plan(up.dir)["validation_rows"] as? Int, 60)

        let s = try stage1(["--sampleData"])
        XCTAssertEqual(s.code, 0, s.err)
        XCTAssertEqual(try options(s.dir)["sample_data"] as? Bool, true)
        XCTAssertLessThanOrEqual(try plan(s.dir)["training_rows_per_trial"] as! Int, 10_000)
    }

    func testGivenHyperparametersAreNotTuned() throws {
        let r = try stage1(["--learning_rate", "0.002", "--weight_decay", "1e-5", "--conv_std", "0.02", "--linear_std", "0.03",
                            "--batch_size", "32", "--num_epochs", "2", "--num_channels", "9", "--seq_length", "101",
                            "--momentum_rate", "0.5", "--dropout_prob", "0.1", "--trials", "3"], small: false)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("every hyperparameter is fixed: one trial instead of 3"), r.err)
        let hp = try hyperparameters(r.dir)
        XCTAssertEqual(hp["learning_rate"], "0.002"); XCTAssertEqual(hp["weight_decay"], "1e-05")
        XCTAssertEqual(hp["conv_std"], "0.02"); XCTAssertEqual(hp["linear_std"], "0.03")
        XCTAssertEqual(hp["batch_size"], "32"); XCTAssertEqual(hp["num_epochs"], "2"); XCTAssertEqual(hp["num_channels"], "9")
        XCTAssertNil(hp["momentum_rate"], "stage 1 has no momentum (Adam)")
        XCTAssertEqual(try sidecarHP(r.dir)["num_channels"] as? Int, 9)
        XCTAssertEqual(try sidecarHP(r.dir)["num_epochs"] as? Int, 1, "still capped by --max-epochs 1")
        // One given, the others tuned.
        let some = try stage1(["--num_channels", "12", "--trials", "2"], small: false)
        XCTAssertEqual(some.code, 0, some.err)
        XCTAssertEqual(try lines(some.dir + "/hp/dataframe.csv").count, 3)
        XCTAssertEqual(try hyperparameters(some.dir)["num_channels"], "12")
        let wrongLength = try stage1(["--seq_length", "50"])
        XCTAssertEqual(wrongLength.code, 1)
        XCTAssertTrue(wrongLength.err.contains("not --seq_length 50"), wrongLength.err)
    }

    func testFlagsTheOriginalNeverReadChangeNothing() throws {
        let plain = try stage1([])
        let flags = try stage1(["--saveModelBool", "--savePlotBool", "--dataDivided", "--num_units", "3", "--num_cell_types", "3",
                                "--Encoding_Random", "C"])
        XCTAssertEqual(flags.code, 0, flags.err)
        XCTAssertEqual(try modelBytes(flags.dir), try modelBytes(plain.dir))
    }

    func testBaselineAndReverseComplement() throws {
        let trained = ["--learning_rate", "0.01", "--conv_std", "0.05", "--linear_std", "0.05", "--num_channels", "8",
                       "--batch_size", "16", "--num_epochs", "1", "--weight_decay", "0"]
        let b = try stage1(trained + ["--baseline"], small: false)
        XCTAssertEqual(b.code, 0, b.err)
        let base = try json(b.dir + "/m/CTCF/S/baseline.json")
        let per = base["per_cell_type"] as! [String: [String: Any]]
        XCTAssertEqual(Set(per.keys), ["GM12878", "HepG2", "K562"])
        for (_, c) in per {
            let p = c["probability"] as! Double
            XCTAssertTrue(p > 0 && p < 1)
            XCTAssertNotNil((c["model_loss"] as! [String: Double])["model"])
        }
        XCTAssertTrue(b.out.contains("baseline GM12878: P = "), b.out)

        let off = try stage1(trained, small: false)
        let avg = try stage1(trained + ["--reverse-complement", "average"], small: false)
        XCTAssertEqual(avg.code, 0, avg.err)
        XCTAssertEqual(try modelBytes(avg.dir), try modelBytes(off.dir), "average changes only the evaluation")
        func auroc(_ d: String) throws -> Double {
            (((try json(d + "/m/CTCF/S/metrics.json"))["test"] as! [String: Any])["macro"] as! [String: Any])["auroc"] as! Double
        }
        XCTAssertNotEqual(try auroc(avg.dir), try auroc(off.dir), "test predictions averaged over both strands")
        let aug = try stage1(trained + ["--reverse-complement", "augment"], small: false)
        XCTAssertEqual(aug.code, 0, aug.err)
        XCTAssertEqual(try plan(aug.dir)["training_rows_per_trial"] as? Int, 480)
        XCTAssertEqual(try plan(aug.dir)["final_training_rows"] as? Int, 600)
        XCTAssertNotEqual(try modelBytes(aug.dir), try modelBytes(off.dir))
    }

    func testStage2Options() throws {
        let model = try stage1Model(tempDir())
        let r = try stage2(["--Encoding_Random", "test_both", "--freeze_pretrained_model", "--neurons_per_layer", "7",
                            "--neurons_per_layer_pre_concat", "5", "--momentum_rate", "0.2", "--dropout_prob", "0.01",
                            "--modelname", "Net", "--num_hidden_layers", "1", "--sigmoid_bool", "--dropout_bool",
                            "--concatRNA_epoch", "--concatRNA_batch", "--baseline", "--reverse-complement", "average",
                            "--customSampler", "True", "--lossFunction", "BASSET"], stage1: model)
        XCTAssertEqual(r.code, 0, r.err)
        let hp = try hyperparameters(r.dir)
        XCTAssertEqual(hp["freeze_pretrained_model"], "true"); XCTAssertEqual(hp["neurons_per_layer"], "7")
        XCTAssertEqual(hp["neurons_per_layer_pre_concat"], "5"); XCTAssertEqual(hp["momentum_rate"], "0.2")
        XCTAssertEqual(hp["dropout_prob"], "0.01")
        let m = try json(r.dir + "/m/CTCF/S/metrics.json")
        XCTAssertEqual(m["encoding"] as? String, "E", "test_both trains as E")
        let base = try json(r.dir + "/m/CTCF/S/baseline.json")
        let k562 = (base["per_cell_type"] as! [String: [String: Any]])["K562"]!
        XCTAssertEqual(Set((k562["model_loss"] as! [String: Double]).keys), ["told", "not_told"])
        XCTAssertEqual(try options(r.dir)["reverse_complement"] as? String, "average")

        let c = try stage2(["--Encoding_Random", "C", "--typeChIP", "three", "--unique", "True"], stage1: model)
        XCTAssertEqual(c.code, 0, c.err)
        XCTAssertEqual(try json(c.dir + "/m/CTCF/S/metrics.json")["encoding"] as? String, "C")
        XCTAssertEqual(try lines(c.dir + "/hp/hyperparameters.txt")[0], "AUPRC,nan")
        XCTAssertEqual(try options(c.dir)["unique"] as? Bool, true)

        let one = try stage2(["--modelname", "Net_OneLayer"], stage1: model)
        XCTAssertEqual(one.code, 0, one.err)
        XCTAssertEqual((try json(one.dir + "/m/CTCF/S/CTCF.S.json")["architecture"] as! [String: Any])["num_hidden_layers"] as? Int, 1)
        for bad in [["--modelname", "Net_NoLayers", "--num_hidden_layers", "2"], ["--modelname", "Net_OneLayer", "--num_hidden_layers", "2"], ["--num_hidden_layers", "9"],
                    ["--encoding", "A", "--Encoding_Random", "C"], ["--typeChIP", "three", "--final-model", "retrain"]] {
            let e = try stage2(bad, stage1: model)
            XCTAssertEqual(e.code, 2, "\(bad): \(e.err)")
            XCTAssertEqual(e.err.split(separator: "\n").count, 1, "\(bad): \(e.err)")
        }
    }

    /// `--num_hidden_layers 2` and `--modelname Net_NoLayers` on the tiny fixture: valid outputs, a
    /// checkpoint whose architecture says so, and that checkpoint read by predict, motifs
    /// --stage2-model and report.
    func testHeadVariantsTrainAndTheirCheckpointsAreReadEverywhere() throws {
        let root = tempDir()
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: h5, toPath: root + "/data/CTCF.S.h5")
        let s1 = try run(["stage1", "--TF", "CTCF", "--AB", "S", "--chipData", h5, "--hyperparameterPath", root + "/stage1",
                          "--saveModelPath", root + "/stage1"] + budget1 + small)
        XCTAssertEqual(s1.code, 0, s1.err)
        let model1 = root + "/stage1/CTCF/S/CTCF.S.safetensors"
        let two = try run(["stage2", "--TF", "CTCF", "--AB", "S", "--chipData", h5, "--model_stage1_path", model1,
                           "--hyperparameterPath", root + "/stage2", "--saveModelPath", root + "/stage2", "--num_hidden_layers", "2"] + budget2)
        XCTAssertEqual(two.code, 0, two.err)
        let none = try stage2(["--modelname", "Net_NoLayers"], stage1: model1)
        XCTAssertEqual(none.code, 0, none.err)
        let fasta = root + "/q.fa"
        try ">a\nACGTACGTTTGACCGCTAGGGGGCGCTA\n>b\nGGGGCCCCAAAATTTTCCGCGCGATAT\n".write(toFile: fasta, atomically: true, encoding: .utf8)
        for (L, dir) in [(2, root + "/stage2/CTCF/S"), (0, none.dir + "/m/CTCF/S")] {
            let what = "num_hidden_layers \(L)"
            let side = try json(dir + "/CTCF.S.json")
            XCTAssertEqual(side["model"] as? String, "Net_Stage2", what)
            XCTAssertEqual((side["architecture"] as! [String: Any])["num_hidden_layers"] as? Int, L, what)
            XCTAssertEqual((side["hyperparameters"] as! [String: Any])["num_hidden_layers"] as? Int, L, what)
            XCTAssertEqual(try json(dir + "/metrics.json")["num_hidden_layers"] as? Int, L, what)
            let tensors = try Safetensors.read(path: dir + "/CTCF.S.safetensors").tensors
            let names = Set(tensors.map(\.name))
            XCTAssertEqual(names.contains("fc3.weight"), L >= 1, what)
            XCTAssertEqual(names.contains("fc3_2.weight") && names.contains("bn3_2.running_var"), L == 2, what)
            XCTAssertEqual(tensors.first { $0.name == "fc4.weight" }?.shape, L == 0 ? [2, 8 + 1] : [2, Int(tensors.first { $0.name == "fc3.bias" }!.shape[0])], what)
            let sig = try json(dir + "/signature.json")
            XCTAssertEqual(Set((sig["per_cell_type"] as! [String: Any]).keys), ["GM12878", "HepG2", "K562"], what)
            // predict reads the checkpoint: one probability per cell type told, and not told.
            let out = root + "/pred\(L).tsv"
            let p = try run(["predict", "--model", dir + "/CTCF.S.safetensors", "--fasta", fasta, "--pad", "--out", out, "--threads", "2"])
            XCTAssertEqual(p.code, 0, p.err)
            let rows = try lines(out)
            XCTAssertEqual(rows.count, 3, what)
            for row in rows.dropFirst() {
                let v = row.split(separator: "\t").dropFirst().map { Double($0)! }
                XCTAssertEqual(v.count, 4, what)
                XCTAssertTrue(v.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(what): \(row)")
            }
        }
        XCTAssertEqual(try hyperparameters(none.dir)["neurons_per_layer"], "32", "Net_NoLayers: neurons_per_layer sizes nothing, so it is not tuned")
        // motifs --stage2-model and the report read the two-hidden-layer checkpoint.
        let m = try run(["motifs", "--model", model1, "--chip-data", h5, "--out", root + "/motifs", "--stage2-model",
                         root + "/stage2/CTCF/S/CTCF.S.safetensors", "--threads", "2"])
        XCTAssertEqual(m.code, 0, m.err)
        XCTAssertNotNil(try json(root + "/motifs/motifs.json")["influence_stage2"] as? [String: Any])
        let rep = try run(["report", "--run", root, "--threads", "2"])
        XCTAssertEqual(rep.code, 0, rep.err)
        let html = try String(contentsOfFile: root + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("Stage-2 model: Net_Stage2 head with 2 hidden layers"), "report names the head")
        XCTAssertFalse(html.contains("Stage 2 has not run"))
    }

    func testWrongValuesGiveOneLineUsageErrors() throws {
        let base = ["--TF", "T", "--AB", "A", "--chipData", h5, "--hyperparameterPath", "hp", "--saveModelPath", "m"]
        let cases: [(String, [String], String)] = [
            ("stage1", ["--typeChIP", "four"], "'four' is invalid for '--typeChIP"),
            ("stage1", ["--shuffle", "maybe"], "'maybe' is invalid for '--shuffle"),
            ("stage1", ["--unique", "yes"], "--unique"),
            ("stage1", ["--customSampler", "TRUE"], "--customSampler"),
            ("stage1", ["--lossFunction", "MSE"], "--lossFunction"),
            ("stage1", ["--reverse-complement", "both"], "--reverse-complement"),
            ("stage1", ["--learning_rate", "0"], "--learning_rate must be a positive number"),
            ("stage1", ["--batch_size", "0"], "--batch_size must be at least 1"),
            ("stage1", ["--dropout_prob", "1.5"], "--dropout_prob must be in [0, 1)"),
            ("stage1", ["--modelname", "Net"], "--modelname"),
            ("stage1", ["--curve-margin", "nan"], "--curve-margin must be a finite number"),
            ("stage2", ["--model_stage1_path", "x", "--neurons_per_layer", "0"], "--neurons_per_layer must be in 1...4096"),
            ("stage2", ["--model_stage1_path", "x", "--num_hidden_layers", "9"], "--num_hidden_layers must be in 0...8"),
            ("stage2", ["--model_stage1_path", "x", "--modelname", "Net_NoLayers", "--num_hidden_layers", "1"],
             "--modelname Net_NoLayers has no hidden layer but --num_hidden_layers is 1"),
            ("stage2", ["--model_stage1_path", "x", "--modelname", "Net_TwoLayers"], "--modelname"),
        ]
        for (cmd, extra, expected) in cases {
            let r = try run([cmd] + base + extra, cwd: tempDir())
            XCTAssertEqual(r.code, 2, "\(extra): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("sigtfb: error: ") && r.err.contains(expected), "\(extra): \(r.err)")
        }
    }
}
