import Foundation
#if canImport(Genomics)
import Genomics  // AtomicWrite (the fuzz harnesses compile its file into one module instead)
#endif

/// Writes the motifs of a model's filters: a MEME file (`filter_0`, … with `nsites`) and a TSV
/// summary with each filter's best database match.
public enum FilterMotifWriter {

    /// Header of the TSV summary.
    public static let summaryColumns = [
        "filter", "sites", "ic_total", "consensus", "best_match_id", "best_match_name", "p", "q", "strand",
        "offset", "e", "overlap", "sequences_with_site", "max_activation", "mean_activation",
    ]

    /// MEME text of the filters' PWMs (identifiers as built, e.g. `filter_3`; `nsites` = sites).
    public static func memeText(_ results: [FilterPWMResult], background: [Double] = PWM.uniformBackground) -> String {
        MEMEFile(background: background, motifs: results.map(\.pwm)).text()
    }

    /// TSV summary, one row per filter. `matches[i]` are the matches of `results[i]` (best first;
    /// empty or missing: the match columns hold `NA`). `ic_total` uses the small-sample correction.
    public static func summaryTSV(_ results: [FilterPWMResult], matches: [[MotifMatch]] = []) -> String {
        var s = summaryColumns.joined(separator: "\t") + "\n"
        for (i, r) in results.enumerated() {
            let ic = r.siteCount > 0 ? r.pwm.totalInformationContent(correctSmallSample: true) : 0
            var row = [String(r.filter), String(r.siteCount), fmt(ic, "%.3f"), r.siteCount > 0 ? r.pwm.consensus : "NA"]
            if i < matches.count, let m = matches[i].first, r.siteCount > 0 {
                row += [m.targetID, m.targetName.isEmpty ? "NA" : m.targetName, sci(m.pValue), sci(m.qValue),
                        m.strand.rawValue, String(m.offset), sci(m.eValue), String(m.overlap)]
            } else {
                row += Array(repeating: "NA", count: 8)
            }
            row += [String(r.sequencesWithSite), fmt(Double(r.maxActivation), "%.4f"), fmt(r.meanActivation, "%.5f")]
            s += row.joined(separator: "\t") + "\n"
        }
        return s
    }

    /// Writes `filters.meme` and `filters.tsv` (or the given names) into `directory`, creating it.
    @discardableResult
    public static func write(_ results: [FilterPWMResult], matches: [[MotifMatch]] = [], to directory: URL,
                             memeName: String = "filters.meme", summaryName: String = "filters.tsv",
                             background: [Double] = PWM.uniformBackground) throws -> (meme: URL, summary: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let meme = directory.appendingPathComponent(memeName)
        let tsv = directory.appendingPathComponent(summaryName)
        try AtomicWrite.write(Array(memeText(results, background: background).utf8), to: meme.path)
        try AtomicWrite.write(Array(summaryTSV(results, matches: matches).utf8), to: tsv.path)
        return (meme, tsv)
    }

    static func fmt(_ x: Double, _ f: String) -> String { String(format: f, x) }
    static func sci(_ x: Double) -> String { String(format: "%.3g", x) }
}
