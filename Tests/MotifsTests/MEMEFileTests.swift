import XCTest
@testable import Motifs

final class MEMEFileTests: XCTestCase {
    func testParseFixture() throws {
        let f = try MEMEFile(contentsOf: MotifTestSupport.fixture("small.meme"))
        XCTAssertEqual(f.version, "4")
        XCTAssertEqual(f.strands, ["+", "-"])
        XCTAssertEqual(f.background, [0.3, 0.2, 0.2, 0.3])
        XCTAssertEqual(f.motifs.map(\.id), ["M1", "M2", "M3"])
        XCTAssertEqual(f.motifs.map(\.altName), ["ONE", "", "THREE"])
        XCTAssertEqual(f.motifs.map(\.width), [4, 3, 2])
        XCTAssertEqual(f.motifs[1].siteCount, 7.5)
        XCTAssertEqual(f.motifs[0].url, "http://example.org/M1")
        XCTAssertEqual(f.motifs[1].rows[2], [0.7, 0.1, 0.1, 0.1])
        XCTAssertEqual(f.motifs[2].background, [0.3, 0.2, 0.2, 0.3])
    }

    func testRoundTrip() throws {
        let f = try MEMEFile(contentsOf: MotifTestSupport.fixture("small.meme"))
        let again = try MEMEFile(text: f.text())
        XCTAssertEqual(again.motifs.count, f.motifs.count)
        for (a, b) in zip(f.motifs, again.motifs) {
            XCTAssertEqual(a.id, b.id)
            XCTAssertEqual(a.altName, b.altName)
            XCTAssertEqual(a.siteCount, b.siteCount)
            XCTAssertEqual(a.url, b.url)
            for (x, y) in zip(a.probabilities, b.probabilities) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
        XCTAssertEqual(again.background.map { ($0 * 1e4).rounded() }, f.background.map { ($0 * 1e4).rounded() })
        // Writing is stable.
        XCTAssertEqual(again.text(), f.text())
        // Names with spaces become single tokens.
        let odd = MEMEFile(motifs: [PWM(id: "my motif", altName: "alt name", rows: [[1, 0, 0, 0]])])
        let parsed = try MEMEFile(text: odd.text())
        XCTAssertEqual(parsed.motifs[0].id, "my_motif")
        XCTAssertEqual(parsed.motifs[0].altName, "alt_name")
    }

    func testErrorNamesFileAndLine() {
        let url = MotifTestSupport.fixture("bad_row.meme")
        XCTAssertThrowsError(try MEMEFile(contentsOf: url)) { error in
            guard let e = error as? MEMEFormatError else { return XCTFail("wrong error \(error)") }
            XCTAssertEqual(e.file, url.path)
            XCTAssertEqual(e.line, 18)
            XCTAssertTrue(e.message.contains("3 values"), e.message)
            XCTAssertTrue(e.description.hasPrefix("\(url.path):18:"), e.description)
        }
    }

    func testErrors() {
        func line(_ text: String) -> (Int, String)? {
            do { _ = try MEMEFile(text: text, fileName: "t.meme"); return nil } catch let e as MEMEFormatError {
                XCTAssertEqual(e.file, "t.meme")
                return (e.line, e.message)
            } catch { return nil }
        }
        let head = "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
        XCTAssertEqual(line("hello\n")?.0, 1)
        XCTAssertEqual(line("")?.0, 0)
        XCTAssertEqual(line(head + "MOTIF X\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 0.25\nMOTIF Y\n")?.0, 10)
        XCTAssertEqual(line(head + "MOTIF X\nletter-probability matrix: alength= 4 w= 1\n0.5 0.5 0.5 0.5\n")?.0, 9)
        XCTAssertEqual(line(head + "MOTIF X\nletter-probability matrix: alength= 4 w= 1\n0.5 abc 0.25 0.25\n")?.0, 9)
        XCTAssertEqual(line(head + "MOTIF X\nletter-probability matrix: alength= 20 w= 1\n")?.0, 8)
        XCTAssertEqual(line(head + "MOTIF X\nMOTIF Y\n")?.0, 7)
        XCTAssertEqual(line(head + "MOTIF\n")?.0, 7)
        XCTAssertEqual(line(head + "MOTIF X\nletter-probability matrix: alength= 4 w= 3\n1 0 0 0\n")?.0, 8)
        XCTAssertEqual(line("MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n")?.0, 2)
        XCTAssertEqual(line("MEME version 4\nBackground letter frequencies\nA 0.5 C x G 0.25 T 0.25\n")?.0, 3)
        let dup = head + "MOTIF X\nletter-probability matrix: alength= 4 w= 1\n1 0 0 0\nMOTIF X\nletter-probability matrix: alength= 4 w= 1\n1 0 0 0\n"
        XCTAssertEqual(line(dup)?.0, 10)
    }

    func testLenientInputs() throws {
        // No w= (rows until a non-number), log-odds blocks and prose skipped, CRLF line ends.
        let text = "MEME version 5.5.4\r\n\r\nBackground letter frequencies (from file):\r\nA 0.3 C 0.2\r\nG 0.2 T 0.3\r\n\r\n"
            + "MOTIF A1 one\r\n\r\nlog-odds matrix: alength= 4 w= 2 n= 10\r\n1 2 3 4\r\n1 2 3 4\r\n"
            + "letter-probability matrix: alength= 4 nsites= 5\r\n1 0 0 0\r\n0 1 0 0\r\n\r\nsome text\r\n"
        let f = try MEMEFile(text: text)
        XCTAssertEqual(f.version, "5.5.4")
        XCTAssertEqual(f.background, [0.3, 0.2, 0.2, 0.3])
        XCTAssertEqual(f.motifs.count, 1)
        XCTAssertEqual(f.motifs[0].width, 2)
        XCTAssertEqual(f.motifs[0].siteCount, 5)
    }

    func testBundledJASPAR() throws {
        let f = MotifTestSupport.jaspar
        XCTAssertEqual(f.motifs.count, 879)
        XCTAssertEqual(Set(f.motifs.map(\.id)).count, 879)
        let ctcf = try XCTUnwrap(f.motifs.first { $0.id == "MA0139.2" })
        XCTAssertEqual(ctcf.altName, "CTCF")
        XCTAssertEqual(ctcf.width, 15)
        XCTAssertEqual(ctcf.siteCount, 913)
        XCTAssertEqual(ctcf.url, "http://jaspar.genereg.net/matrix/MA0139.2")
        XCTAssertEqual(ctcf[0, 2], 0.491785, accuracy: 1e-6)
        XCTAssertTrue(f.motifs.allSatisfy { $0.width >= 1 })
        // Round trip of the whole database.
        let again = try MEMEFile(text: f.text())
        XCTAssertEqual(again.motifs.count, 879)
        XCTAssertEqual(again.motifs[100].id, f.motifs[100].id)
    }

    func testDefaultDatabaseLocation() throws {
        // Source tree fallback.
        let url = try XCTUnwrap(MotifDatabase.defaultURL(executableURL: URL(fileURLWithPath: "/nonexistent/bin/sigtfb"),
                                                         environment: [:]))
        XCTAssertEqual(url.standardizedFileURL.path, MotifTestSupport.jasparURL.standardizedFileURL.path)
        // Search order: data dir, then installed share/, then source.
        let c = MotifDatabase.defaultCandidates(executableURL: URL(fileURLWithPath: "/opt/x/bin/sigtfb"),
                                                environment: ["SIGTFB_DATA_DIR": "/d"])
        XCTAssertEqual(c[0].path, "/d/jaspar/JASPAR2024_CORE_vertebrates_non-redundant.meme")
        XCTAssertEqual(c[1].path, "/opt/x/share/sigtfb/jaspar/JASPAR2024_CORE_vertebrates_non-redundant.meme")
        let db = try MotifDatabase.loadDefault(executableURL: URL(fileURLWithPath: "/nonexistent/bin/sigtfb"), environment: [:])
        XCTAssertEqual(db.count, 879)
        XCTAssertEqual(db.motif(id: "MA0139.2")?.altName, "CTCF")
    }
}
