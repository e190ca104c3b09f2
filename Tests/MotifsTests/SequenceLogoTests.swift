import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Motifs

final class SequenceLogoTests: XCTestCase {
    /// Collects the glyph elements of an SVG while checking it parses as XML.
    final class GlyphCollector: NSObject, XMLParserDelegate {
        var glyphs: [[String: String]] = []
        var elements = 0
        var hrefs = 0
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            elements += 1
            if attributes["class"] == "glyph" { glyphs.append(attributes) }
            if attributes.keys.contains(where: { $0.contains("href") }) || name == "image" { hrefs += 1 }
        }
    }

    func parse(_ svg: String) -> GlyphCollector? {
        let c = GlyphCollector()
        let p = XMLParser(data: Data(svg.utf8))
        p.delegate = c
        guard p.parse() else { XCTFail("SVG is not well-formed: \(String(describing: p.parserError))"); return nil }
        return c
    }

    func testInformationContentLogo() throws {
        let pwm = PWM(id: "t<&>", altName: "demo", rows: [[1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0, 0],
                                                         [0.7, 0.1, 0.1, 0.1], [0, 0.2, 0.3, 0.5]])
        let svg = SequenceLogo.informationContent(pwm)
        let c = try XCTUnwrap(parse(svg))
        // One glyph per letter with nonzero height: 1 + 0 + 2 + 4 + 3.
        XCTAssertEqual(c.glyphs.count, 10)
        XCTAssertEqual(c.hrefs, 0)
        XCTAssertFalse(svg.contains("url("))
        XCTAssertTrue(svg.contains("t&lt;&amp;&gt; demo"))
        // Column 4: T (largest) on top, i.e. drawn last and highest (smallest y).
        let col4 = c.glyphs.filter { $0["data-pos"] == "4" }
        XCTAssertEqual(col4.map { $0["data-letter"]! }, ["C", "G", "T"])
        let heights = col4.map { Double($0["data-height"]!)! }
        XCTAssertEqual(heights, heights.sorted())
        // Full column A: 2 bits.
        XCTAssertEqual(Double(c.glyphs.first { $0["data-pos"] == "0" }!["data-height"]!)!, 2, accuracy: 1e-4)
        XCTAssertEqual(c.glyphs.first { $0["data-letter"] == "A" }?["fill"], "#109648")
    }

    func testTwoSidedLogo() throws {
        let values: [Double] = [0.5, -0.2, 0, 0.1,   -1, -0.5, 0.3, 0]
        let svg = SequenceLogo.twoSided(values: values, title: "ISM", yLabel: "Δ score")
        let c = try XCTUnwrap(parse(svg))
        XCTAssertEqual(c.glyphs.count, 6)
        // Negative letters are below the zero line: their translate y is larger.
        func y(_ g: [String: String]) -> Double {
            let t = g["transform"]!
            let inside = t[t.range(of: "translate(")!.upperBound...]
            return Double(inside.split(separator: ",")[1].split(separator: ")")[0])!
        }
        let pos = c.glyphs.filter { Double($0["data-height"]!)! > 0 }.map(y)
        let neg = c.glyphs.filter { Double($0["data-height"]!)! < 0 }.map(y)
        XCTAssertLessThan(pos.max()!, neg.min()!)
    }

    /// Writes example logos for a visual check when MOTIFS_LOGO_DIR is set.
    func testWriteExamples() throws {
        guard let dir = ProcessInfo.processInfo.environment["MOTIFS_LOGO_DIR"] else { throw XCTSkip("set MOTIFS_LOGO_DIR") }
        let db = MotifTestSupport.jaspar.motifs
        for id in ["MA0139.2", "MA0466.4"] {
            let m = db.first { $0.id == id }!
            try SequenceLogo.informationContent(m).write(toFile: "\(dir)/\(id).svg", atomically: true, encoding: .utf8)
        }
        let ctcf = db.first { $0.id == "MA0139.2" }!
        let vals = ctcf.probabilities.enumerated().map { $0.element - 0.25 + ($0.offset % 3 == 0 ? -0.1 : 0) }
        try SequenceLogo.twoSided(values: vals, title: "two-sided", yLabel: "Δ").write(toFile: "\(dir)/twosided.svg", atomically: true, encoding: .utf8)
    }
}
