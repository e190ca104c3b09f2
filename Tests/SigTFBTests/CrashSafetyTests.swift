import Foundation
import Genomics
import XCTest
import SigTFB
import Storage
import Tuning

/// Issue 9: nothing lost, nothing silent. The built `sigtfb` is killed with SIGKILL at seeded
/// random moments, over and over; after every kill no file of the output tree may be half-written
/// and the tuning state must keep every trial that was complete; rerunning the same command must
/// continue (completed trials are not redone) and finish with valid outputs — the same ones as an
/// uninterrupted run. SIGINT must stop the run at a safe point with exit 130, one line, and a state
/// the rerun continues from.
final class CrashSafetyTests: XCTestCase {
    var binary: String { SigTFBExecutable.path }

    func tempDir() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-crash-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return d
    }

    struct Ended {
        var status: Int32
        var killedBySignal: Bool
        var stderr: String
        var stdout: String
    }

    /// Runs the binary; sends `signal` after `delay` seconds (if it is still running), or once
    /// `marker` shows up on its stderr.
    func launch(_ args: [String], signal: Int32? = nil, after delay: Double = 0,
                whenStderrContains marker: String? = nil, timeout: Double = 120) throws -> Ended {
        let logs = NSTemporaryDirectory()
        let outPath = (logs as NSString).appendingPathComponent("sigtfb-stdout-\(UUID().uuidString)")
        let errPath = (logs as NSString).appendingPathComponent("sigtfb-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        let start = Date()
        try p.run()
        var sent = false
        while p.isRunning {
            let t = Date().timeIntervalSince(start)
            if let s = signal, !sent {
                var fire = marker == nil && t >= delay
                if let m = marker, let e = try? String(contentsOfFile: errPath, encoding: .utf8), e.contains(m) { fire = true }
                if fire { kill(p.processIdentifier, s); sent = true }
            }
            if t > timeout { kill(p.processIdentifier, SIGKILL); XCTFail("\(args.first ?? "") did not finish in \(timeout) s") }
            usleep(5_000)
        }
        p.waitUntilExit()
        return Ended(status: p.terminationStatus, killedBySignal: p.terminationReason == .uncaughtSignal,
                     stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                     stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "")
    }

    // MARK: checking an output tree

    /// Every file under `root`: whole and readable by the format's reader. Temporary files of an
    /// interrupted atomic write (`.NAME.tmp-PID-N`) are allowed only when `temporariesAllowed`, and
    /// never under an output's name. Returns the number of files checked.
    @discardableResult
    func assertNothingHalfWritten(_ root: String, temporariesAllowed: Bool, _ context: String,
                                  file: StaticString = #filePath, line: UInt = #line) -> Int {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: root) else { return 0 }
        var checked = 0
        for case let rel as String in e {
            let path = (root as NSString).appendingPathComponent(rel)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let name = (rel as NSString).lastPathComponent
            if name == ".sigtfb.lock" { continue }
            func fail(_ m: String) { XCTFail("\(context): \(rel): \(m)", file: file, line: line) }
            if AtomicFile.temporaryWriter(of: name) != nil {
                if !temporariesAllowed { fail("temporary file left behind") }
                continue
            }
            if name.hasPrefix(".") { fail("unexpected hidden file"); continue }
            checked += 1
            guard let data = fm.contents(atPath: path) else { fail("unreadable"); continue }
            switch (name as NSString).pathExtension {
            case "safetensors":
                if let m = Self.safetensorsProblem(data) { fail(m) }
                do { _ = try Safetensors.read(path: path) } catch { fail("\(error)") }
            case "json":
                if (try? JSONSerialization.jsonObject(with: data)) == nil { fail("not valid JSON (\(data.count) bytes)") }
                if name == "tuning-state.json" {
                    do { _ = try Tuner.resume(stateURL: URL(fileURLWithPath: path)) } catch { fail("\(error)") }
                }
            case "h5":
                do { _ = try BassetH5.read(path: path) } catch { fail("\(error)") }
            case "html":
                if !String(decoding: data, as: UTF8.self).hasSuffix("</html>\n") { fail("truncated HTML") }
            case "svg":
                if !String(decoding: data, as: UTF8.self).contains("</svg>") { fail("truncated SVG") }
            case "csv", "tsv", "txt", "bed", "meme":
                if data.isEmpty || data.last != 0x0A { fail("empty or does not end with a line break (truncated?)") }
                if String(data: data, encoding: .utf8) == nil { fail("not UTF-8") }
            default:
                fail("unexpected file")
            }
        }
        return checked
    }

    /// An independent structural check of a safetensors file: the header is JSON and the last
    /// tensor ends exactly at the end of the file.
    static func safetensorsProblem(_ d: Data) -> String? {
        guard d.count >= 8 else { return "shorter than 8 bytes" }
        let n = Int(d.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard n > 0, 8 + n <= d.count,
              let header = try? JSONSerialization.jsonObject(with: d.subdata(in: 8..<(8 + n))) as? [String: Any] else {
            return "header length or JSON header damaged"
        }
        var end = 0
        for (k, v) in header where k != "__metadata__" {
            guard let o = (v as? [String: Any])?["data_offsets"] as? [Int], o.count == 2 else { return "tensor \(k): no data_offsets" }
            end = max(end, o[1])
        }
        return 8 + n + end == d.count ? nil : "body is \(d.count - 8 - n) bytes, tensors need \(end) (truncated?)"
    }

    /// Trials that are finished (completed or failed) in each tuning state under `root`, by state path.
    func finishedTrials(_ root: String) throws -> [String: [Trial]] {
        var out: [String: [Trial]] = [:]
        for sub in ["hp", "stage1", "stage2"] {
            let p = ((root as NSString).appendingPathComponent(sub) as NSString).appendingPathComponent("tuning-state.json")
            guard FileManager.default.fileExists(atPath: p) else { continue }
            out[sub] = try Tuner.resume(stateURL: URL(fileURLWithPath: p)).trials.filter { $0.status != .pending }
        }
        return out
    }

    /// The finished trials of `before` are all in `after`, unchanged, and the run's log did not
    /// start any of them again.
    func assertKept(_ before: [String: [Trial]], _ after: [String: [Trial]], log: String, _ context: String,
                    file: StaticString = #filePath, line: UInt = #line) {
        for (stage, trials) in before {
            let now = after[stage] ?? []
            for t in trials {
                XCTAssertTrue(now.count > t.index && now[t.index] == t,
                              "\(context): \(stage) trial \(t.index + 1) was finished and is no longer in the state as it was", file: file, line: line)
            }
            // The section of the log that belongs to this stage (`run` prints both stages).
            var section = Substring(log)
            if stage == "stage1", let r = section.range(of: "[stage2]") { section = section[..<r.lowerBound] }
            if stage == "stage2" { section = section.range(of: "[stage2]").map { section[$0.upperBound...] } ?? "" }
            for t in trials where section.contains("trial \(t.index + 1)/") {
                XCTFail("\(context): \(stage) trial \(t.index + 1) was finished but the rerun started it again", file: file, line: line)
            }
        }
    }


    /// Runs `args` again and again, each time killed with SIGKILL after a delay drawn uniformly
    /// from [0.05, maxDelay] s (seeded), until `kills` runs were killed; after each kill checks that
    /// nothing is half-written and that the tuning state kept every finished trial. A run that
    /// finishes before its kill is checked with `complete` and the tree is wiped, so the next runs
    /// start afresh and get killed in the early steps again. Ends with a rerun to completion.
    /// Returns the number of completions (the final one included) and temporary files seen.
    func killRepeatedly(_ args: [String], root: String, kills: Int, maxDelay: Double, seed: UInt64,
                        complete: (Ended, String) throws -> Void) throws -> (completions: Int, temporaries: Int) {
        var rng = SplitMixRandom(seed: seed)
        var before = try finishedTrials(root)
        var killed = 0, completions = 0, temporaries = 0, attempts = 0
        while killed < kills && attempts < 3 * kills {
            attempts += 1
            let delay = 0.05 + (maxDelay - 0.05) * Double(rng.next() >> 11) / Double(1 << 53)
            let r = try launch(args, signal: SIGKILL, after: delay)
            let context = String(format: "run %d (kill after %.2f s)", attempts, delay)
            XCTAssertFalse(r.stderr.contains("sigtfb: error"), "\(context): \(r.stderr)")
            if r.killedBySignal {
                XCTAssertEqual(r.status, SIGKILL, context)
                killed += 1
                assertNothingHalfWritten(root, temporariesAllowed: true, context)
                temporaries += (FileManager.default.subpaths(atPath: root) ?? []).filter {
                    AtomicFile.temporaryWriter(of: ($0 as NSString).lastPathComponent) != nil }.count
                let after = try finishedTrials(root)
                assertKept(before, after, log: r.stderr, context)
                before = after
            } else {
                XCTAssertEqual(r.status, 0, "\(context): ended by itself but failed: \(r.stderr)")
                assertKept(before, try finishedTrials(root), log: r.stderr, context)
                assertNothingHalfWritten(root, temporariesAllowed: false, "\(context), finished")
                try complete(r, context)
                completions += 1
                try FileManager.default.removeItem(atPath: root)
                before = [:]
            }
        }
        XCTAssertEqual(killed, kills, "only \(killed) of \(attempts) runs were still running when killed")
        let final = try launch(args)
        XCTAssertEqual(final.status, 0, "rerun to completion: \(final.stderr)")
        assertKept(before, try finishedTrials(root), log: final.stderr, "final rerun")
        // Leftover temporaries of the killed runs are swept when the rerun takes the directory's lock.
        assertNothingHalfWritten(root, temporariesAllowed: false, "after the final rerun")
        try complete(final, "final rerun")
        return (completions + 1, temporaries)
    }

    func stage1Args(_ root: String) -> [String] {
        ["stage1", "--tf", "T", "--ab", "A", "--chip-data", fixturePath("h5/ctcf_small.h5"),
         "--hyperparameter-path", (root as NSString).appendingPathComponent("hp"),
         "--save-model-path", (root as NSString).appendingPathComponent("models"),
         "--trials", "3", "--max-epochs", "2", "--threads", "1", "--seed", "7"]
    }

    /// `sigtfb stage1` killed 10 times at random moments; every run that got to the end (after
    /// kills) has the same tuning trials, notes, model and hyperparameters as one uninterrupted run.
    func testStage1SurvivesRepeatedSIGKILLAndResumesToTheUninterruptedResult() throws {
        let t0 = Date()
        let reference = tempDir()
        let ref = try launch(stage1Args(reference))
        XCTAssertEqual(ref.status, 0, ref.stderr)
        let refSeconds = Date().timeIntervalSince(t0)
        let refState = try Tuner.resume(stateURL: URL(fileURLWithPath: (reference as NSString).appendingPathComponent("hp/tuning-state.json"))).trials

        let root = tempDir()
        let (completions, temporaries) = try killRepeatedly(stage1Args(root), root: root, kills: 10, maxDelay: max(1.0, refSeconds),
                                                            seed: 0x5EED_0001) { run, context in
            XCTAssertTrue(run.stdout.contains("best trial"), "\(context): \(run.stdout)")
            let b = try Tuner.resume(stateURL: URL(fileURLWithPath: (root as NSString).appendingPathComponent("hp/tuning-state.json"))).trials
            XCTAssertEqual(refState, b, "\(context): the tuning differs from the uninterrupted one")
            for f in ["hp/hyperparameters.txt", "hp/trial-notes.json", "hp/curves.json", "models/T/A/T.A.safetensors"] {
                let x = FileManager.default.contents(atPath: (reference as NSString).appendingPathComponent(f))
                let y = FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(f))
                if f.hasSuffix("notes.json") {
                    // Seconds differ; nothing else may.
                    func strip(_ d: Data?) -> String {
                        String(decoding: d ?? Data(), as: UTF8.self).replacingOccurrences(of: #""seconds" : [0-9.e-]+"#, with: "", options: .regularExpression)
                    }
                    XCTAssertEqual(strip(x), strip(y), "\(context): \(f)")
                } else {
                    XCTAssertEqual(x, y, "\(context): \(f) differs from the uninterrupted run's")
                }
            }
            XCTAssertNoThrow(try Stage1Checkpoint.load(path: (root as NSString).appendingPathComponent("models/T/A/T.A.safetensors")), context)
        }
        print(String(format: "stage1: 10 kills, %d completions, %d temporary files left by killed writers; %.1f s in all",
                     completions, temporaries, Date().timeIntervalSince(t0)))
    }

    /// `sigtfb run` (preprocess → HDF5, both tuning stages, motifs, report) killed 8 times at random
    /// moments; every completed run has loadable models and every step done.
    func testWholeRunSurvivesRepeatedSIGKILL() throws {
        let t0 = Date()
        let root = tempDir()
        let peaks = try tinyPeaks(root)
        let out = (root as NSString).appendingPathComponent("run")
        let args = ["run", "--peaks", peaks, "--genome", fixturePath("preprocess/genome.fa.gz"),
                    "--chrom-sizes", fixturePath("preprocess/chrom.sizes"), "--out", out, "--trials", "2", "--max-epochs", "2",
                    "--bootstrap", "20", "--threads", "1", "--motif-db", fixturePath("motifs/small.meme")]
        let (completions, temporaries) = try killRepeatedly(args, root: out, kills: 8, maxDelay: 4, seed: 0x5EED_0002) { run, context in
            XCTAssertTrue(run.stdout.contains("report: "), "\(context): \(run.stdout)")
            let L = RunLayout(directory: out, tf: "CEBPB", ab: "ENCAB102SYN")
            let m = try XCTUnwrap(RunManifest.load(L.manifest))
            XCTAssertTrue(m.steps.allSatisfy { $0.status == .done || $0.status == .upToDate }, "\(context): \(m.steps.map { "\($0.name) \($0.status)" })")
            XCTAssertNoThrow(try Stage1Checkpoint.load(path: L.stage1Model), context)
            XCTAssertNoThrow(try Stage2Checkpoint.load(path: L.stage2Model), context)
            for stage in ["stage1", "stage2"] {
                let t = try Tuner.resume(stateURL: URL(fileURLWithPath: "\(out)/\(stage)/tuning-state.json")).trials
                XCTAssertEqual(t.count, 2, context); XCTAssertTrue(t.allSatisfy { $0.status != .pending }, "\(context): \(stage)")
            }
        }
        print(String(format: "run: 8 kills, %d completions, %d temporary files left by killed writers; %.1f s in all",
                     completions, temporaries, Date().timeIntervalSince(t0)))
    }

    /// SIGINT in the middle of the second trial: exit 130 with one line naming the state directory,
    /// a valid state with the first trial complete, the lock released; the rerun continues from there.
    func testSIGINTStopsAtASafePointWithStateSavedAndTheRerunContinues() throws {
        let root = tempDir()
        var args = stage1Args(root)
        args[args.firstIndex(of: "--max-epochs")! + 1] = "4"
        let r = try launch(args, signal: SIGINT, whenStderrContains: "trial 2/3")
        XCTAssertFalse(r.killedBySignal, "SIGINT must be handled, not kill the process")
        XCTAssertEqual(r.status, 130, r.stderr)
        let lines = r.stderr.split(separator: "\n")
        let hp = (root as NSString).appendingPathComponent("hp")
        XCTAssertEqual(lines.last.map(String.init), "sigtfb: interrupted; state saved in \(hp) — rerun the same command to continue")
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump"), r.stderr)
        assertNothingHalfWritten(root, temporariesAllowed: false, "after SIGINT")
        let state = try Tuner.resume(stateURL: URL(fileURLWithPath: (hp as NSString).appendingPathComponent("tuning-state.json")))
        XCTAssertEqual(state.trials.first?.status, .completed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent("models/T/A/T.A.safetensors")))
        // The lock is released: another run can take it.
        XCTAssertNoThrow(try OutputLock(directory: hp).release())

        let before = try finishedTrials(root)
        let again = try launch(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("resuming stage-1 tuning: \(state.trials.filter { $0.status != .pending }.count) trials done"), again.stderr)
        XCTAssertFalse(again.stderr.contains("trial 1/3"), "the completed trial was redone: \(again.stderr)")
        assertKept(before, try finishedTrials(root), log: again.stderr, "rerun")
        XCTAssertNoThrow(try Stage1Checkpoint.load(path: (root as NSString).appendingPathComponent("models/T/A/T.A.safetensors")))
        assertNothingHalfWritten(root, temporariesAllowed: false, "after the rerun")
    }

}
