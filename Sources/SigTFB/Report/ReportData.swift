import Foundation
import Tuning

/// ROC and precision–recall curves (ties grouped, as scikit-learn's `roc_curve` / `precision_recall_curve`).
public enum Curves {
    /// (false positive rate, true positive rate) from (0, 0) to (1, 1). Empty with one class.
    public static func roc(labels: [UInt8], scores: [Float]) -> [(x: Double, y: Double)] {
        let P = labels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }, N = labels.count - P
        guard P > 0, N > 0 else { return [] }
        return [(0, 0)] + Metrics.thresholdCounts(labels: labels, scores: scores).map { (Double($0.fp) / Double(N), Double($0.tp) / Double(P)) }
    }

    /// (recall, precision), one point per distinct threshold, starting at recall 0.
    public static func precisionRecall(labels: [UInt8], scores: [Float]) -> [(x: Double, y: Double)] {
        let P = labels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        guard P > 0 else { return [] }
        var pts: [(x: Double, y: Double)] = []
        for (tp, fp) in Metrics.thresholdCounts(labels: labels, scores: scores) {
            let p = Double(tp) / Double(tp + fp)
            if pts.isEmpty { pts.append((0, p)) }
            pts.append((Double(tp) / Double(P), p))
        }
        return pts
    }

    /// At most `maximum` points, first and last kept (curves are drawn, not measured).
    public static func thin(_ pts: [(x: Double, y: Double)], maximum: Int = 400) -> [(x: Double, y: Double)] {
        guard pts.count > maximum, maximum >= 2 else { return pts }
        let stride = Double(pts.count - 1) / Double(maximum - 1)
        return (0..<maximum).map { pts[min(pts.count - 1, Int((Double($0) * stride).rounded()))] }
    }
}

/// Small readers of the run's text files.
enum RunFiles {
    static func text(_ path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: d, as: UTF8.self)
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// A CSV file as header + rows of fields (RFC 4180 quotes).
    static func csv(_ path: String) -> (header: [String], rows: [[String]])? {
        guard let t = text(path) else { return nil }
        var rows: [[String]] = []
        var field = "", row: [String] = [], inQuotes = false
        var it = t.makeIterator()
        var pending: Character? = nil
        while let ch = pending ?? it.next() {
            pending = nil
            if inQuotes {
                if ch == "\"" {
                    if let n = it.next() { if n == "\"" { field.append("\"") } else { inQuotes = false; pending = n } }
                    else { inQuotes = false }
                } else { field.append(ch) }
                continue
            }
            switch ch {
            case "\"": inQuotes = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n":
                row.append(field); field = ""
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
            case "\r": break
            default: field.append(ch)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        guard let h = rows.first else { return nil }
        return (h, Array(rows.dropFirst()))
    }

    /// `name,value` lines (`hyperparameters.txt`).
    static func keyValues(_ path: String) -> [(String, String)]? {
        guard let t = text(path) else { return nil }
        return t.split(whereSeparator: \.isNewline).compactMap { line -> (String, String)? in
            let parts = line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
    }

    /// Basset's activity table: header `\tA\tB…`, rows `name\t0\t1…`. Returns cell types and the 0/1 rows.
    static func activity(_ path: String) -> (cellTypes: [String], rows: [[UInt8]])? {
        guard let t = text(path) else { return nil }
        var lines = t.split(whereSeparator: \.isNewline).makeIterator()
        guard let head = lines.next() else { return nil }
        let cellTypes = head.split(separator: "\t", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard !cellTypes.isEmpty else { return nil }
        var rows: [[UInt8]] = []
        while let l = lines.next() {
            let f = l.split(separator: "\t", omittingEmptySubsequences: false).dropFirst()
            guard f.count == cellTypes.count else { continue }
            rows.append(f.map { $0 == "1" ? 1 : 0 })
        }
        return (cellTypes, rows)
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }

    static func json<T: Decodable>(_ type: T.Type, _ path: String) -> T? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return try? UTF8JSON.decode(T.self, from: d, decoder: decoder())
    }

    /// An SVG file made fit for inlining in HTML: no XML declaration, no namespace URL.
    static func inlineSVG(_ path: String) -> String? {
        guard var s = text(path) else { return nil }
        if let r = s.range(of: "?>"), s.hasPrefix("<?xml") { s = String(s[r.upperBound...]) }
        s = s.replacingOccurrences(of: " xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        s = s.replacingOccurrences(of: " xmlns:xlink=\"http://www.w3.org/1999/xlink\"", with: "")
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
