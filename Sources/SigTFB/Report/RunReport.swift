import Foundation
import Genomics
import NeuralNet
import Storage

/// Options of `RunReport`.
public struct RunReportOptions: Sendable {
    public var threads = Parallel.availableCores
    /// Points per drawn curve at most.
    public var maxCurvePoints = 300
    /// Filters shown in the influence heatmap and as cards.
    public var heatmapFilters = 16
    public var filterCards = 8
    public init() {}
}

/// `sigtfb report`: one self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched)
/// from whatever a run directory holds. Each section is drawn from the files present; a missing
/// step is named, not faked.
public enum RunReport {

    /// Writes the report (atomically) and returns its path; `output` defaults to `DIR/report.html`.
    @discardableResult
    public static func write(directory: String, output: String? = nil, options: RunReportOptions = RunReportOptions(),
                             log: @escaping (String) -> Void = { _ in }) throws -> String {
        let html = try render(directory: directory, options: options, log: log)
        let path = output ?? (directory as NSString).appendingPathComponent("report.html")
        try AtomicFile.write(html, to: path)
        return path
    }

    public static func render(directory: String, options: RunReportOptions = RunReportOptions(),
                              log: @escaping (String) -> Void = { _ in }) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw PipelineError("\(directory): run directory not found")
        }
        guard let layout = RunLayout.discover(directory: directory) else {
            throw PipelineError("\(directory): no sigtfb run found (expected run.json, data/TF.AB.h5 or stage1/TF/AB/TF.AB.safetensors)")
        }
        var b = Builder(layout: layout, options: options, log: log)
        b.load()
        return b.render()
    }
}

// MARK: - Loading

private struct Stage1Scores {
    var cellTypes: [String]
    var labels: [[UInt8]]      // [N][n]
    var scores: [[Float]]      // [N][n]
    var report: MultiLabelReport
}

private struct Builder {
    let layout: RunLayout
    let options: RunReportOptions
    let log: (String) -> Void

    var manifest: RunManifest?
    var dataset: BassetDataset?
    var datasetError: String?
    var activity: (cellTypes: [String], rows: [[UInt8]])?
    var cellTypes: [String] = []
    var stage1ModelPath: String?
    var stage1Sidecar: CheckpointSidecar?
    var stage1: Stage1Scores?
    var stage1Error: String?
    var stage1MetricsReport: MultiLabelReport?
    var stage2Predictions: Stage2Predictions?
    var stage2Error: String?
    var stage2Sidecar: Stage2Sidecar?
    var signature: SignatureResult?
    var motifs: MotifReport?
    var figureCounter = 0
    /// Peaks per cell type in the input files (before merging), when the peaks directory is readable.
    var rawPeaks: [String: Int] = [:]

    init(layout: RunLayout, options: RunReportOptions, log: @escaping (String) -> Void) {
        self.layout = layout; self.options = options; self.log = log
    }

    mutating func load() {
        manifest = RunManifest.load(layout.manifest)
        if RunFiles.exists(layout.h5) {
            do { dataset = try BassetH5.read(path: layout.h5) } catch { datasetError = "\(error)" }
        }
        activity = RunFiles.activity(layout.activity)
        if let dir = manifest?.peaks, let files = try? PeakDirectory.list(dir).files {
            var names = ChromosomeNames()
            for f in files {
                if let recs = try? PeakFileParser.parse(path: f.path, names: &names) { rawPeaks[f.cellType] = recs.count }
            }
        }
        if let p = layout.existingStage1Model {
            stage1ModelPath = p
            do {
                let (model, side) = try Stage1Checkpoint.load(path: p)
                stage1Sidecar = side
                if let d = dataset {
                    if d.targetLabels == side.cellTypes && d.sequenceLength == model.architecture.sequenceLength {
                        log("report: scoring \(d.testIn.count) test sequences with the stage-1 model")
                        let probs = model.probabilities(d.testIn, threads: options.threads)
                        let N = d.cellTypeCount, n = d.testIn.count
                        var labels = [[UInt8]](repeating: [], count: N), scores = [[Float]](repeating: [], count: N)
                        for c in 0..<N {
                            labels[c] = (0..<n).map { d.testOut[$0, c] }
                            scores[c] = (0..<n).map { probs[$0 * N + c] }
                        }
                        stage1 = Stage1Scores(cellTypes: d.targetLabels, labels: labels, scores: scores,
                                              report: MultiLabelReport(labels: d.testOut.values, probabilities: probs, cellTypes: d.targetLabels))
                    } else {
                        stage1Error = "the stage-1 model's cell types or sequence length differ from \(layout.h5)"
                    }
                }
            } catch { stage1Error = "\(error)" }
        }
        struct MetricsDoc: Decodable { var test: MultiLabelReport? }
        for p in [layout.stage1Metrics, layout.stage1PlainMetrics] {
            if let m = RunFiles.json(MetricsDoc.self, p)?.test { stage1MetricsReport = m; break }
        }
        signature = RunFiles.json(SignatureResult.self, layout.signatureJSON)
        if RunFiles.exists(layout.stage2Model), let d = dataset {
            do {
                let (m2, side2) = try Stage2Checkpoint.load(path: layout.stage2Model)
                stage2Sidecar = side2
                if side2.cellTypes == d.targetLabels {
                    log("report: stage-2 predictions (told and not told) on the test set")
                    stage2Predictions = Stage2Training.predict(m2, sequences: d.testIn, labels: d.testOut, rows: Array(0..<d.testIn.count),
                                                               cellTypes: d.targetLabels, encoding: side2.hyperparameters.encoding,
                                                               seed: side2.hyperparameters.seed, threads: options.threads)
                } else { stage2Error = "the stage-2 model's cell types differ from \(layout.h5)" }
            } catch { stage2Error = "\(error)" }
        }
        motifs = RunFiles.json(MotifReport.self, layout.motifsJSON)
        cellTypes = dataset?.targetLabels ?? stage1Sidecar?.cellTypes ?? activity?.cellTypes
            ?? stage1MetricsReport?.cellTypes ?? signature?.cellTypes ?? motifs?.cellTypes ?? []
    }

    func color(_ cellType: String) -> String {
        ReportPalette.color(cellTypes.firstIndex(of: cellType) ?? cellTypes.count)
    }

    func swatch(_ cellType: String) -> String {
        "<span class=\"swatch\" style=\"background:\(color(cellType))\"></span>\(ReportFormat.escape(cellType))"
    }

    mutating func nextID(_ prefix: String) -> String { figureCounter += 1; return "\(prefix)\(figureCounter)" }

    var stage1Report: MultiLabelReport? { stage1?.report ?? stage1MetricsReport }

    // MARK: - Rendering

    mutating func render() -> String {
        let title = "\(layout.tf) · \(layout.ab)"
        var page = HTMLPage(title: "sigtfb report — \(title)")
        let header = headerHTML()
        pipelineSection(&page)
        dataSection(&page)
        tuningSection(&page)
        stage1Section(&page)
        signatureSection(&page)
        motifSection(&page)
        let stamp = ISO8601DateFormatter().string(from: Date())
        let footer = "Generated by sigtfb \(SigTFBVersion.current) on \(stamp) from <code>\(ReportFormat.escape(layout.directory))</code>. "
            + "This page is self-contained: no scripts, fonts or images are loaded from anywhere."
        return page.render(header: header, footer: footer)
    }

    // MARK: Summary box

    func headerHTML() -> String {
        var s = "<header class=\"top\"><h1>\(ReportFormat.escape(layout.tf)) <span style=\"color:#9aa5b1\">·</span> \(ReportFormat.escape(layout.ab))</h1>"
        s += "<p class=\"sub\">Cell-type specific DNA signature of transcription-factor binding — sigtfb run report</p></header>"
        func cell(_ k: String, _ v: String, wide: Bool = false) -> String {
            "<div\(wide ? " class=\"wide\"" : "")><span class=\"k\">\(k)</span><span class=\"v\">\(v)</span></div>"
        }
        var cells: [String] = []
        cells.append(cell("Transcription factor", ReportFormat.escape(layout.tf)))
        cells.append(cell("Antibody", ReportFormat.escape(layout.ab)))
        let ctHTML = cellTypes.isEmpty ? "—" : cellTypes.map { "<span style=\"white-space:nowrap\">\(swatch($0))</span>" }.joined(separator: " &nbsp;")
        cells.append(cell("Cell types (\(cellTypes.count))", "<span style=\"font-size:15px;font-weight:500\">\(ctHTML)</span>", wide: true))
        let nPeaks: String = {
            if let a = activity { return ReportFormat.count(a.rows.count) }
            if let d = dataset { return ReportFormat.count(d.trainIn.count + (d.validIn?.count ?? 0) + d.testIn.count) }
            return "—"
        }()
        let split = dataset.map { " <small>\(ReportFormat.count($0.trainIn.count)) train · \(ReportFormat.count($0.testIn.count)) test</small>" } ?? ""
        cells.append(cell("Peaks (merged regions)", nPeaks + split, wide: true))
        cells.append(cell("Stage 1 macro AUROC (test)", ReportFormat.metric(stage1Report?.macro.auroc)
                          + (stage1Report?.macro.auprc).map { " <small>AUPRC \(ReportFormat.metric($0))</small>" }.orEmpty))
        if let sig = signature {
            let m = sig.macro
            cells.append(cell("Signature ΔAUROC", ReportFormat.signed(m.deltaAUROC)
                              + " <small>[\(ReportFormat.signed(m.ci[0])), \(ReportFormat.signed(m.ci[1]))]</small>"))
            cells.append(cell("Signature p-value", ReportFormat.pValue(m.pValue)))
        } else {
            cells.append(cell("Signature ΔAUROC", "<small>stage 2 not run</small>"))
            cells.append(cell("Signature p-value", "—"))
        }
        if let mo = motifs, let top = mo.influenceRanking.first, top < mo.filters.count {
            let f = mo.filters[top]
            let m = f.matches.first.flatMap { $0.q < 0.05 ? "\(ReportFormat.escape($0.name)) <small>\(ReportFormat.escape($0.id))</small>" : nil }
                ?? "<small>no significant database match</small>"
            cells.append(cell("Most influential filter", "#\(top) " + m, wide: true))
        } else {
            cells.append(cell("Most influential filter", "<small>motif analysis not run</small>", wide: true))
        }
        let steps = stepStatuses()
        let done = steps.filter { $0.status == .done || $0.status == .upToDate }.count
        cells.append(cell("Pipeline steps", "\(done) / \(steps.count) <small>complete</small>"))
        s += "<div class=\"summary\">" + cells.joined() + "</div>"
        if let sig = signature { s += "<div class=\"verdict\">\(verdict(sig))</div>" }
        return s
    }

    func verdict(_ sig: SignatureResult) -> String {
        let m = sig.macro
        let ciExcludes0 = m.ci[0] > 0 || m.ci[1] < 0
        let what = "Telling the stage-2 model the cell type changes the macro test AUROC from \(ReportFormat.metric(m.aurocNotTold)) "
            + "to \(ReportFormat.metric(m.aurocTold)) (ΔAUROC \(ReportFormat.signed(m.deltaAUROC)), 95 % CI "
            + "\(ReportFormat.signed(m.ci[0])) to \(ReportFormat.signed(m.ci[1])), p = \(ReportFormat.pValue(m.pValue))). "
        if m.pValue < 0.05 && m.deltaAUROC > 0 && ciExcludes0 {
            return what + "<strong>\(ReportFormat.escape(sig.tf))·\(ReportFormat.escape(sig.ab)) has a cell-type specific DNA signature.</strong>"
        }
        if m.pValue < 0.05 && m.deltaAUROC > 0 {
            return what + "<strong>Evidence of a cell-type specific signature</strong> (the bootstrap interval touches 0)."
        }
        return what + "<strong>No evidence of a cell-type specific signature</strong> at the 5 % level."
    }

    // MARK: Pipeline

    struct StepView { var name: String; var description: String; var status: RunManifest.Step.Status; var seconds: Double?; var message: String? }

    /// Steps from run.json, or inferred from the files when there is none.
    func stepStatuses() -> [StepView] {
        if let m = manifest {
            return m.steps.map { StepView(name: $0.name, description: $0.description, status: $0.status, seconds: $0.seconds, message: $0.message) }
        }
        func st(_ ok: Bool) -> RunManifest.Step.Status { ok ? .done : .pending }
        return [
            StepView(name: "preprocess", description: "peaks + genome → HDF5", status: st(RunFiles.exists(layout.h5)), seconds: nil, message: nil),
            StepView(name: "stage1", description: "stage-1 CNN", status: st(stage1ModelPath != nil), seconds: nil, message: nil),
            StepView(name: "stage2", description: "stage 2 + signature", status: st(RunFiles.exists(layout.signatureJSON)), seconds: nil, message: nil),
            StepView(name: "motifs", description: "filter motifs + influence", status: st(RunFiles.exists(layout.motifsJSON)), seconds: nil, message: nil),
        ]
    }

    func badge(_ s: RunManifest.Step.Status) -> String {
        switch s {
        case .done: return "<span class=\"badge b-done\">done</span>"
        case .upToDate: return "<span class=\"badge b-skipped\">up to date</span>"
        case .notAvailable: return "<span class=\"badge b-na\">not available</span>"
        case .failed: return "<span class=\"badge b-failed\">failed</span>"
        case .pending: return "<span class=\"badge b-pending\">not run yet</span>"
        }
    }

    mutating func pipelineSection(_ page: inout HTMLPage) {
        page.section(id: "pipeline", title: "Pipeline",
                     lead: manifest == nil ? "No <code>run.json</code> in this directory: step status inferred from the files present."
                         : "Steps of <code>sigtfb run</code> (from <code>run.json</code>, updated \(ReportFormat.escape(manifest!.updated))). A step whose outputs are newer than its inputs is not rerun.")
        let rows = stepStatuses().map { s in
            [ReportFormat.escape(s.name), ReportFormat.escape(s.description), badge(s.status), ReportFormat.duration(s.seconds),
             ReportFormat.escape(s.message ?? "")]
        }
        page.table(header: ["Step", "What", "Status", "Time", "Note"], rows: rows, numeric: [3], cssClass: "data steps")
        page.endSection()
    }

    // MARK: Data

    mutating func dataSection(_ page: inout HTMLPage) {
        page.section(id: "data", title: "Data",
                     lead: "Peaks of every cell type merged into regions as Basset does; a region is a positive for each cell type whose peaks it overlaps.")
        var rows: [[UInt8]] = []
        var names: [String] = []
        var source = ""
        if let a = activity { rows = a.rows; names = a.cellTypes; source = "the activity table <code>\(ReportFormat.escape((layout.activity as NSString).lastPathComponent))</code>" }
        else if let d = dataset {
            names = d.targetLabels
            let N = d.cellTypeCount
            for m in [d.trainOut, d.validOut, d.testOut].compactMap({ $0 }) {
                let v = m.values
                for r in 0..<(v.count / max(N, 1)) { rows.append(Array(v[(r * N)..<((r + 1) * N)])) }
            }
            source = "the labels of the HDF5 file"
        }
        guard !rows.isEmpty, !names.isEmpty else {
            page.notRun("Preprocessing has not run: no <code>data/\(ReportFormat.escape(layout.tf)).\(ReportFormat.escape(layout.ab))_act.txt</code> or HDF5 file."
                        + (datasetError.map { " (" + ReportFormat.escape($0) + ")" } ?? ""))
            page.endSection(); return
        }
        let N = names.count
        var perCell = [Int](repeating: 0, count: N), unique = [Int](repeating: 0, count: N)
        var overlap = [[Double]](repeating: [Double](repeating: 0, count: N), count: N)
        var byK = [Int](repeating: 0, count: N + 1)
        for r in rows {
            let k = r.reduce(0) { $0 + Int($1) }
            byK[k] += 1
            for i in 0..<N where r[i] != 0 {
                perCell[i] += 1
                if k == 1 { unique[i] += 1 }
                for j in 0..<N where r[j] != 0 { overlap[i][j] += 1 }
            }
        }
        page.paragraph("\(ReportFormat.count(rows.count)) regions from \(source)"
                       + (dataset.map { "; \(ReportFormat.count($0.trainIn.count)) for training, \(ReportFormat.count($0.testIn.count)) held out for testing, \($0.sequenceLength) bp each" } ?? "") + ".")
        var tableRows: [[String]] = []
        for i in 0..<N {
            var r = [swatch(names[i]), ReportFormat.count(perCell[i]),
                     String(format: "%.1f %%", 100 * Double(perCell[i]) / Double(rows.count)),
                     ReportFormat.count(unique[i]),
                     String(format: "%.1f %%", perCell[i] > 0 ? 100 * Double(unique[i]) / Double(perCell[i]) : 0)]
            if let d = dataset, let c = d.targetLabels.firstIndex(of: names[i]) {
                var tr = 0, te = 0
                for x in 0..<d.trainIn.count where d.trainOut[x, c] != 0 { tr += 1 }
                for x in 0..<d.testIn.count where d.testOut[x, c] != 0 { te += 1 }
                r += [ReportFormat.count(tr), ReportFormat.count(te)]
            }
            tableRows.append(r)
        }
        if !rawPeaks.isEmpty {
            for i in 0..<N { tableRows[i].insert(rawPeaks[names[i]].map { ReportFormat.count($0) } ?? "—", at: 1) }
        }
        var header = ["Cell type"] + (rawPeaks.isEmpty ? [] : ["Peaks (input)"]) + ["Regions bound", "of all", "Only this cell type", "share specific"]
        if dataset != nil { header += ["Train positives", "Test positives"] }
        page.table(header: header, rows: tableRows, numeric: Set(1..<header.count))
        let bars = BarChart(title: "Bound regions per cell type", labels: names, values: perCell.map(Double.init),
                            colors: names.map { color($0) }, xLabel: "regions", valueLabels: perCell.map { ReportFormat.count($0) })
        var heat = Heatmap(title: "Overlap (regions bound in both)", rowLabels: names, columnLabels: names, values: overlap)
        heat.valueFormat = { String(Int($0.rounded())) }
        heat.colorBarLabel = "regions"
        heat.columnColors = names.map { color($0) }
        heat.cellWidth = max(54, min(80, 360 / Double(N)))
        let kLabels = (1...N).map { $0 == 1 ? "1 cell type" : "\($0) cell types" }
        let kBars = BarChart(title: "Regions by number of cell types bound", labels: kLabels, values: (1...N).map { Double(byK[$0]) },
                             colors: (1...N).map { _ in ReportPalette.accent }, xLabel: "regions",
                             valueLabels: (1...N).map { ReportFormat.count(byK[$0]) })
        page.figures([(bars.svg(), nil),
                      (heat.svg(), "Diagonal: regions bound in the cell type; off-diagonal: regions bound in both."),
                      (kBars.svg(), "Regions bound in every cell type carry no cell-type information; specific ones do.")])
        page.endSection()
    }

    // MARK: Tuning and training curves

    mutating func tuningSection(_ page: inout HTMLPage) {
        page.section(id: "tuning", title: "Tuning and training",
                     lead: "Bayesian optimisation of each stage's hyperparameters: the validation objective of every trial and the best so far; the learning curves of the trials.")
        var any = false
        var ineligibleTrials: [Int: Set<Int>] = [:]
        for (stage, dir) in [(1, layout.stage1Directory), (2, layout.stage2Directory)] {
            page.heading("Stage \(stage)")
            let df = RunFiles.csv((dir as NSString).appendingPathComponent("dataframe.csv"))
            let hp = RunFiles.keyValues((dir as NSString).appendingPathComponent("hyperparameters.txt"))
            var figs: [(svg: String, caption: String?)] = []
            var objectiveName = "objective"
            if let hp, let first = hp.first { objectiveName = "validation " + first.0.uppercased() }
            if let df, let vi = df.header.firstIndex(of: "value"), let ti = df.header.firstIndex(of: "trial_index") {
                let mi = df.header.firstIndex(of: "method")
                // Stage 2: a cell-type blind trial is plotted at its own validation value, apart, and
                // is not part of "best so far" (it cannot be selected; the tuner saw a worse value).
                let ownI = df.header.firstIndex(of: "trial_validation"), neI = df.header.firstIndex(of: "not_eligible")
                var byMethod: [String: [(x: Double, y: Double)]] = [:]
                var best: [(x: Double, y: Double)] = []
                var failed = 0, trialCount = 0
                for r in df.rows where r.count > max(vi, ti) {
                    guard let t = Double(r[ti]), var v = Double(r[vi]) else { failed += 1; continue }
                    trialCount += 1
                    if let oi = ownI, oi < r.count, let own = Double(r[oi]) { v = own }
                    if let ni = neI, ni < r.count, !r[ni].isEmpty {
                        ineligibleTrials[stage, default: []].insert(Int(t))
                        byMethod["not eligible", default: []].append((t + 1, v))
                        best.append((t + 1, best.last?.y ?? -.infinity))
                        continue
                    }
                    let method = mi.flatMap { $0 < r.count ? r[$0] : nil } ?? "trial"
                    byMethod[method, default: []].append((t + 1, v))
                    best.append((t + 1, max(best.last?.y ?? -.infinity, v)))
                }
                best = best.filter { $0.y.isFinite }
                if trialCount > 0 {
                    any = true
                    var series: [ChartSeries] = [ChartSeries(name: "best so far", points: best, color: ReportPalette.accent, lineWidth: 2.5, step: true)]
                    // Initial design (centre, Sobol) in grey, model-guided trials (GP + acquisition) in red.
                    var initial: [(x: Double, y: Double)] = [], guided: [(x: Double, y: Double)] = []
                    var blind: [(x: Double, y: Double)] = []
                    for (m, pts) in byMethod {
                        if m == "not eligible" { blind += pts }
                        else if ["center", "sobol", "random", "trial", "given"].contains(m.lowercased()) { initial += pts } else { guided += pts }
                    }
                    if !initial.isEmpty { series.append(ChartSeries(name: "trial: initial design", points: initial.sorted { $0.x < $1.x }, color: "#7b8794", scatterOnly: true)) }
                    if !guided.isEmpty { series.append(ChartSeries(name: "trial: Bayesian optimisation", points: guided.sorted { $0.x < $1.x }, color: "#e15759", scatterOnly: true)) }
                    if !blind.isEmpty { series.append(ChartSeries(name: "trial: cell-type blind (not eligible)", points: blind.sorted { $0.x < $1.x }, color: "#f2b134", scatterOnly: true)) }
                    var chart = LineChart(title: "Stage \(stage): objective per trial", xLabel: "trial", yLabel: objectiveName, series: series)
                    chart.integerX = true; chart.xRange = (0.5, Double(trialCount + failed) + 0.5); chart.id = nextID("clip")
                    let blindCount = ineligibleTrials[stage]?.count ?? 0
                    figs.append((chart.svg(), "\(trialCount) trials\(failed > 0 ? ", \(failed) failed" : "")"
                                 + (blindCount > 0 ? ", \(blindCount) cell-type blind (told = not told; not eligible as best)" : "")
                                 + "; best \(ReportFormat.metric(best.last?.y))."))
                }
            }
            if let curves = RunFiles.json(CurveStoreView.self, (dir as NSString).appendingPathComponent("curves.json")), !curves.curves.isEmpty {
                let ordered = curves.curves.compactMap { (k, v) in Int(k).map { ($0, v) } }.sorted { $0.0 < $1.0 }
                let eligible = ordered.filter { !(ineligibleTrials[stage]?.contains($0.0) ?? false) }
                let bestTrial = (eligible.isEmpty ? ordered : eligible).max { ($0.1.last ?? -1) < ($1.1.last ?? -1) }?.0
                var series: [ChartSeries] = []
                for (t, c) in ordered where t != bestTrial {
                    series.append(ChartSeries(name: "trial \(t + 1)", points: c.enumerated().map { (Double($0.offset + 1), $0.element) },
                                              color: "#9aa5b1", lineWidth: 1.2, hideInLegend: true, opacity: 0.8))
                }
                if let bt = bestTrial, let c = curves.curves[String(bt)] {
                    series.append(ChartSeries(name: "best trial (\(bt + 1))", points: c.enumerated().map { (Double($0.offset + 1), $0.element) },
                                              color: ReportPalette.accent, lineWidth: 2.5))
                    series.append(ChartSeries(name: "other trials", points: [], color: "#9aa5b1", lineWidth: 1.2))
                }
                var chart = LineChart(title: "Stage \(stage): learning curves", xLabel: "epoch", yLabel: "\(objectiveName) (best so far)", series: series)
                chart.integerX = true; chart.id = nextID("clip")
                figs.append((chart.svg(), "Each trial's best validation objective after each epoch; trials stopped early end sooner."))
                any = true
            }
            if stage == 1, let ep = RunFiles.csv(layout.stage1Epochs), let ei = ep.header.firstIndex(of: "epoch") {
                func col(_ name: String) -> [(x: Double, y: Double)] {
                    guard let i = ep.header.firstIndex(of: name) else { return [] }
                    return ep.rows.compactMap { r in
                        guard r.count > max(i, ei), let x = Double(r[ei]), let y = Double(r[i]) else { return nil }
                        return (x, y)
                    }
                }
                var loss = LineChart(title: "Stage 1: loss", xLabel: "epoch", yLabel: "loss",
                                     series: [ChartSeries(name: "training", points: col("train_loss"), color: ReportPalette.accent),
                                              ChartSeries(name: "validation", points: col("validation_loss"), color: "#e15759")])
                loss.integerX = true; loss.id = nextID("clip")
                var met = LineChart(title: "Stage 1: validation metrics", xLabel: "epoch", yLabel: "macro metric",
                                    series: [ChartSeries(name: "AUROC", points: col("validation_auroc"), color: ReportPalette.accent),
                                             ChartSeries(name: "AUPRC", points: col("validation_auprc"), color: "#59a14f")])
                met.integerX = true; met.id = nextID("clip")
                figs.append((loss.svg(), "Training curves of the stage-1 model (<code>epochs.csv</code>)."))
                figs.append((met.svg(), nil))
                any = true
            }
            if !figs.isEmpty { page.figures(figs) }
            if let hp, hp.count > 1 {
                let rows = hp.dropFirst().map { [ReportFormat.escape($0.0), ReportFormat.escape(Self.prettyValue($0.1))] }
                page.raw("<details open><summary style=\"cursor:pointer;color:#616e7c\">Best hyperparameters (validation \(ReportFormat.escape(hp[0].0.lowercased())) \(ReportFormat.escape(Self.prettyValue(hp[0].1))))</summary>")
                page.table(header: ["Hyperparameter", "Value"], rows: Array(rows), numeric: [1])
                page.raw("</details>")
            } else if stage == 1, let side = stage1Sidecar, let h = side.hyperparameters {
                page.table(header: ["Hyperparameter", "Value"], rows: [
                    ["channels", String(h.channels)], ["batch size", String(h.batchSize)], ["epochs", String(h.epochs)],
                    ["learning rate", ReportFormat.number(h.learningRate)], ["weight decay", ReportFormat.number(h.weightDecay)],
                    ["sampler", h.sampler.rawValue], ["loss", h.loss.rawValue]], numeric: [1])
            }
            if figs.isEmpty && hp == nil {
                if stage == 1 && stage1ModelPath != nil {
                    page.paragraph("The stage-1 model was trained with fixed hyperparameters; no tuning trace.", cssClass: "lead")
                } else {
                    page.notRun("Stage \(stage) tuning has not run: no <code>stage\(stage)/dataframe.csv</code>.")
                }
            }
        }
        _ = any
        page.endSection()
    }

    /// A consensus worth showing: not mostly N.
    static func informative(_ consensus: String) -> Bool {
        let n = consensus.filter { $0 == "N" || $0 == "n" }.count
        return consensus.count - n >= 4 && Double(n) < 0.5 * Double(consensus.count)
    }

    static func prettyValue(_ s: String) -> String {
        if let d = Double(s), !s.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) {
            if d == d.rounded() && abs(d) < 1e6 && !s.contains("e") { return String(Int(d)) }
            return ReportFormat.number(d)
        }
        return s
    }

    // MARK: Stage 1

    mutating func stage1Section(_ page: inout HTMLPage) {
        page.section(id: "stage1", title: "Stage 1: binding in each cell type",
                     lead: "The multi-label CNN predicts, for each cell type, whether a region is bound. Metrics on the held-out test set.")
        guard let report = stage1Report else {
            page.notRun("Stage 1 has not run: no model under <code>stage1/</code>." + (stage1Error.map { " (" + ReportFormat.escape($0) + ")" } ?? ""))
            page.endSection(); return
        }
        let rows = report.cellTypes.map { name -> [String] in
            let c = report.perCellType[name]
            return [swatch(name), ReportFormat.metric(c?.auroc), ReportFormat.metric(c?.auprc),
                    c.map { ReportFormat.count($0.positives) } ?? "—", c.map { ReportFormat.count($0.negatives) } ?? "—",
                    ReportFormat.metric(c?.accuracy), ReportFormat.metric(c?.f1)]
        }
        page.table(header: ["Cell type", "AUROC", "AUPRC", "Positives", "Negatives", "Accuracy", "F1"], rows: rows,
                   numeric: [1, 2, 3, 4, 5, 6],
                   footer: [["Macro", ReportFormat.metric(report.macro.auroc), ReportFormat.metric(report.macro.auprc), "", "",
                             ReportFormat.metric(report.macro.accuracy), ReportFormat.metric(report.macro.f1)]])
        page.paragraph("Hamming score \(ReportFormat.metric(report.hammingScore)); exact match \(ReportFormat.metric(report.exactMatch)); \(ReportFormat.count(report.count)) test sequences.", cssClass: "lead")
        if let s = stage1 {
            var roc: [ChartSeries] = [], pr: [ChartSeries] = []
            for (c, name) in s.cellTypes.enumerated() {
                let auc = report.perCellType[name]?.auroc, ap = report.perCellType[name]?.auprc
                roc.append(ChartSeries(name: "\(name) (\(ReportFormat.metric(auc)))", points: Curves.thin(Curves.roc(labels: s.labels[c], scores: s.scores[c]), maximum: options.maxCurvePoints), color: color(name)))
                pr.append(ChartSeries(name: "\(name) (\(ReportFormat.metric(ap)))", points: Curves.thin(Curves.precisionRecall(labels: s.labels[c], scores: s.scores[c]), maximum: options.maxCurvePoints), color: color(name)))
                let prev = Double(s.labels[c].reduce(0) { $0 + Int($1) }) / Double(max(1, s.labels[c].count))
                pr.append(ChartSeries(name: "", points: [(0, prev), (1, prev)], color: color(name), dashed: true, lineWidth: 1, hideInLegend: true, opacity: 0.6))
            }
            var rc = LineChart(title: "ROC (test set)", xLabel: "false positive rate", yLabel: "true positive rate", series: roc)
            rc.xRange = (0, 1); rc.yRange = (0, 1); rc.diagonal = true; rc.square = true; rc.width = 400; rc.height = 400; rc.id = nextID("clip")
            var pc = LineChart(title: "Precision–recall (test set)", xLabel: "recall", yLabel: "precision", series: pr)
            pc.xRange = (0, 1); pc.yRange = (0, 1.02); pc.square = true; pc.width = 400; pc.height = 400; pc.id = nextID("clip")
            page.figures([(rc.svg(), "Legend: cell type (AUROC). Dashed: chance."),
                          (pc.svg(), "Legend: cell type (AUPRC). Dashed: each cell type's fraction of positives (chance).")])
        } else {
            page.notRun("ROC and PR curves need the stage-1 model and the HDF5 test set." + (stage1Error.map { " (" + ReportFormat.escape($0) + ")" } ?? ""))
        }
        page.endSection()
    }

    // MARK: Stage 2 and signature

    mutating func signatureSection(_ page: inout HTMLPage) {
        page.section(id: "signature", title: "Stage 2 and the signature",
                     lead: "Stage 2 predicts binding of a region in a cell type, told which cell type (one-hot) or not (zeros). "
                        + "The signature is ΔAUROC = AUROC(told) − AUROC(not told) on the test set: the DNA carries cell-type specific information only if telling helps.")
        guard signature != nil || stage2Predictions != nil else {
            page.notRun("Stage 2 has not run: no <code>stage2/\(ReportFormat.escape(layout.tf))/\(ReportFormat.escape(layout.ab))/signature.json</code>."
                        + (stage2Error.map { " (" + ReportFormat.escape($0) + ")" } ?? ""))
            page.endSection(); return
        }
        if let a = stage2Sidecar?.architecture {
            page.paragraph("Stage-2 model: " + ReportFormat.escape(a.headDescription) + ".")
        }
        if let sig = signature {
            var rows: [[String]] = []
            var forest: [ForestPlot.Row] = []
            for name in sig.cellTypes {
                guard let c = sig.perCellType[name] else { continue }
                rows.append([swatch(name), "\(ReportFormat.count(c.positives)) / \(ReportFormat.count(c.negatives))",
                             ReportFormat.metric(c.stage1AUROC), ReportFormat.metric(c.aurocNotTold), ReportFormat.metric(c.aurocTold),
                             "<strong>\(ReportFormat.signed(c.deltaAUROC))</strong>",
                             "\(ReportFormat.signed(c.ci[0])) to \(ReportFormat.signed(c.ci[1]))", ReportFormat.pValue(c.pValue)])
                forest.append(.init(label: name, estimate: c.deltaAUROC, low: c.ci[0], high: c.ci[1], color: color(name)))
            }
            let m = sig.macro
            forest.append(.init(label: "Macro", estimate: m.deltaAUROC, low: m.ci[0], high: m.ci[1], color: "#1f2933", bold: true))
            page.table(header: ["Cell type", "Pos / neg", "Stage 1 AUROC", "AUROC not told", "AUROC told", "ΔAUROC", "95 % CI", "p-value"],
                       rows: rows, numeric: [1, 2, 3, 4, 5, 6, 7],
                       footer: [["Macro (mean)", ReportFormat.count(sig.testSequences) + " seq.", "", ReportFormat.metric(m.aurocNotTold),
                                 ReportFormat.metric(m.aurocTold), ReportFormat.signed(m.deltaAUROC),
                                 "\(ReportFormat.signed(m.ci[0])) to \(ReportFormat.signed(m.ci[1]))", ReportFormat.pValue(m.pValue)]])
            let fp = ForestPlot(title: "ΔAUROC with 95 % bootstrap intervals", rows: forest, xLabel: "ΔAUROC (told − not told)")
            page.figures([(fp.svg(), "p-values: paired DeLong test per cell type; macro: DeLong on the mean difference with cross-cell-type covariances. Intervals: percentile bootstrap over test sequences (\(ReportFormat.count(m.bootstrapReplicates)) replicates).")])
            for w in sig.warnings { page.paragraph("⚠ " + ReportFormat.escape(w), cssClass: "lead") }
        } else {
            page.notRun("The stage-2 model exists but <code>signature.json</code> does not: the stage-2 step did not finish.")
        }
        if let p = stage2Predictions {
            var figs: [(svg: String, caption: String?)] = []
            for (c, name) in p.cellTypes.enumerated() {
                let y = p.labels[c]
                guard let at = Metrics.auroc(labels: y, scores: p.told[c]), let an = Metrics.auroc(labels: y, scores: p.notTold[c]) else { continue }
                let apT = Metrics.averagePrecision(labels: y, scores: p.told[c]), apN = Metrics.averagePrecision(labels: y, scores: p.notTold[c])
                var roc = LineChart(title: "\(name): ROC", xLabel: "false positive rate", yLabel: "true positive rate", series: [
                    ChartSeries(name: "told (\(ReportFormat.metric(at)))", points: Curves.thin(Curves.roc(labels: y, scores: p.told[c]), maximum: options.maxCurvePoints), color: color(name)),
                    ChartSeries(name: "not told (\(ReportFormat.metric(an)))", points: Curves.thin(Curves.roc(labels: y, scores: p.notTold[c]), maximum: options.maxCurvePoints), color: color(name), dashed: true, lineWidth: 1.6),
                ])
                roc.xRange = (0, 1); roc.yRange = (0, 1); roc.diagonal = true; roc.square = true; roc.width = 330; roc.height = 330; roc.id = nextID("clip")
                var pr = LineChart(title: "\(name): precision–recall", xLabel: "recall", yLabel: "precision", series: [
                    ChartSeries(name: "told (\(ReportFormat.metric(apT)))", points: Curves.thin(Curves.precisionRecall(labels: y, scores: p.told[c]), maximum: options.maxCurvePoints), color: color(name)),
                    ChartSeries(name: "not told (\(ReportFormat.metric(apN)))", points: Curves.thin(Curves.precisionRecall(labels: y, scores: p.notTold[c]), maximum: options.maxCurvePoints), color: color(name), dashed: true, lineWidth: 1.6),
                ])
                pr.xRange = (0, 1); pr.yRange = (0, 1.02); pr.square = true; pr.width = 330; pr.height = 330; pr.id = nextID("clip")
                figs.append((roc.svg(), nil)); figs.append((pr.svg(), nil))
            }
            if !figs.isEmpty {
                page.heading("Told vs not told, per cell type (test set)")
                page.figures(figs)
            }
        } else if let e = stage2Error {
            page.paragraph("Stage-2 curves unavailable: " + ReportFormat.escape(e), cssClass: "lead")
        }
        page.endSection()
    }

    // MARK: Motifs

    mutating func motifSection(_ page: inout HTMLPage) {
        page.section(id: "motifs", title: "Motifs behind the predictions",
                     lead: "Each first-layer filter as a position weight matrix built from the sequences that activate it, its best match in the motif database, and its influence: how much the predictions worsen when the filter is replaced by its mean output.")
        guard let mo = motifs else {
            page.notRun("The motif analysis has not run: no <code>motifs/motifs.json</code>.")
            page.endSection(); return
        }
        let names = mo.cellTypes
        let ranking = mo.influenceRanking.filter { $0 < mo.filters.count }
        let top = Array(ranking.prefix(options.heatmapFilters))
        let useLoss = mo.filters.first?.influence.deltaLoss != nil
        func rowLabel(_ i: Int) -> String {
            let f = mo.filters[i]
            if let m = f.matches.first, m.q < 0.05 { return "filter \(i) · \(m.name)" }
            return "filter \(i)" + (Self.informative(f.trimmedConsensus) ? " · \(f.trimmedConsensus.prefix(12))" : "")
        }
        let values = top.map { i -> [Double] in
            let inf = mo.filters[i].influence
            return names.map { n in (useLoss ? inf.deltaLoss?[n] : inf.meanAbsDeltaProbability[n]) ?? .nan }
        }
        page.paragraph("\(mo.filters.count) filters from \(ReportFormat.count(mo.sequences)) sequences (\(ReportFormat.escape(mo.split)) split); "
                       + "\(mo.filters.filter { ($0.matches.first?.q ?? 1) < 0.05 }.count) match a motif of \(ReportFormat.escape(mo.motifDatabase)) (\(ReportFormat.count(mo.databaseMotifs)) motifs) at q &lt; 0.05.")
        var figs: [(svg: String, caption: String?)] = []
        var heat = Heatmap(title: "Influence per cell type (top \(top.count) filters)", rowLabels: top.map(rowLabel), columnLabels: names, values: values)
        heat.scale = values.flatMap { $0 }.contains { $0 < 0 } ? .diverging : .sequential
        heat.valueFormat = { ReportFormat.number($0, significant: 2) }
        heat.colorBarLabel = useLoss ? "Δ loss when nullified" : "mean |Δp| when nullified"
        heat.columnColors = names.map { color($0) }
        heat.cellWidth = max(58, min(90, 420 / Double(max(1, names.count))))
        figs.append((heat.svg(), useLoss ? "Increase of the Basset loss on each cell type's labels when the filter is nullified: the filters the model relies on, per cell type."
                                       : "Mean absolute change of each cell type's predicted probability when the filter is nullified."))
        if let s2 = mo.influenceStage2 {
            let v2 = top.map { i in i < s2.changeOfDeltaAUROC.count ? s2.changeOfDeltaAUROC[i] : [Double](repeating: .nan, count: s2.cellTypes.count) }
            var h2 = Heatmap(title: "Effect on the signature (stage 2)", rowLabels: top.map(rowLabel), columnLabels: s2.cellTypes, values: v2)
            h2.scale = .diverging
            h2.valueFormat = { v in (v > 0 ? "+" : "") + ReportFormat.number(v, significant: 2) }
            h2.colorBarLabel = "change of ΔAUROC"
            h2.columnColors = s2.cellTypes.map { color($0) }
            h2.cellWidth = max(58, min(90, 420 / Double(max(1, s2.cellTypes.count))))
            figs.append((h2.svg(), "Change of each cell type's ΔAUROC (told − not told) when the filter is nullified; blue: the filter carries signature."))
        }
        page.figures(figs)
        // Cards.
        page.heading("Most influential filters")
        var cards = "<div class=\"cards\">"
        for (rank, i) in ranking.prefix(options.filterCards).enumerated() {
            let f = mo.filters[i]
            cards += "<div class=\"card\"><h4>#\(rank + 1) · filter \(i)</h4>"
            var meta = "\(ReportFormat.count(f.sites)) sites in \(ReportFormat.count(f.sequencesWithSite)) sequences · IC \(String(format: "%.1f", f.informationContent)) bits"
            if Self.informative(f.trimmedConsensus) { meta += " · <code>\(ReportFormat.escape(f.trimmedConsensus))</code>" }
            cards += "<div class=\"meta\">\(meta)</div>"
            if let m = f.matches.first {
                cards += "<div class=\"meta\">Best match: <strong>\(ReportFormat.escape(m.name))</strong> \(ReportFormat.escape(m.id)) (\(ReportFormat.escape(m.strand)) strand), q = \(ReportFormat.pValue(m.q))"
                    + (f.matches.count > 1 ? "; then " + f.matches.dropFirst().prefix(2).map { "\(ReportFormat.escape($0.name)) (q = \(ReportFormat.pValue($0.q)))" }.joined(separator: ", ") : "") + "</div>"
            } else {
                cards += "<div class=\"meta\">No database match.</div>"
            }
            cards += "<div class=\"logos\">"
            if let svg = RunFiles.inlineSVG((layout.motifsDirectory as NSString).appendingPathComponent("logos/filter_\(i).svg")) { cards += svg }
            if let svg = RunFiles.inlineSVG((layout.motifsDirectory as NSString).appendingPathComponent("logos/filter_\(i)_match.svg")) { cards += svg }
            cards += "</div>"
            let inf = f.influence
            let cellsHTML = names.map { n -> String in
                let v = useLoss ? inf.deltaLoss?[n] : inf.meanAbsDeltaProbability[n]
                return "<span style=\"white-space:nowrap;margin-right:10px\">\(swatch(n)) \(ReportFormat.number(v, significant: 2))</span>"
            }.joined()
            cards += "<div class=\"meta\" style=\"margin-top:4px\">\(useLoss ? "Δ loss" : "mean |Δp|"): \(cellsHTML)</div></div>"
        }
        cards += "</div>"
        page.raw(cards)
        page.endSection()
    }
}

/// `curves.json` of a tuning directory.
private struct CurveStoreView: Decodable { var curves: [String: [Double]] }

private extension Optional where Wrapped == String {
    var orEmpty: String { self ?? "" }
}
