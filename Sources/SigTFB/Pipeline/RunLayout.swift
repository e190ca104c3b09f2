import Foundation
import Tuning

/// Where `sigtfb run` puts each step's files inside a run directory, and where `sigtfb report`
/// looks for them:
///
/// ```
/// DIR/run.json                         manifest: steps, status, timings
/// DIR/data/TF.AB.h5 .bed _act.txt      preprocess
/// DIR/stage1/                          hyperparameters.txt, dataframe.csv, tuning state, curves.json
/// DIR/stage1/TF/AB/TF.AB.safetensors   + .json sidecar, metrics.json
/// DIR/stage2/ …                        the same for stage 2, + TF/AB/signature.json, signature.tsv
/// DIR/motifs/                          filters.meme, filters.tsv, motifs.json, logos/, influence_*.tsv
/// DIR/report.html
/// ```
///
/// The report also reads a plain `sigtfb train-stage1` output (`stage1/model.safetensors`,
/// `stage1/metrics.json`, `stage1/epochs.csv`) in place of the tuned pipeline's.
public struct RunLayout: Sendable {
    public var directory: String
    public var tf: String
    public var ab: String

    public init(directory: String, tf: String, ab: String) {
        self.directory = directory; self.tf = tf; self.ab = ab
    }

    func path(_ parts: String...) -> String {
        parts.reduce(directory) { ($0 as NSString).appendingPathComponent($1) }
    }

    public var manifest: String { path("run.json") }
    public var dataDirectory: String { path("data") }
    public var h5: String { path("data", "\(tf).\(ab).h5") }
    public var bed: String { path("data", "\(tf).\(ab).bed") }
    public var activity: String { path("data", "\(tf).\(ab)_act.txt") }

    public var stage1Directory: String { path("stage1") }
    public var stage1ModelDirectory: String { path("stage1", tf, ab) }
    public var stage1Model: String { path("stage1", tf, ab, "\(tf).\(ab).safetensors") }
    public var stage1Metrics: String { path("stage1", tf, ab, "metrics.json") }
    /// `train-stage1`'s layout, read by the report when the tuned model is absent.
    public var stage1PlainModel: String { path("stage1", "model.safetensors") }
    public var stage1PlainMetrics: String { path("stage1", "metrics.json") }
    public var stage1Epochs: String { path("stage1", "epochs.csv") }

    public var stage2Directory: String { path("stage2") }
    public var stage2ModelDirectory: String { path("stage2", tf, ab) }
    public var stage2Model: String { path("stage2", tf, ab, "\(tf).\(ab).safetensors") }
    public var stage2Metrics: String { path("stage2", tf, ab, "metrics.json") }
    public var signatureJSON: String { path("stage2", tf, ab, "signature.json") }
    public var signatureTSV: String { path("stage2", tf, ab, "signature.tsv") }

    public var motifsDirectory: String { path("motifs") }
    public var motifsJSON: String { path("motifs", "motifs.json") }
    public var report: String { path("report.html") }

    /// The stage-1 model present: the tuned pipeline's, else `train-stage1`'s.
    public var existingStage1Model: String? {
        [stage1Model, stage1PlainModel].first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Finds TF and AB of an existing run directory: from `run.json`, else from `data/TF.AB.h5`,
    /// else from `stage1/TF/AB/`; nil when none is there.
    public static func discover(directory: String) -> RunLayout? {
        let fm = FileManager.default
        let manifestPath = (directory as NSString).appendingPathComponent("run.json")
        if let d = fm.contents(atPath: manifestPath),
           let m = try? UTF8JSON.decode(RunManifest.self, from: d), !m.tf.isEmpty, !m.ab.isEmpty {
            return RunLayout(directory: directory, tf: m.tf, ab: m.ab)
        }
        let data = (directory as NSString).appendingPathComponent("data")
        if let files = try? fm.contentsOfDirectory(atPath: data) {
            for f in files.sorted() where f.hasSuffix(".h5") {
                let stem = String(f.dropLast(3))
                if let dot = stem.firstIndex(of: ".") {
                    return RunLayout(directory: directory, tf: String(stem[..<dot]), ab: String(stem[stem.index(after: dot)...]))
                }
            }
        }
        for stage in ["stage1", "stage2"] {
            let s = (directory as NSString).appendingPathComponent(stage)
            for tf in ((try? fm.contentsOfDirectory(atPath: s)) ?? []).sorted() {
                let t = (s as NSString).appendingPathComponent(tf)
                for ab in ((try? fm.contentsOfDirectory(atPath: t)) ?? []).sorted()
                where fm.fileExists(atPath: ((t as NSString).appendingPathComponent(ab) as NSString).appendingPathComponent("\(tf).\(ab).safetensors")) {
                    return RunLayout(directory: directory, tf: tf, ab: ab)
                }
            }
        }
        return nil
    }

    /// TF and AB from a peaks directory: `…/TF/AB`, or `…/TF.AB`.
    public static func names(fromPeaksDirectory dir: String) -> (tf: String, ab: String)? {
        let url = URL(fileURLWithPath: dir).standardizedFileURL
        let last = url.lastPathComponent
        if let dot = last.firstIndex(of: "."), dot != last.startIndex, last.index(after: dot) != last.endIndex {
            return (String(last[..<dot]), String(last[last.index(after: dot)...]))
        }
        let parent = url.deletingLastPathComponent().lastPathComponent
        guard !last.isEmpty, !parent.isEmpty, parent != "/" else { return nil }
        return (parent, last)
    }
}

/// `run.json`: what `sigtfb run` did, step by step.
public struct RunManifest: Codable, Sendable {
    public struct Step: Codable, Sendable {
        public enum Status: String, Codable, Sendable {
            /// Ran in this invocation and succeeded.
            case done
            /// Outputs were newer than inputs (and the options the same): not rerun.
            case upToDate = "up-to-date"
            /// The step's implementation is not available in this build.
            case notAvailable = "not-available"
            case failed
            /// Not reached yet (an earlier step failed or the run was interrupted).
            case pending
        }
        public var name: String
        public var description: String
        public var status: Status
        public var seconds: Double?
        public var finished: String?
        public var outputs: [String]
        public var message: String?
        /// The options that produced the outputs (a change reruns the step).
        public var options: [String: String]?

        public init(name: String, description: String, status: Status, seconds: Double? = nil, finished: String? = nil,
                    outputs: [String] = [], message: String? = nil, options: [String: String]? = nil) {
            self.name = name; self.description = description; self.status = status; self.seconds = seconds
            self.finished = finished; self.outputs = outputs; self.message = message; self.options = options
        }
    }
    public var tf: String
    public var ab: String
    public var peaks: String?
    public var genome: String?
    public var sigtfbVersion: String
    public var updated: String
    public var steps: [Step]
    enum CodingKeys: String, CodingKey {
        case tf, ab, peaks, genome, sigtfbVersion = "sigtfb_version", updated, steps
    }

    public init(tf: String, ab: String, peaks: String?, genome: String?, steps: [Step]) {
        self.tf = tf; self.ab = ab; self.peaks = peaks; self.genome = genome
        self.sigtfbVersion = SigTFBVersion.current
        self.updated = ISO8601DateFormatter().string(from: Date())
        self.steps = steps
    }

    public static func load(_ path: String) -> RunManifest? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return try? UTF8JSON.decode(RunManifest.self, from: d)
    }
}
