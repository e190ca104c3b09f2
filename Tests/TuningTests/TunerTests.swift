import Foundation
import XCTest
@testable import Tuning

final class SearchSpaceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/tuning")

    func testReadsAxProblems() throws {
        let data = try Data(contentsOf: SearchSpaceTests.fixtures.appendingPathComponent("problems.json"))
        let root = try JSONDecoder().decode([String: JSONValue].self, from: data)
        guard case .object(let problems)? = root["problems"] else { return XCTFail("no problems") }
        var dims = [String: Int]()
        for (name, spec) in problems {
            let space = try SearchSpace.parse(try JSONEncoder().encode(spec), source: name)
            dims[name] = space.encodedDimension
        }
        XCTAssertEqual(dims, ["branin": 2, "hartmann6": 6, "sigtfb_mixed": 7])
        let mixed = try SearchSpace.parse(try JSONEncoder().encode(problems["sigtfb_mixed"]!))
        XCTAssertEqual(mixed.parameters[5], .choice(name: "batch_size", values: [.int(64), .int(128), .int(256)], ordered: true))
        XCTAssertEqual(mixed.parameters[0], .range(name: "learning_rate", low: 1e-6, high: 1e-3, logScale: true))
        XCTAssertEqual(mixed.parameters[4], .range(name: "num_channels", low: 16, high: 100, valueType: .int))
        // round trip through our own encoding
        let again = try JSONDecoder().decode(SearchSpace.self, from: try JSONEncoder().encode(mixed))
        XCTAssertEqual(again, mixed)
    }

    func testEncodeDecodeMixedSpace() throws {
        let space = try SearchSpace(parameters: [
            .range(name: "lr", low: 1e-5, high: 1e-1, logScale: true),
            .range(name: "n", low: 1, high: 10, valueType: .int),
            .choice(name: "act", values: [.string("relu"), .string("gelu"), .string("tanh")]),
            .choice(name: "bn", values: [.bool(false), .bool(true)]),
            .choice(name: "bs", values: [.int(32), .int(64), .int(128)], ordered: true),
            .fixed(name: "epochs", value: .int(10)),
        ])
        XCTAssertEqual(space.encodedDimension, 1 + 1 + 3 + 1 + 1)
        let p: [String: ParameterValue] = ["lr": .double(1e-3), "n": .int(4), "act": .string("tanh"), "bn": .bool(true),
                                            "bs": .int(64), "epochs": .int(10)]
        let x = try space.encode(p)
        XCTAssertEqual(x[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(Array(x[2...]), [0, 0, 1, 1, 0.5])
        let back = space.decode(x)
        XCTAssertEqual(back["lr"]!.doubleValue!, 1e-3, accuracy: 1e-15)
        XCTAssertEqual(back.filter { $0.key != "lr" }, p.filter { $0.key != "lr" })
        XCTAssertEqual(space.center()["lr"]!.doubleValue!, 1e-3, accuracy: 1e-15)
        XCTAssertThrowsError(try space.encode(["lr": .double(1), "n": .int(4), "act": .string("tanh"), "bn": .bool(true),
                                               "bs": .int(64), "epochs": .int(10)]))
    }

    private func spaceError(_ json: String) -> String {
        do { _ = try SearchSpace.parse(Data(json.utf8), source: "S.json"); return "no error" } catch {
            return "\(error)"
        }
    }

    func testBadSpacesAreRejectedClearly() throws {
        let cases: [(String, String)] = [
            (#"[{"name":"lr","type":"range","bounds":[0,1],"log_scale":true}]"#, "'lr': log-scale bounds must be > 0"),
            (#"[{"name":"a","type":"range","bounds":[2,1]}]"#, "'a': low bound 2.0 must be < high bound 1.0"),
            (#"[{"name":"a","type":"range","bounds":[1]}]"#, "'a': field 'bounds' must be [low, high]"),
            (#"[{"name":"c","type":"choice","values":[]}]"#, "'c': a choice needs at least 2 values"),
            (#"[{"name":"c","type":"choice","values":[1,1]}]"#, "'c': value 1 is listed twice"),
            (#"[{"name":"x","type":"slider"}]"#, "'x': unknown type 'slider'"),
            (#"[{"name":"x","type":"range","bounds":[0,1]},{"name":"x","type":"range","bounds":[0,1]}]"#, "'x' is defined twice"),
            (#"[{"name":"k","type":"range","value_type":"int","bounds":[0.5,3]}]"#, "'k': integer range needs integer bounds"),
            (#"[{"name":"f","type":"fixed","value":3}]"#, "nothing to tune"),
            (#"{"params": []}"#, "expected a list of parameters"),
            (#"[{"name":"x","type":"range","bounds":[0,1]"#, "not valid JSON"),
        ]
        for (json, expected) in cases {
            let msg = spaceError(json)
            XCTAssertTrue(msg.contains(expected), "got: \(msg), expected: \(expected)")
            XCTAssertTrue(msg.contains("S.json"), msg)
        }
        XCTAssertThrowsError(try SearchSpace(parameters: [.range(name: "a", low: -1, high: 1, logScale: true)]))
        XCTAssertThrowsError(try SearchSpace(parameters: [.choice(name: "a", values: [.int(1), .string("x")])]))
    }
}

final class TunerTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tuning-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static func mixedSpace() throws -> SearchSpace {
        try SearchSpace(parameters: [
            .range(name: "x", low: -2, high: 2),
            .range(name: "lr", low: 1e-4, high: 1, logScale: true),
            .range(name: "n", low: 1, high: 20, valueType: .int),
            .choice(name: "opt", values: [.string("sgd"), .string("adam"), .string("rms")]),
            .fixed(name: "epochs", value: .int(5)),
        ])
    }

    static func objective(_ p: [String: ParameterValue]) -> Double {
        let x = p["x"]!.doubleValue!, lr = log10(p["lr"]!.doubleValue!), n = p["n"]!.doubleValue!
        let o: Double = p["opt"] == .string("adam") ? 0 : 0.3
        return (x - 0.5) * (x - 0.5) + (lr + 2) * (lr + 2) + 0.01 * (n - 7) * (n - 7) + o
    }

    /// Drives a tuner: `restartEachStep` reloads it from disk before every call.
    func drive(_ url: URL, restartEachStep: Bool, steps: Int) throws -> [Trial] {
        var tuner = try Tuner(space: try TunerTests.mixedSpace(), seed: 11, direction: .minimize, initialTrials: 4, stateURL: url)
        for step in 0..<steps {
            if restartEachStep { tuner = try Tuner.resume(stateURL: url) }
            let count = step == 3 ? 2 : 1   // one batch ask with a pending trial
            let trials = try tuner.ask(count: count)
            for t in trials {
                if restartEachStep { tuner = try Tuner.resume(stateURL: url) }
                if t.index == 5 { try tuner.fail(trial: t.index, reason: "out of memory") }
                else { try tuner.tell(trial: t.index, value: TunerTests.objective(t.parameters)) }
            }
        }
        return tuner.trials
    }

    func testResumedRunMatchesUninterruptedRun() throws {
        let a = try drive(dir.appendingPathComponent("a.json"), restartEachStep: false, steps: 11)
        let b = try drive(dir.appendingPathComponent("b.json"), restartEachStep: true, steps: 11)
        XCTAssertEqual(a.count, 12)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a[5].status, .failed)
        XCTAssertEqual(a[5].failureReason, "out of memory")
        XCTAssertEqual(a[0].method, .center)
        XCTAssertEqual(a[1].method, .sobol)
        XCTAssertTrue(a[6...].allSatisfy { $0.method == .gpLogEI || $0.method == .gpLogNEI })
        // no temporary files left behind by the atomic writes
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [])
        // the optimiser makes progress on this easy problem
        let best = a.compactMap { $0.value }.min()!
        XCTAssertLessThan(best, 0.35)
        // different seed, different suggestions
        let c = try Tuner(space: try TunerTests.mixedSpace(), seed: 12, initialTrials: 4)
        _ = try c.ask(count: 2)
        XCTAssertNotEqual(try c.ask(count: 1)[0].parameters, a[2].parameters)
    }

    func testBatchAndPendingNeverDuplicate() throws {
        let space = try SearchSpace(parameters: [
            .choice(name: "a", values: [.string("p"), .string("q"), .string("r")]),
            .choice(name: "b", values: [.bool(false), .bool(true)]),
        ])
        let tuner = try Tuner(space: space, seed: 1, direction: .maximize, initialTrials: 2)
        var seen = Set<[String: ParameterValue]>()
        for t in try tuner.ask(count: 2) { try tuner.tell(trial: t.index, value: Double(t.index)) ; seen.insert(t.parameters) }
        for t in try tuner.ask(count: 4) { XCTAssertTrue(seen.insert(t.parameters).inserted, "duplicate \(t.parameters)") }
        XCTAssertEqual(seen.count, 6)
    }

    func testTellFailBestAndNonFinite() throws {
        let tuner = try Tuner(space: try TunerTests.mixedSpace(), seed: 3, direction: .maximize, initialTrials: 3)
        XCTAssertNil(try tuner.best())
        let ts = try tuner.ask(count: 4)
        try tuner.tell(trial: 0, value: 1.0)
        try tuner.tell(trial: 1, value: .nan)
        try tuner.tell(trial: 2, value: 3.0)
        try tuner.fail(trial: 3, reason: "diverged")
        XCTAssertEqual(tuner.trials[1].status, .failed)
        XCTAssertTrue(tuner.trials[1].failureReason!.contains("non-finite"))
        XCTAssertThrowsError(try tuner.tell(trial: 2, value: 1)) { XCTAssertTrue("\($0)".contains("trial 2 is already completed")) }
        XCTAssertThrowsError(try tuner.tell(trial: 9, value: 1)) { XCTAssertTrue("\($0)".contains("trial 9 does not exist")) }
        let b = try XCTUnwrap(try tuner.best())
        XCTAssertEqual(b.observed.index, 2)
        XCTAssertEqual(b.observed.parameters, ts[2].parameters)
        XCTAssertNotNil(b.predicted)
        let csv = tuner.csvTable().split(separator: "\n")
        XCTAssertEqual(csv[0], "trial_index,x,lr,n,opt,epochs,value,status,method")
        XCTAssertTrue(csv[2].hasSuffix(",,failed,sobol"), String(csv[2]))
    }

    func testBadStateFilesAreRejectedClearly() throws {
        let url = dir.appendingPathComponent("s.json")
        let tuner = try Tuner(space: try TunerTests.mixedSpace(), seed: 3, initialTrials: 3, stateURL: url)
        let t = try tuner.ask(count: 2)
        try tuner.tell(trial: t[0].index, value: 2)
        let good = try String(contentsOf: url, encoding: .utf8)
        func check(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let bad = dir.appendingPathComponent("bad.json")
            try text.write(to: bad, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Tuner.resume(stateURL: bad), file: file, line: line) { e in
                let m = "\(e)"
                XCTAssertTrue(m.contains(expected) && m.contains("bad.json"), "got: \(m)", file: file, line: line)
            }
        }
        try check(String(good.prefix(good.count / 2)), "not valid JSON")
        // A Latin-1 byte inside a string: refused as text, not handed to Foundation (older ones trap on it).
        let latin1 = dir.appendingPathComponent("bad.json")
        try (Data(good.utf8.prefix(40)) + Data([0xE9]) + Data(good.utf8.dropFirst(40))).write(to: latin1)
        XCTAssertThrowsError(try Tuner.resume(stateURL: latin1)) { XCTAssertTrue("\($0)".contains("bad.json: not UTF-8 text"), "\($0)") }
        XCTAssertThrowsError(try SearchSpace.parse(Data([0x5B, 0xFF, 0x5D]), source: "s.json")) {
            XCTAssertTrue("\($0)".contains("s.json: not UTF-8 text"), "\($0)")
        }
        XCTAssertFalse(UTF8JSON.isUTF8(Data([0xED, 0xA0, 0x80])))      // an encoded surrogate
        XCTAssertFalse(UTF8JSON.isUTF8(Data([0xC0, 0xAF])))            // an overlong '/'
        XCTAssertTrue(UTF8JSON.isUTF8(Data("é∑😀".utf8)))
        // A raw control character in a key (valid UTF-8, invalid JSON): Swift 6.0.3's JSONDecoder trapped on it.
        XCTAssertThrowsError(try UTF8JSON.decode([String: Int].self, from: Data("{\"a\u{01}\": 1}".utf8))) {
            guard case DecodingError.dataCorrupted(let ctx) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(ctx.codingPath.isEmpty)
        }
        XCTAssertThrowsError(try Tuner.restore(stateJSON: Data("{\"form\u{01}at\": 1}".utf8))) {
            XCTAssertTrue("\($0)".contains("not valid JSON"), "\($0)")
        }
        try check(good.replacingOccurrences(of: "\"sigtfb-tuner\"", with: "\"other\""), "field 'format'")
        try check(good.replacingOccurrences(of: "\"status\" : \"completed\"", with: "\"status\" : \"done\""), "trials[0].status")
        try check(good.replacingOccurrences(of: "\"value\" : 2", with: "\"value\" : null"), "trials[0].value")
        try check(good.replacingOccurrences(of: "\"trial_index\" : 1", with: "\"trial_index\" : 7"), "trials[1].trial_index")
        try check(good.replacingOccurrences(of: "\"epochs\" : 5", with: "\"epochs\" : 6"), "trials[0].parameters")
        try check(good.replacingOccurrences(of: "\"log_scale\" : true", with: "\"log_scale\" : 3"), "log_scale")
        // Names echoed from the file stay on one line even when a JSON escape puts a line break in them.
        for edits in [[("\"lr\" : ", "\"l\\nr\" : 1, \"lr\" : ")],                       // an unknown parameter
                      [("\"name\" : \"lr\"", "\"name\" : \"l\\r\\nr\""), ("\"log_scale\" : true", "\"log_scale\" : 3")]] {  // a bad space
            let bad = dir.appendingPathComponent("bad.json")
            try edits.reduce(good) { $0.replacingOccurrences(of: $1.0, with: $1.1) }.write(to: bad, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Tuner.resume(stateURL: bad)) { e in
                XCTAssertFalse("\(e)".contains("\n") || "\(e)".contains("\r"), "multi-line message: \(e)")
                XCTAssertTrue("\(e)".contains("bad.json") && "\(e)".contains("\\n"), "\(e)")
            }
        }
        XCTAssertThrowsError(try Tuner.resume(stateURL: dir.appendingPathComponent("missing.json"))) {
            XCTAssertTrue("\($0)".contains("cannot read"))
        }
        // the original still loads
        XCTAssertEqual(try Tuner.resume(stateURL: url).trials, tuner.trials)
    }

    /// A given first trial replaces the centre point; unset and fixed parameters take the centre's
    /// values, out-of-range values are refused; the initial design still follows.
    func testEnqueuedTrialComesFirstAndReplacesTheCentre() throws {
        let space = try SearchSpace(parameters: [
            .range(name: "lr", low: 1e-6, high: 1e-1, logScale: true),
            .range(name: "n", low: 1, high: 100, valueType: .int),
            .fixed(name: "f", value: .int(7)),
        ])
        let tuner = try Tuner(space: space, seed: 3, direction: .maximize)
        XCTAssertThrowsError(try tuner.enqueue(["lr": .double(2)]))
        let t = try tuner.enqueue(["lr": .double(0.05), "f": .int(9), "unknown": .int(1)])
        XCTAssertEqual(t.index, 0)
        XCTAssertEqual(t.method, .given)
        XCTAssertEqual(t.parameters["lr"], .double(0.05))
        XCTAssertEqual(t.parameters["f"], .int(7))
        XCTAssertEqual(t.parameters["n"], space.center()["n"])
        try tuner.tell(trial: 0, value: 1)
        let next = try tuner.ask(count: 3)
        XCTAssertEqual(next.map(\.method), [.sobol, .sobol, .sobol], "the centre is not added after a given first trial")
        // The state round-trips with the new method.
        let again = try Tuner.restore(stateJSON: try tuner.stateJSON())
        XCTAssertEqual(again.trials.first?.method, .given)
    }
}
