import Foundation
import Genomics
import XCTest
@testable import Motifs

/// Ground truth on the semi-synthetic demo data (`../shared/demo-data`, skipped when absent):
/// the planted JASPAR motifs must be recovered as the best database matches.
final class GroundTruthRecallTests: XCTestCase {
    /// `$SIGTFB_DEMO_DATA`, else `../shared/demo-data` next to the package.
    static let demo = ProcessInfo.processInfo.environment["SIGTFB_DEMO_DATA"].map { URL(fileURLWithPath: $0) }
        ?? MotifTestSupport.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/demo-data")

    struct PlantedSite { let chrom: String; let start: Int; let reverse: Bool }
    struct Demo {
        let genome: [String: [UInt8]]               // ASCII
        let planted: [PWM]
        let sites: [String: [PlantedSite]]          // by motif id
        let peaks: [(chrom: String, center: Int)]
    }

    static func load() throws -> Demo {
        guard FileManager.default.fileExists(atPath: demo.appendingPathComponent("genome.fa").path) else {
            throw XCTSkip("demo data not found at \(demo.path)")
        }
        var genome: [String: [UInt8]] = [:]
        var name = ""
        let fa = try String(contentsOf: demo.appendingPathComponent("genome.fa"), encoding: .utf8)
        for line in fa.split(separator: "\n") {
            if line.hasPrefix(">") { name = String(line.dropFirst().split(separator: " ")[0]); genome[name] = [] }
            else { genome[name]!.append(contentsOf: line.utf8) }
        }
        let planted = try MEMEFile(contentsOf: demo.appendingPathComponent("motifs.meme")).motifs
        var sites: [String: [PlantedSite]] = [:]
        var peaks: [(String, Int)] = []
        let dir = demo.appendingPathComponent("sites")
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where f.hasSuffix(".tsv.gz") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
            p.arguments = ["-dc", dir.appendingPathComponent(f).path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
                let col = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard col.count >= 6, let center = Int(col[1]) else { continue }
                peaks.append((String(col[0]), center))
                for entry in col[5].split(separator: ";") where entry != "." {
                    let part = entry.split(separator: ":")   // ID:role:start:strand:weight
                    guard part.count >= 4, let start = Int(part[2]) else { continue }
                    sites[String(part[0]), default: []].append(PlantedSite(chrom: String(col[0]), start: start, reverse: part[3] == "-"))
                }
            }
        }
        return Demo(genome: genome, planted: planted, sites: sites, peaks: peaks)
    }

    static func window(_ g: [UInt8], start: Int, length: Int, reverse: Bool) -> String? {
        guard start >= 0, start + length <= g.count else { return nil }
        var s = Array(g[start..<(start + length)])
        if reverse {
            s = s.reversed().map { b -> UInt8 in
                switch b | 0x20 { case 97: return 84; case 99: return 71; case 103: return 67; case 116: return 65; default: return 78 }
            }
        }
        return String(decoding: s, as: UTF8.self).uppercased()
    }

    /// PWMs from the planted sites (24-bp windows centred on each site, genomic flanks included,
    /// as a filter PWM would have) map to the planted JASPAR IDs.
    func testPlantedSitePWMsMatchTheirJASPARMotifs() throws {
        let d = try Self.load()
        let cmp = MotifComparator(database: MotifTestSupport.jaspar.motifs)
        var hits = 0
        var report: [String] = []
        for m in d.planted {
            let left = (24 - m.width) / 2
            let seqs = (d.sites[m.id] ?? []).compactMap { s -> String? in
                // 24-bp window on the site's strand with the motif `left` columns in.
                let start = s.reverse ? s.start - (24 - m.width - left) : s.start - left
                return Self.window(d.genome[s.chrom]!, start: start, length: 24, reverse: s.reverse)
            }
            XCTAssertGreaterThan(seqs.count, 50, m.id)
            let q = PWM(id: "sites_\(m.id)", sites: seqs)
            let best = cmp.compare(q.trimmed(), top: 1)[0]
            if best.targetID == m.id { hits += 1 }
            report.append("\(m.id) \(m.altName): \(seqs.count) sites -> \(best.targetID) \(best.targetName) p=\(best.pValue) q=\(best.qValue)")
        }
        print("planted-site PWMs: recall \(hits)/\(d.planted.count)\n  " + report.joined(separator: "\n  "))
        XCTAssertEqual(hits, d.planted.count, report.joined(separator: "; "))
    }

    /// End to end through `FilterPWMBuilder`: "oracle" filters carrying each planted motif's
    /// log-odds (centred in 24 columns) over the 101-bp windows at every peak centre; the
    /// Basset-rule PWMs of these filters map back to the planted JASPAR IDs.
    func testOracleFiltersRecoverPlantedMotifs() throws {
        let d = try Self.load()
        var seqs = EncodedSequences(length: 101)
        for p in d.peaks {
            guard let w = Self.window(d.genome[p.chrom]!, start: p.center - 50, length: 101, reverse: false) else { continue }
            seqs.append(codes: w.utf8.map { BaseCode.code(ascii: $0) ?? BaseCode.n })
        }
        let W = 24, C = d.planted.count
        var weights = [Float](repeating: 0, count: C * 4 * W)
        for (c, m) in d.planted.enumerated() {
            let left = (W - m.width) / 2
            let lo = m.logOdds()
            for i in 0..<m.width { for b in 0..<4 { weights[(c * 4 + b) * W + left + i] = Float(lo[i * 4 + b]) } }
        }
        let filters = ConvFilters(weights: weights, count: C, width: W)
        let results = FilterPWMBuilder.build(filters: filters, sequences: seqs)
        let matches = MotifComparator(database: MotifTestSupport.jaspar.motifs).compareAll(results.map { $0.pwm.trimmed() })
        var hits = 0, hits5 = 0
        var report: [String] = []
        for (c, m) in d.planted.enumerated() {
            let best = matches[c][0]
            let rank = (matches[c].firstIndex { $0.targetID == m.id } ?? matches[c].count) + 1
            if rank == 1 { hits += 1 }
            if rank <= 5 { hits5 += 1 }
            report.append("filter \(c) (\(m.id) \(m.altName)): \(results[c].siteCount) sites in \(results[c].sequencesWithSite) seqs, \(results[c].pwm.trimmed().consensus) -> \(best.targetID) \(best.targetName) p=\(best.pValue) q=\(best.qValue); planted ID at rank \(rank)")
        }
        print("oracle filters over \(seqs.count) peaks: recall@1 \(hits)/\(C), recall@5 \(hits5)/\(C)\n  " + report.joined(separator: "\n  "))
        // Close paralogues (FOS::JUN vs FOSB::JUNB, HNF4A vs HNF4G) may outrank the planted matrix.
        XCTAssertEqual(hits5, C, report.joined(separator: "; "))
        XCTAssertGreaterThanOrEqual(hits, C / 2, report.joined(separator: "; "))
    }
}
