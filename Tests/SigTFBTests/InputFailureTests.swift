import Foundation
import XCTest

/// Issue 9, the per-input failure inventory (`bench/RELIABILITY.md`): the cells that no other test
/// covers, through the built `sigtfb` as a user runs it. Every case checks the exit code (2 usage,
/// 1 data), that the message is one line naming the file and the field or line, that there is no
/// crash report, and that nothing was written to the output directory.
final class InputFailureTests: XCTestCase {
    func run(_ args: [String]) throws -> (code: Int32, err: String) {
        let r = try SigTFBExecutable.run(args)
        return (r.code, r.err)
    }

    /// A case of the table: a cell of the inventory, the files it needs, the command, what must come back.
    struct Case {
        var cell: String
        var files: [String: [UInt8]] = [:]
        var args: [String]
        var code: Int32
        var expect: [String]
    }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    func gz(_ s: String) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-gz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try s.write(toFile: dir + "/x", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -n '\(dir)/x'"]
        try p.run(); p.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/x.gz")))
    }

    /// Runs every case in its own directory (inputs under it, outputs under `o/`) and checks it.
    func check(_ cases: [Case], shared: String) throws {
        for c in cases {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-inputs-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            for (rel, b) in c.files { try write(dir + "/" + rel, b) }
            try FileManager.default.createDirectory(atPath: dir + "/o", withIntermediateDirectories: true)
            let args = c.args.map { $0.replacingOccurrences(of: "$D", with: dir).replacingOccurrences(of: "$S", with: shared) }
            let r = try run(args)
            let what = "\(c.cell) (\(args.prefix(2).joined(separator: " ")))"
            XCTAssertEqual(r.code, c.code, "\(what): \(r.err)")
            for bad in ["Fatal error", "Stack dump", "crashed", "Backtrace", "Thread 0"] {
                XCTAssertFalse(r.err.contains(bad), "\(what): crash report: \(r.err)")
            }
            let lines = r.err.split(separator: "\n").map(String.init)
            let message: String
            if c.code == 1 {
                // Progress lines may come first; the error is the last line and the only one.
                message = lines.last ?? ""
                XCTAssertTrue(message.hasPrefix("sigtfb: error: "), "\(what): \(r.err)")
                XCTAssertEqual(lines.filter { $0.contains("error:") }.count, 1, "\(what): \(r.err)")
            } else {
                // ArgumentParser's usage errors: the message on the first line, then the usage.
                message = lines.first ?? ""
                XCTAssertTrue(message.hasPrefix("Error: ") || message.hasPrefix("sigtfb: error: "), "\(what): \(r.err)")
            }
            for e in c.expect {
                XCTAssertTrue(message.contains(e.replacingOccurrences(of: "$D", with: dir)), "\(what): '\(message)' lacks '\(e)'")
            }
            let left = (FileManager.default.subpaths(atPath: dir + "/o") ?? []).filter { p in
                var isDir: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: dir + "/o/" + p, isDirectory: &isDir)
                return !isDir.boolValue && !p.hasSuffix(".sigtfb.lock")
            }
            XCTAssertEqual(left, [], "\(what): written to the output directory")
        }
    }

    /// Inputs shared by the cases: a genome, peaks, a model, a valid stage-1 tuning state.
    func shared() throws -> String {
        let s = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-inputs-shared-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: s) }
        var state: UInt64 = 3
        let chrom = (0..<600).map { _ -> Character in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Array("ACGT")[Int(state >> 62)]
        }
        let lines = stride(from: 0, to: 600, by: 60).map { String(chrom[$0..<$0 + 60]) }
        try write(s + "/g.fa", bytes(">chr1\n" + lines.joined(separator: "\n") + "\n"))
        try write(s + "/peaks/A.bed", bytes((0..<8).map { "chr1\t\(100 + $0 * 40)\t\(150 + $0 * 40)\n" }.joined()))
        try write(s + "/peaks/B.bed", bytes((0..<8).map { "chr1\t\(120 + $0 * 40)\t\(170 + $0 * 40)\n" }.joined()))
        try write(s + "/seqs.fa", bytes(">s1\n" + String(chrom[0..<101]) + "\n>s2\n" + String(chrom[101..<202]) + "\n"))
        for f in ["model.safetensors", "model.json"] {
            try FileManager.default.copyItem(atPath: fixturePath("golden/safetensors/\(f)"), toPath: s + "/" + f)
        }
        // A stage-1 tuning state of one trial (seed 12345).
        let r = try run(["stage1", "--tf", "T", "--ab", "A", "--chip-data", fixturePath("h5/ctcf_small.h5"), "--hyperparameter-path", s + "/hp",
                         "--save-model-path", s + "/m", "--trials", "1", "--max-epochs", "1", "--threads", "1"])
        XCTAssertEqual(r.code, 0, r.err)
        return s
    }

    func testEachInputsFailureModesGiveOneLineErrorsAndWriteNothing() throws {
        let t0 = Date()
        let s = try shared()
        let h5 = fixturePath("h5/ctcf_small.h5")
        let model = Array(try Data(contentsOf: URL(fileURLWithPath: s + "/model.safetensors")))
        let sidecar = try String(contentsOfFile: s + "/model.json", encoding: .utf8)
        let state = try String(contentsOfFile: s + "/hp/tuning-state.json", encoding: .utf8)
        let peaksA = Array(try Data(contentsOf: URL(fileURLWithPath: s + "/peaks/A.bed")))
        let genome = try String(contentsOfFile: s + "/g.fa", encoding: .utf8)
        var utf16 = [UInt8]()
        for u in "chr1\t120\t170\n".utf16 { utf16 += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        // A NaN in the first conv weight: the header is followed by the F32 data.
        let headerLength = Int(model.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var nanModel = model
        nanModel.replaceSubrange((8 + headerLength)..<(12 + headerLength), with: [0, 0, 0xC0, 0x7F])
        var doc = try JSONSerialization.jsonObject(with: Data(state.utf8)) as! [String: Any]
        doc["trials"] = (doc["trials"] as! [Any]) + [(doc["trials"] as! [Any])[0]]
        let duplicated = Array(try JSONSerialization.data(withJSONObject: doc))
        let pre = ["preprocess", "--genome", "$S/g.fa", "--out", "$D/o/x.h5"]
        let s1 = ["stage1", "--tf", "T", "--ab", "A", "--chip-data", h5, "--trials", "2", "--max-epochs", "1", "--threads", "1",
                  "--save-model-path", "$D/o/m", "--hyperparameter-path", "$D/hp"]
        let validGz = try gz("chr1\t120\t170\n")
        let meme = Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("motifs/small.meme"))))

        let cases: [Case] = [
            // BED / narrowPeak
            Case(cell: "peaks: missing", args: ["preprocess", "--peaks", "$D/none", "--genome", "$S/g.fa", "--out", "$D/o/x.h5"],
                 code: 1, expect: ["$D/none: peak directory not found"]),
            Case(cell: "peaks: wrong encoding (UTF-16)", files: ["p/A.bed": peaksA, "p/B.bed": [0xFF, 0xFE] + utf16],
                 args: ["preprocess", "--peaks", "$D/p"] + pre.dropFirst(), code: 1, expect: ["p/B.bed:1:", "UTF-16"]),
            Case(cell: "peaks: absurd coordinate", files: ["p/A.bed": peaksA, "p/B.bed": bytes("chr1\t1\t9223372036854775807\n")],
                 args: ["preprocess", "--peaks", "$D/p"] + pre.dropFirst(), code: 1, expect: ["p/B.bed:1: column 3 (end) is absurdly large"]),
            Case(cell: "peaks: truncated gzip", files: ["p/A.bed": peaksA, "p/B.bed.gz": Array(validGz.prefix(validGz.count - 6))],
                 args: ["preprocess", "--peaks", "$D/p"] + pre.dropFirst(), code: 1, expect: ["p/B.bed.gz: truncated gzip file"]),
            // FASTA and .fai
            Case(cell: "genome: missing", args: ["preprocess", "--peaks", "$S/peaks", "--genome", "$D/none.fa", "--out", "$D/o/x.h5"],
                 code: 1, expect: ["$D/none.fa: genome FASTA not found"]),
            Case(cell: "genome: empty", files: ["g.fa": []], args: ["preprocess", "--peaks", "$S/peaks", "--genome", "$D/g.fa", "--out", "$D/o/x.h5"],
                 code: 1, expect: ["$D/g.fa: empty FASTA file"]),
            Case(cell: "genome: duplicate sequence", files: ["g.fa": bytes(genome + genome)],
                 args: ["preprocess", "--peaks", "$S/peaks", "--genome", "$D/g.fa", "--out", "$D/o/x.h5"], code: 1, expect: ["g.fa:12: sequence 'chr1' appears twice"]),
            Case(cell: "genome: binary", files: ["g.fa": [0, 1, 2, 0xFF, 0x0A, 0x41]],
                 args: ["preprocess", "--peaks", "$S/peaks", "--genome", "$D/g.fa", "--out", "$D/o/x.h5"], code: 1, expect: ["g.fa:1:", "before the first '>'"]),
            Case(cell: "genome: truncated gzip", files: ["g.fa.gz": Array(try gz(genome).prefix(60))],
                 args: ["preprocess", "--peaks", "$S/peaks", "--genome", "$D/g.fa.gz", "--out", "$D/o/x.h5"], code: 1, expect: ["g.fa.gz: truncated gzip file"]),
            Case(cell: ".fai: stale (wrong length)", files: ["g.fa": bytes(genome), "g.fa.fai": bytes("chr1\t500\t6\t60\t61\n")],
                 args: ["preprocess", "--peaks", "$S/peaks", "--genome", "$D/g.fa", "--out", "$D/o/x.h5"], code: 1,
                 expect: ["g.fa.fai: does not match", "delete the .fai"]),
            // HDF5
            Case(cell: "HDF5: empty", files: ["d.h5": []], args: ["train-stage1", "--chip-data", "$D/d.h5", "--out", "$D/o"],
                 code: 1, expect: ["$D/d.h5: not an HDF5 file"]),
            Case(cell: "HDF5: truncated", files: ["d.h5": Array(try Data(contentsOf: URL(fileURLWithPath: h5)).prefix(20000))],
                 args: ["evaluate", "--model", "$S/model.safetensors", "--chip-data", "$D/d.h5", "--out", "$D/o/e.json"], code: 1,
                 expect: ["$D/d.h5: cannot open HDF5 file (truncated or corrupt?)"]),
            // safetensors and JSON sidecars
            Case(cell: "model: missing", args: ["evaluate", "--model", "$D/none.safetensors", "--chip-data", h5], code: 1,
                 expect: ["$D/none.safetensors: no such model file"]),
            Case(cell: "model: truncated", files: ["m.safetensors": Array(model.prefix(model.count - 100)), "m.json": bytes(sidecar)],
                 args: ["predict", "--model", "$D/m.safetensors", "--fasta", "$S/seqs.fa", "--out", "$D/o/p.tsv"], code: 1,
                 expect: ["m.safetensors: tensor", "truncated file?"]),
            Case(cell: "model: NaN weights", files: ["m.safetensors": nanModel, "m.json": bytes(sidecar)],
                 args: ["evaluate", "--model", "$D/m.safetensors", "--chip-data", h5, "--out", "$D/o/e.json"], code: 1,
                 expect: ["m.safetensors: parameter 'conv1.weight' holds NaN or Inf"]),
            Case(cell: "sidecar: truncated", files: ["m.safetensors": model, "m.json": Array(bytes(sidecar).prefix(120))],
                 args: ["motifs", "--model", "$D/m.safetensors", "--chip-data", h5, "--out", "$D/o"], code: 1,
                 expect: ["$D/m.json: not a valid sigtfb model sidecar"]),
            Case(cell: "sidecar: wrong type (stage-2 model as stage 1)", files: ["m.safetensors": model,
                 "m.json": bytes(sidecar.replacingOccurrences(of: "\"stage\" : 1", with: "\"stage\" : 2"))],
                 args: ["evaluate", "--model", "$D/m.safetensors", "--chip-data", h5], code: 1, expect: ["$D/m.json: this is a stage-2 model; expected stage 1"]),
            Case(cell: "sidecar: other data's cell types", files: ["m.safetensors": model,
                 "m.json": bytes(sidecar.replacingOccurrences(of: "\"HepG2\"", with: "\"A549\""))],
                 args: ["evaluate", "--model", "$D/m.safetensors", "--chip-data", h5, "--out", "$D/o/e.json"], code: 1,
                 expect: ["ctcf_small.h5: cell types", "do not match the model's"]),
            Case(cell: "sidecar: absurd size", files: ["m.safetensors": model,
                 "m.json": bytes(sidecar.replacingOccurrences(of: "\"sequence_length\" : 101", with: "\"sequence_length\" : 1000000000000"))],
                 args: ["predict", "--model", "$D/m.safetensors", "--fasta", "$S/seqs.fa", "--out", "$D/o/p.tsv"], code: 1,
                 expect: ["$D/m.json: field 'architecture': 'sequence_length' is 1000000000000"]),
            Case(cell: "sidecar: cell-type name with a line break", files: ["m.safetensors": model,
                 "m.json": bytes(sidecar.replacingOccurrences(of: "\"HepG2\"", with: "\"Hep\\nG2\""))],
                 args: ["predict", "--model", "$D/m.safetensors", "--fasta", "$S/seqs.fa", "--out", "$D/o/p.tsv"], code: 1,
                 expect: ["$D/m.json: field 'cell_types': cell type 2"]),
            // tuning state and its companions
            Case(cell: "tuning state: empty", files: ["hp/tuning-state.json": []], args: s1, code: 1,
                 expect: ["$D/hp/tuning-state.json: not valid JSON"]),
            Case(cell: "tuning state: other run's (seed)", files: ["hp/tuning-state.json": bytes(state)], args: s1 + ["--seed", "7"], code: 1,
                 expect: ["$D/hp/tuning-state.json: the saved tuning state was started with --seed 12345, not 7"]),
            Case(cell: "tuning state: duplicate trial", files: ["hp/tuning-state.json": duplicated],
                 args: s1, code: 1, expect: ["$D/hp/tuning-state.json: field 'trials[1].trial_index' is 0, expected 1"]),
            Case(cell: "curves.json: truncated", files: ["hp/tuning-state.json": bytes(state), "hp/curves.json": bytes("{\"curves\": {\"0\": [")],
                 args: s1, code: 1, expect: ["$D/hp/curves.json: cannot be read", "start the tuning afresh"]),
            Case(cell: "trial-notes.json: wrong type", files: ["hp/tuning-state.json": bytes(state), "hp/trial-notes.json": bytes("{\"0\": {\"best_epoch\": \"x\"}}")],
                 args: s1, code: 1, expect: ["$D/hp/trial-notes.json: cannot be read"]),
            // search-space JSON
            Case(cell: "search space: missing", args: ["tune", "init", "--space", "$D/none.json", "--state", "$D/o/t.json"], code: 1,
                 expect: ["$D/none.json: cannot read the file"]),
            Case(cell: "search space: empty", files: ["s.json": []], args: ["tune", "init", "--space", "$D/s.json", "--state", "$D/o/t.json"],
                 code: 1, expect: ["$D/s.json: not valid JSON"]),
            Case(cell: "search space: Inf bound", files: ["s.json": bytes(#"[{"name":"a","type":"range","bounds":[0,1e400]}]"#)],
                 args: ["tune", "init", "--space", "$D/s.json", "--state", "$D/o/t.json"], code: 1, expect: ["$D/s.json: not valid JSON"]),
            // MEME
            Case(cell: "MEME: truncated", files: ["db.meme": Array(meme.prefix(250))],
                 args: ["motifs", "--model", "$S/model.safetensors", "--chip-data", h5, "--out", "$D/o", "--motif-db", "$D/db.meme"], code: 1,
                 expect: ["$D/db.meme:11: motif 'M1': expected 4 matrix rows"]),
            Case(cell: "MEME: missing", args: ["motifs", "--model", "$S/model.safetensors", "--chip-data", h5, "--out", "$D/o", "--motif-db", "$D/none.meme"],
                 code: 1, expect: ["$D/none.meme: cannot read file"]),
            Case(cell: "MEME: duplicate motif", files: ["db.meme": meme + Array("\nMOTIF M1 AGAIN\nletter-probability matrix: alength= 4 w= 1 nsites= 2 E= 0\n 0.25 0.25 0.25 0.25\n".utf8)],
                 args: ["motifs", "--model", "$S/model.safetensors", "--chip-data", h5, "--out", "$D/o", "--motif-db", "$D/db.meme"], code: 1,
                 expect: ["$D/db.meme:", "duplicate motif identifier 'M1'"]),
            Case(cell: "MEME: empty", files: ["db.meme": []],
                 args: ["motifs", "--model", "$S/model.safetensors", "--chip-data", h5, "--out", "$D/o", "--motif-db", "$D/db.meme"], code: 1,
                 expect: ["$D/db.meme: empty file"]),
            // VCF
            Case(cell: "VCF: missing", args: ["predict", "--model", "$S/model.safetensors", "--vcf", "$D/none.vcf", "--genome", "$S/g.fa", "--out", "$D/o/v.tsv"],
                 code: 1, expect: ["$D/none.vcf: cannot open"]),
            Case(cell: "VCF: unknown chromosome", files: ["v.vcf": bytes("chr9\t300\trs1\tA\tC\n")],
                 args: ["predict", "--model", "$S/model.safetensors", "--vcf", "$D/v.vcf", "--genome", "$S/g.fa", "--out", "$D/o/v.tsv"], code: 1,
                 expect: ["$D/v.vcf: line 1: chromosome chr9 is not in"]),
            Case(cell: "VCF: empty", files: ["v.vcf": []], args: ["predict", "--model", "$S/model.safetensors", "--vcf", "$D/v.vcf", "--genome", "$S/g.fa", "--out", "$D/o/v.tsv"],
                 code: 1, expect: ["$D/v.vcf: no SNVs to score"]),
            Case(cell: "VCF: absurd POS", files: ["v.vcf": bytes("chr1\t9223372036854775807\trs1\tA\tC\n")],
                 args: ["predict", "--model", "$S/model.safetensors", "--vcf", "$D/v.vcf", "--genome", "$S/g.fa", "--out", "$D/o/v.tsv"], code: 1,
                 expect: ["$D/v.vcf: line 1: the 101-bp window around chr1:9223372036854775807 runs off the chromosome"]),
            Case(cell: "VCF: wrong type (POS not a number)", files: ["v.vcf": bytes("##x\nchr1\tx\trs1\tA\tC\n")],
                 args: ["predict", "--model", "$S/model.safetensors", "--vcf", "$D/v.vcf", "--genome", "$S/g.fa", "--out", "$D/o/v.tsv"], code: 1,
                 expect: ["$D/v.vcf: line 2: expected CHROM POS"]),
            // FASTA for predict
            Case(cell: "FASTA (predict): duplicate names", files: ["q.fa": bytes(">s\n" + String(repeating: "A", count: 101) + "\n>s\n" + String(repeating: "C", count: 101) + "\n")],
                 args: ["predict", "--model", "$S/model.safetensors", "--fasta", "$D/q.fa", "--out", "$D/o/p.tsv"], code: 1,
                 expect: ["$D/q.fa: line 3: sequence name 's' was already used at line 1"]),
            Case(cell: "FASTA (predict): empty", files: ["q.fa": []], args: ["predict", "--model", "$S/model.safetensors", "--fasta", "$D/q.fa", "--out", "$D/o/p.tsv"],
                 code: 1, expect: ["$D/q.fa: no FASTA records"]),
            // unwritable outputs (a file where a directory must go: root ignores permissions)
            Case(cell: "output: preprocess --out under a file", files: ["f": [1]],
                 args: ["preprocess", "--peaks", "$S/peaks", "--genome", "$S/g.fa", "--out", "$D/f/x.h5"], code: 1, expect: ["$D/f: cannot create the output directory"]),
            Case(cell: "output: predict --out under a file", files: ["f": [1]],
                 args: ["predict", "--model", "$S/model.safetensors", "--fasta", "$S/seqs.fa", "--out", "$D/f/p.tsv"], code: 1, expect: ["$D/f: cannot create directory"]),
            Case(cell: "output: tune --state under a file", files: ["f": [1], "s.json": bytes(#"[{"name":"a","type":"range","bounds":[0,1]}]"#)],
                 args: ["tune", "init", "--space", "$D/s.json", "--state", "$D/f/t.json"], code: 1, expect: ["$D/f/t.json: cannot write the state"]),
            Case(cell: "output: stage1 --hyperparameter-path is a file", files: ["f": [1]],
                 args: Array(s1.dropLast()) + ["$D/f"], code: 1, expect: ["$D/f: cannot create the output directory"]),
            // CLI flags: absurd values
            Case(cell: "flags: --trials 0", args: ["stage1", "--tf", "T", "--ab", "A", "--chip-data", h5, "--trials", "0", "--save-model-path", "$D/o/m", "--hyperparameter-path", "$D/o/hp"],
                 code: 2, expect: ["--trials must be at least 1"]),
            Case(cell: "flags: --num-channels absurd", args: ["train-stage1", "--chip-data", h5, "--out", "$D/o", "--num-channels", "100000000000"],
                 code: 2, expect: ["--num-channels must be between 1 and 10000"]),
            Case(cell: "flags: --threads 0", args: ["evaluate", "--model", "$S/model.safetensors", "--chip-data", h5, "--threads", "0"],
                 code: 2, expect: ["--threads must be at least 1"]),
            Case(cell: "flags: --weight-decay inf", args: ["train-stage1", "--chip-data", h5, "--out", "$D/o", "--weight-decay", "inf"],
                 code: 2, expect: ["--weight-decay must be a finite number"]),
            Case(cell: "flags: --test-fraction nan", args: ["preprocess", "--peaks", "$S/peaks", "--genome", "$S/g.fa", "--out", "$D/o/x.h5", "--test-fraction", "nan"],
                 code: 2, expect: ["--test-fraction must lie in [0, 1] (got nan)"]),
        ]
        try check(cases, shared: s)
        print(String(format: "%d input-failure cases in %.1f s", cases.count, Date().timeIntervalSince(t0)))
    }

    /// A second run on a locked output directory stops at once with a one-line error.
    func testALockedOutputDirectoryIsAOneLineError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-locked-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/hp", withIntermediateDirectories: true)
        let fd = open(dir + "/hp/.sigtfb.lock", O_CREAT | O_RDWR, 0o644)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        defer { close(fd) }
        let r = try run(["stage1", "--tf", "T", "--ab", "A", "--chip-data", fixturePath("h5/ctcf_small.h5"), "--hyperparameter-path", dir + "/hp",
                         "--save-model-path", dir + "/m", "--trials", "1", "--max-epochs", "1"])
        XCTAssertEqual(r.code, 1, r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        XCTAssertTrue(r.err.contains("\(dir)/hp: another sigtfb run is writing to this directory"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/hp/tuning-state.json"))
    }
}
