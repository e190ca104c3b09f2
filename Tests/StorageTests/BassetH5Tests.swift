import Foundation
import Genomics
import XCTest
@testable import Storage

func fixture(_ path: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(path).path
}

final class BassetH5Tests: XCTestCase {
    func testReadsBassetFloat16File() throws {
        let (ds, report) = try BassetH5.readWithReport(path: fixture("h5/ctcf_small.h5"))
        XCTAssertEqual(ds.trainIn.count, 300)
        XCTAssertEqual(ds.trainIn.length, 101)
        XCTAssertEqual(ds.testIn.count, 40)
        XCTAssertEqual(ds.targetLabels, ["GM12878", "HepG2", "K562"])
        XCTAssertEqual(ds.testHeaders.count, 40)
        XCTAssertTrue(ds.testHeaders[0].hasSuffix("(+)") || ds.testHeaders[0].hasSuffix("(-)"))
        // Values decoded independently with h5py/numpy (bench/fixtures/make_h5_fixtures.py).
        XCTAssertEqual(ds.trainIn.string(0),
                       "ATGTAGATTGNNNGCTGGACTGCAGTCCAGTCTTATTGGAATGGTAAAATCGGGGACCAGAAGAGGGCGCTGCCATTTTGTTTTGTGTATTGGTCAGAACA")
        XCTAssertEqual(ds.trainIn.string(299),
                       "GAGTGTTTTGGTAAACTGCTATGGACTATAGTGCCCGCATGACCCCTACTGGCGTTCATGGAATGACATAAGCCACTACAGTACTCCAAAAGGGGTATATA")
        XCTAssertEqual(ds.trainIn[5][ds.trainIn[5].startIndex + 50], BaseCode.zero)
        XCTAssertEqual(report.quarterNs["train"], 15)
        XCTAssertEqual(report.zeroNs["train"], 1)
        XCTAssertEqual(ds.trainOut.positives, [175, 193, 199])
        XCTAssertEqual(ds.testOut.positives, [26, 23, 27])
        XCTAssertNil(ds.validIn)
    }

    func testEveryElementTypeDecodesToTheSameSequences() throws {
        let ref = try BassetH5.read(path: fixture("h5/ctcf_small.h5"))
        for t in ["float32", "float64", "int8", "uint8"] {
            let ds = try BassetH5.read(path: fixture("h5/dtype_\(t).h5"))
            XCTAssertEqual(ds.trainIn.count, 20, t)
            for i in 0..<20 {
                var expected = Array(ref.trainIn[i])
                if t.contains("int") {  // integers cannot hold 0.25: Ns were written as zero columns
                    expected = expected.map { $0 == BaseCode.n ? BaseCode.zero : $0 }
                }
                XCTAssertEqual(Array(ds.trainIn[i]), expected, "\(t) sequence \(i)")
            }
            XCTAssertEqual(ds.trainOut, ref.trainOut.subset(0..<20), t)
            XCTAssertEqual(ds.testOut, ref.testOut.subset(0..<5), t)
        }
    }

    func testValidationSplitAndVariableLengthStrings() throws {
        let ds = try BassetH5.read(path: fixture("h5/with_valid.h5"))
        XCTAssertEqual(ds.validIn?.count, 5)
        XCTAssertEqual(ds.validOut?.rows, 5)
        XCTAssertEqual(ds.targetLabels, ["GM12878", "HepG2", "K562"])
        XCTAssertEqual(ds.testHeaders.count, 5)
    }

    func testRoundTripPreservesEverything() throws {
        let ref = try BassetH5.read(path: fixture("h5/with_valid.h5"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-h5-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for type in OneHotStorage.allCases {
            let path = dir.appendingPathComponent("rt-\(type).h5").path
            try BassetH5.write(ref, to: path, sequenceType: type)
            let back = try BassetH5.read(path: path)
            XCTAssertEqual(back, ref, "\(type)")
            // Only the finished file is left in the directory.
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "\(names)")
        }
    }

    func testBadFilesGetMessagesNamingTheDatasetAndProblem() {
        let cases: [(String, String)] = [
            ("bad_label.h5", "'train_out': row 3, column 1 is 2.0; labels must be 0 or 1"),
            ("bad_onehot.h5", "'train_in': sequence 2, position 7 is not one-hot"),
            ("bad_rows.h5", "'train_out' has 19 rows but 'train_in' has 20 sequences"),
            ("bad_nolabels.h5", "'target_labels' is missing"),
            ("bad_nanlabel.h5", "'train_out': row 4, column 0 is nan"),
            ("bad_duplabels.h5", "'target_labels' has duplicate names"),
        ]
        for (file, message) in cases {
            XCTAssertThrowsError(try BassetH5.read(path: fixture("h5/\(file)")), file) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(message), "\(file): \(text)")
                XCTAssertTrue(text.contains(file), "\(file): \(text)")
            }
        }
        // Cell-type names become TSV columns: a line break or tab in one is an error naming it.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-h5-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for bad in ["He\npG2", "He\tpG2", ""] {
            var ds = try! BassetH5.read(path: fixture("h5/ctcf_small.h5"))
            ds.targetLabels[1] = bad
            let path = dir.appendingPathComponent("labels.h5").path
            XCTAssertNoThrow(try BassetH5.write(ds, to: path))
            XCTAssertThrowsError(try BassetH5.read(path: path)) { error in
                XCTAssertTrue("\(error)".contains("labels.h5: dataset 'target_labels': name 2"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            }
        }
        XCTAssertThrowsError(try BassetH5.read(path: "/nonexistent/x.h5")) { error in
            XCTAssertTrue("\(error)".contains("no such file"))
        }
        XCTAssertThrowsError(try BassetH5.read(path: #filePath)) { error in
            XCTAssertTrue("\(error)".contains("not an HDF5 file"))
        }
    }
}

final class OutputLockTests: XCTestCase {
    func testSecondLockOnTheSameDirectoryIsRefusedAndReleasedLockCanBeRetaken() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try OutputLock(directory: dir)
        XCTAssertThrowsError(try OutputLock(directory: dir)) { e in
            XCTAssertTrue("\(e)".contains("another sigtfb run is writing to this directory"), "\(e)")
        }
        first.release()
        XCTAssertNoThrow(try OutputLock(directory: dir))
    }

    /// A writer killed between writing its temporary file and renaming it leaves `.NAME.tmp-PID-N`
    /// behind; the next run that takes the directory's lock removes those of dead processes only.
    func testTemporariesOfDeadWritersAreSweptWhenTheLockIsTaken() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigtfb-sweep-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run(); p.waitUntilExit()
        let dead = p.processIdentifier, alive = ProcessInfo.processInfo.processIdentifier
        try FileManager.default.createDirectory(atPath: dir + "/stage1/T/A", withIntermediateDirectories: true)
        let stale = ["/.run.json.tmp-\(dead)-12345", "/stage1/.tuning-state.json.tmp-\(dead)", "/stage1/T/A/.T.A.safetensors.tmp-\(dead)-9"]
        let kept = ["/.report.html.tmp-\(alive)-7", "/stage1/tuning-state.json", "/stage1/notes.tmp-\(dead)", "/.hidden"]
        for f in stale + kept { XCTAssertTrue(FileManager.default.createFile(atPath: dir + f, contents: Data("x".utf8))) }
        XCTAssertEqual(AtomicFile.temporaryWriter(of: ".a.h5.tmp-42-7"), 42)
        XCTAssertNil(AtomicFile.temporaryWriter(of: "a.h5.tmp-42-7"))
        let lock = try OutputLock(directory: dir)
        defer { lock.release() }
        for f in stale { XCTAssertFalse(FileManager.default.fileExists(atPath: dir + f), "not removed: \(f)") }
        for f in kept { XCTAssertTrue(FileManager.default.fileExists(atPath: dir + f), "removed: \(f)") }
    }

    func testMemoryBudgetRefusesAbsurdSizes() {
        XCTAssertThrowsError(try MemoryBudget.check(UInt64(1) << 60, what: "big.h5")) { e in
            XCTAssertTrue("\(e)".contains("big.h5 needs about"), "\(e)")
        }
        XCTAssertNoThrow(try MemoryBudget.check(1 << 20, what: "small.h5"))
    }
}
