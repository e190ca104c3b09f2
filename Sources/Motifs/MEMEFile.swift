import Foundation
#if canImport(Genomics)
import Genomics  // AtomicWrite (the fuzz harnesses compile its file into one module instead)
#endif

/// A MEME minimal motif format file (DNA): version, strands, background and motifs.
///
/// Reads what the MEME suite, JASPAR, HOMER-converted and memelite files contain: the
/// `MEME version` line, an optional `ALPHABET= ACGT` line (or a DNA `ALPHABET … END ALPHABET`
/// block), `strands:`, `Background letter frequencies` (one or more following lines of letter /
/// frequency pairs), then motifs: `MOTIF id [altname]`, a
/// `letter-probability matrix: alength= 4 w= W nsites= N E= x` header and `W` rows of four
/// probabilities, and an optional `URL` line. `log-odds matrix:` blocks and other lines outside
/// matrices (as in full MEME output) are skipped. Any malformed part raises `MEMEFormatError`
/// naming the file, the line and the problem.
public struct MEMEFile: Sendable, Equatable {
    /// The version on the `MEME version` line (e.g. "4" or "5.5.4").
    public var version: String
    /// Strands the motifs were found on (`["+", "-"]` or `["+"]`).
    public var strands: [String]
    /// Background letter frequencies A, C, G, T.
    public var background: [Double]
    /// The motifs, in file order; each carries the file's background.
    public var motifs: [PWM]

    public init(version: String = "4", strands: [String] = ["+", "-"],
                background: [Double] = PWM.uniformBackground, motifs: [PWM]) {
        self.version = version
        self.strands = strands
        self.background = background
        self.motifs = motifs
    }

    // MARK: Reading

    /// Parses the file at `url`. Errors name the file by its path.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MEMEFormatError(file: url.path, line: 0, message: "cannot read file (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw MEMEFormatError(file: url.path, line: 0, message: "file is not text")
        }
        try self.init(text: text, fileName: url.path)
    }

    /// Parses MEME text; `fileName` is used in error messages.
    public init(text: String, fileName: String = "<string>") throws {
        var parser = Parser(lines: text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
                                .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) },
                            file: fileName)
        self = try parser.parse()
    }

    // MARK: Writing

    /// The file as MEME minimal motif format text (version 4), accepted by the MEME suite,
    /// Tomtom and memelite. Identifiers and names have whitespace replaced by `_`.
    public func text() -> String {
        var s = "MEME version \(version)\n\nALPHABET= ACGT\n\nstrands: \(strands.joined(separator: " "))\n\n"
        s += "Background letter frequencies\n"
        s += zip(["A", "C", "G", "T"], background).map { "\($0) \(MEMEFile.format($1, digits: 4))" }.joined(separator: " ")
        s += "\n\n"
        for m in motifs {
            let id = MEMEFile.token(m.id.isEmpty ? "motif" : m.id)
            let alt = MEMEFile.token(m.altName)
            s += alt.isEmpty ? "MOTIF \(id)\n" : "MOTIF \(id) \(alt)\n"
            let nsites = m.siteCount == m.siteCount.rounded() && abs(m.siteCount) < 1e15 ? String(Int(m.siteCount)) : MEMEFile.format(m.siteCount, digits: 2)
            s += "letter-probability matrix: alength= 4 w= \(m.width) nsites= \(nsites) E= 0\n"
            for i in 0..<m.width {
                s += (0..<4).map { " " + MEMEFile.format(m[i, $0], digits: 6) }.joined(separator: " ") + "\n"
            }
            if let url = m.url, !url.isEmpty { s += "URL \(url)\n" }
            s += "\n"
        }
        return s
    }

    /// Writes `text()` to `url` atomically.
    public func write(to url: URL) throws {
        try AtomicWrite.write(Array(text().utf8), to: url.path)
    }

    static func format(_ x: Double, digits: Int) -> String {
        String(format: "%.\(digits)f", x)
    }

    static func token(_ s: String) -> String {
        String(s.map { $0.isWhitespace ? "_" : $0 })
    }
}

// MARK: - Parser

extension MEMEFile {
    fileprivate struct Parser {
        let lines: [String]
        let file: String
        var i = 0

        init(lines: [String], file: String) {
            self.lines = lines
            self.file = file
        }

        func fail(_ line: Int, _ message: String) -> MEMEFormatError {
            MEMEFormatError(file: file, line: line, message: message)
        }

        static func words(_ s: String) -> [Substring] {
            s.split(whereSeparator: { $0 == " " || $0 == "\t" })
        }

        mutating func parse() throws -> MEMEFile {
            var version: String?
            var strands = ["+", "-"]
            var background = PWM.uniformBackground
            var motifs: [PWM] = []
            var seen = Set<String>()
            while i < lines.count {
                let lineNo = i + 1
                let line = lines[i].trimmingCharacters(in: .whitespaces)
                i += 1
                if line.isEmpty { continue }
                if version == nil {
                    guard line.hasPrefix("MEME version") else {
                        throw fail(lineNo, "expected 'MEME version <n>' as the first line, found '\(Parser.clip(line))'")
                    }
                    let v = line.dropFirst("MEME version".count).trimmingCharacters(in: .whitespaces)
                    guard let first = v.split(separator: " ").first, first.first?.isNumber == true else {
                        throw fail(lineNo, "missing version number after 'MEME version'")
                    }
                    version = String(first)
                    continue
                }
                if line.hasPrefix("ALPHABET=") {
                    let a = line.dropFirst("ALPHABET=".count).trimmingCharacters(in: .whitespaces).uppercased()
                    guard a == "ACGT" || a == "ACGU" else {
                        throw fail(lineNo, "unsupported alphabet '\(a)' (only DNA, ACGT, is supported)")
                    }
                } else if line.hasPrefix("ALPHABET") {
                    // MEME 5 custom alphabet block: accept the DNA one, skip to END ALPHABET.
                    guard line.uppercased().contains("DNA") else {
                        throw fail(lineNo, "unsupported alphabet definition '\(Parser.clip(line))' (only DNA is supported)")
                    }
                    while i < lines.count && !lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("END ALPHABET") { i += 1 }
                    guard i < lines.count else { throw fail(lineNo, "ALPHABET block without 'END ALPHABET'") }
                    i += 1
                } else if line.hasPrefix("strands:") {
                    let s = Parser.words(String(line.dropFirst("strands:".count))).map(String.init)
                    guard !s.isEmpty, s.allSatisfy({ $0 == "+" || $0 == "-" }) else {
                        throw fail(lineNo, "strands must be '+' and/or '-', found '\(Parser.clip(line))'")
                    }
                    strands = s
                } else if line.hasPrefix("Background letter frequencies") {
                    background = try parseBackground(startLine: lineNo)
                } else if line.hasPrefix("MOTIF") {
                    var m = try parseMotif(header: line, lineNo: lineNo, background: background)
                    if seen.contains(m.id) {
                        throw fail(lineNo, "duplicate motif identifier '\(m.id)'")
                    }
                    seen.insert(m.id)
                    m.background = background
                    motifs.append(m)
                }
                // Anything else outside a motif (comments, full MEME output sections) is ignored.
            }
            guard let v = version else { throw fail(0, "empty file: no 'MEME version' line") }
            return MEMEFile(version: v, strands: strands, background: background, motifs: motifs)
        }

        static func clip(_ s: String) -> String { s.count > 60 ? String(s.prefix(57)) + "..." : s }

        /// Reads letter/frequency pairs from the lines after the header until all four are known.
        mutating func parseBackground(startLine: Int) throws -> [Double] {
            var freq = [String: Double]()
            // "Background letter frequencies (from ...):" may carry pairs on the next lines only.
            while i < lines.count && freq.count < 4 {
                let lineNo = i + 1
                let line = lines[i].trimmingCharacters(in: .whitespaces)
                if line.isEmpty { if freq.isEmpty { i += 1; continue } else { break } }
                let w = Parser.words(line)
                guard w.count % 2 == 0, let first = w.first, first.count == 1, Double(w[1]) != nil else { break }
                i += 1
                for k in stride(from: 0, to: w.count, by: 2) {
                    let letter = w[k].uppercased()
                    guard let f = Double(w[k + 1]), f.isFinite, f >= 0 else {
                        throw fail(lineNo, "background frequency '\(w[k + 1])' of \(letter) is not a non-negative number")
                    }
                    guard ["A", "C", "G", "T", "U"].contains(letter) else {
                        throw fail(lineNo, "unknown letter '\(w[k])' in background frequencies")
                    }
                    freq[letter == "U" ? "T" : letter] = f
                }
            }
            guard let a = freq["A"], let c = freq["C"], let g = freq["G"], let t = freq["T"] else {
                throw fail(startLine, "background letter frequencies must give A, C, G and T")
            }
            let s = a + c + g + t
            guard s > 0.5 && s < 1.5 else {
                throw fail(startLine, "background frequencies sum to \(s), expected 1")
            }
            return [a / s, c / s, g / s, t / s]
        }

        mutating func parseMotif(header: String, lineNo: Int, background: [Double]) throws -> PWM {
            let w = Parser.words(header)
            guard w.count >= 2 else { throw fail(lineNo, "MOTIF line without an identifier") }
            let id = String(w[1])
            let alt = w.count >= 3 ? String(w[2]) : ""
            var url: String?
            // Find the letter-probability matrix of this motif.
            while i < lines.count {
                let ln = i + 1
                let line = lines[i].trimmingCharacters(in: .whitespaces)
                if line.isEmpty { i += 1; continue }
                if line.hasPrefix("MOTIF") {
                    throw fail(lineNo, "motif '\(id)' has no letter-probability matrix")
                }
                if line.hasPrefix("log-odds matrix:") {
                    i += 1
                    try skipMatrix(header: line, lineNo: ln)
                    continue
                }
                if line.hasPrefix("URL") { url = line.dropFirst(3).trimmingCharacters(in: .whitespaces); i += 1; continue }
                if line.hasPrefix("letter-probability matrix:") {
                    i += 1
                    let info = try parseHeaderFields(line, lineNo: ln)
                    if let alength = info["alength"] {
                        guard alength == 4 else {
                            let shown = alength == alength.rounded() && abs(alength) < 1e15 ? String(Int(alength)) : String(alength)
                            throw fail(ln, "alength= \(shown) but DNA motifs need alength= 4")
                        }
                    }
                    var width: Int?
                    if let wv = info["w"] {
                        // (Bounded so that absurd values give this error rather than an Int conversion trap.)
                        guard wv >= 1, wv == wv.rounded(), wv <= Double(Int32.max) else { throw fail(ln, "w= must be a positive integer") }
                        width = Int(wv)
                    }
                    if let ns = info["nsites"], !(ns.isFinite && ns >= 0) {
                        throw fail(ln, "nsites= must be a non-negative number")
                    }
                    let rows = try readRows(expected: width, motif: id, headerLine: ln)
                    // Optional URL line right after the matrix.
                    while i < lines.count && lines[i].trimmingCharacters(in: .whitespaces).isEmpty { i += 1 }
                    if i < lines.count {
                        let next = lines[i].trimmingCharacters(in: .whitespaces)
                        if next.hasPrefix("URL") { url = next.dropFirst(3).trimmingCharacters(in: .whitespaces); i += 1 }
                    }
                    return PWM(id: id, altName: alt, rows: rows, siteCount: info["nsites"] ?? 0,
                               background: background, url: url)
                }
                // Free text between MOTIF and the matrix (full MEME output): skip.
                i += 1
            }
            throw fail(lineNo, "motif '\(id)' has no letter-probability matrix (end of file)")
        }

        /// `key= value` pairs of a matrix header (also accepts `key=value`).
        func parseHeaderFields(_ line: String, lineNo: Int) throws -> [String: Double] {
            let body = line.split(separator: ":", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            var tokens = Parser.words(body.replacingOccurrences(of: "=", with: "= ")).map(String.init)
            var out = [String: Double]()
            while !tokens.isEmpty {
                let key = tokens.removeFirst()
                guard key.hasSuffix("=") else { continue }
                guard let v = tokens.first else { throw fail(lineNo, "no value after '\(key)'") }
                tokens.removeFirst()
                guard let x = Double(v) else { throw fail(lineNo, "value '\(v)' of '\(key)' is not a number") }
                out[String(key.dropLast()).lowercased()] = x
            }
            return out
        }

        mutating func skipMatrix(header: String, lineNo: Int) throws {
            let info = try parseHeaderFields(header, lineNo: lineNo)
            if let w = info["w"] {
                var n = 0
                // w= of a skipped matrix is only a line count: nan, negative or huge values must not trap.
                let rows = w.isFinite && w > 0 ? Int(min(w, Double(lines.count))) : 0
                while i < lines.count && n < rows {
                    if !lines[i].trimmingCharacters(in: .whitespaces).isEmpty { n += 1 }
                    i += 1
                }
            } else {
                while i < lines.count, let f = Parser.words(lines[i]).first, Double(f) != nil { i += 1 }
            }
        }

        /// Rows of four probabilities; with a known width exactly that many, else until a line
        /// that does not start with a number.
        mutating func readRows(expected: Int?, motif: String, headerLine: Int) throws -> [[Double]] {
            var rows: [[Double]] = []
            while i < lines.count {
                if let e = expected, rows.count == e { break }
                let ln = i + 1
                let line = lines[i].trimmingCharacters(in: .whitespaces)
                if line.isEmpty {
                    if expected == nil && !rows.isEmpty { break }
                    i += 1; continue
                }
                let w = Parser.words(line)
                let startsNumeric = w.first.map { Double($0) != nil } ?? false
                if !startsNumeric {
                    if let e = expected {
                        throw fail(ln, "motif '\(motif)': expected \(e) matrix rows (w= \(e)), found \(rows.count) before '\(Parser.clip(line))'")
                    }
                    break
                }
                guard w.count == 4 else {
                    throw fail(ln, "motif '\(motif)': matrix row has \(w.count) values, expected 4")
                }
                var row = [Double]()
                for t in w {
                    guard let x = Double(t), x.isFinite else {
                        throw fail(ln, "motif '\(motif)': '\(t)' is not a number")
                    }
                    guard x >= 0 else { throw fail(ln, "motif '\(motif)': negative probability \(t)") }
                    row.append(x)
                }
                let s = row.reduce(0, +)
                guard abs(s - 1) <= 0.1 else {
                    throw fail(ln, "motif '\(motif)': row sums to \(MEMEFile.format(s, digits: 4)), expected 1")
                }
                rows.append(row)
                i += 1
            }
            if let e = expected, rows.count < e {
                throw fail(headerLine, "motif '\(motif)': expected \(e) matrix rows (w= \(e)), found \(rows.count) before end of file")
            }
            guard !rows.isEmpty else { throw fail(headerLine, "motif '\(motif)': empty matrix") }
            return rows
        }
    }
}
