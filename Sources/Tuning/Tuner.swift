import Foundation

/// Whether smaller or larger objective values are better.
public enum Direction: String, Codable, Sendable, CaseIterable {
    case minimize, maximize
}

/// Lifecycle of a trial.
public enum TrialStatus: String, Codable, Sendable {
    /// Suggested by `ask`, not yet reported.
    case pending
    /// Reported with a finite objective value.
    case completed
    /// Reported as failed (or with a NaN/Inf objective).
    case failed
}

/// Which generator produced a trial.
public enum GenerationMethod: String, Codable, Sendable {
    /// The centre of the search space (first initial trial by default).
    case center
    /// A scrambled Sobol point (initial design, or fallback when the model cannot be used).
    case sobol
    /// GP + log expected improvement.
    case gpLogEI = "gp-logei"
    /// GP + log noisy expected improvement (used when the fitted noise is material).
    case gpLogNEI = "gp-lognei"
    /// Given by the caller (`enqueue`), e.g. a configuration known to train, tried before the design.
    case given
}

/// One trial: its index, parameters and outcome.
public struct Trial: Codable, Equatable, Sendable {
    public let index: Int
    public let parameters: [String: ParameterValue]
    public internal(set) var status: TrialStatus
    public internal(set) var value: Double?
    public let method: GenerationMethod
    public internal(set) var failureReason: String?

    enum CodingKeys: String, CodingKey {
        case index = "trial_index", parameters, status, value, method, failureReason = "failure_reason"
    }
}

/// The best trial found so far, and the model's view of it.
public struct BestResult: Codable, Equatable, Sendable {
    /// The completed trial with the best observed value.
    public let observed: Trial
    /// The completed trial whose GP posterior mean is best (nil with fewer than 2 observations).
    public let predicted: Prediction?

    public struct Prediction: Codable, Equatable, Sendable {
        public let trialIndex: Int
        public let parameters: [String: ParameterValue]
        /// Posterior mean of the objective, original units.
        public let mean: Double
        /// Posterior standard deviation of the objective, original units.
        public let sd: Double
        enum CodingKeys: String, CodingKey { case trialIndex = "trial_index", parameters, mean, sd }
    }
}

/// The persistent state of a tuner (everything needed to resume exactly).
struct TunerState: Codable {
    var format = "sigtfb-tuner"
    var version = 1
    var space: SearchSpace
    var seed: UInt64
    var direction: Direction
    var initialTrials: Int
    var centerPoint: Bool
    /// Next index into the scrambled Sobol sequence of the initial design.
    var sobolIndex: Int
    var trials: [Trial]

    enum CodingKeys: String, CodingKey {
        case format, version, space, seed, direction, initialTrials = "initial_trials", centerPoint = "center_point"
        case sobolIndex = "sobol_index", trials
    }
}

/// Bayesian optimisation with an ask/tell interface and crash-safe persistent state.
///
/// Trials start with an initial design (the centre of the space, then scrambled Sobol points), then
/// come from a GP (Matérn-5/2 ARD, MAP hyperparameters) maximising log expected improvement. Pending
/// trials are handled by the Kriging believer, so `ask` can be called again before earlier trials are
/// told, or with `count > 1`. Every random choice derives from `seed`; when a `stateURL` is given the
/// whole state is written atomically after each change, and `Tuner.resume(stateURL:)` continues with
/// exactly the suggestions an uninterrupted run would make.
///
/// ```swift
/// let space = try SearchSpace(parameters: [
///     .range(name: "lr", low: 1e-6, high: 1e-3, logScale: true),
///     .range(name: "channels", low: 16, high: 128, valueType: .int),
///     .choice(name: "batch", values: [.int(64), .int(128)], ordered: true),
/// ])
/// let tuner = try Tuner(space: space, seed: 1, direction: .maximize, stateURL: url)
/// for trial in try tuner.ask(count: 2) { try tuner.tell(trial: trial.index, value: train(trial.parameters)) }
/// ```
public final class Tuner {
    private var state: TunerState
    /// Where the state is saved (nil: in memory only).
    public let stateURL: URL?
    /// Number of random restarts of the GP hyperparameter fit.
    public var fitRestarts = 6
    /// Whether the model sees power-transformed (Yeo–Johnson) outputs.
    public var outputWarping = true

    public var space: SearchSpace { state.space }
    public var seed: UInt64 { state.seed }
    public var direction: Direction { state.direction }
    public var initialTrials: Int { state.initialTrials }
    public var trials: [Trial] { state.trials }

    /// The default size of the initial design: small, so that most of a 15-trial budget is model-based.
    public static func defaultInitialTrials(for space: SearchSpace) -> Int {
        let d = space.parameters.filter { if case .fixed = $0 { return false }; return true }.count
        return max(3, min(d, 5))
    }

    /// Ax's rule for the number of Sobol trials: max(5, 2·d).
    public static func axInitialTrials(for space: SearchSpace) -> Int {
        let d = space.parameters.filter { if case .fixed = $0 { return false }; return true }.count
        return max(5, 2 * d)
    }

    /// Starts a new tuner (and writes its state if `stateURL` is given).
    /// - Parameters:
    ///   - initialTrials: size of the initial design (nil: `defaultInitialTrials(for:)`).
    ///   - centerPoint: whether the first initial trial is the centre of the space (else pure Sobol).
    public init(space: SearchSpace, seed: UInt64 = 0, direction: Direction = .minimize, initialTrials: Int? = nil,
                centerPoint: Bool = true, stateURL: URL? = nil) throws {
        let k = initialTrials ?? Tuner.defaultInitialTrials(for: space)
        guard k >= 1 else { throw TuningError.invalidRequest("initial trials must be at least 1 (got \(k))") }
        state = TunerState(space: space, seed: seed, direction: direction, initialTrials: k, centerPoint: centerPoint,
                           sobolIndex: 0, trials: [])
        self.stateURL = stateURL
        try save()
    }

    private init(state: TunerState, stateURL: URL?) {
        self.state = state
        self.stateURL = stateURL
    }

    /// Loads a tuner from its state file.
    /// - Throws: `TuningError.invalidState` naming the file and the offending field.
    public static func resume(stateURL: URL) throws -> Tuner {
        let data: Data
        do { data = try Data(contentsOf: stateURL) } catch {
            throw TuningError.invalidState("\(stateURL.path): cannot read the file")
        }
        return Tuner(state: try decodeState(data, source: stateURL.path), stateURL: stateURL)
    }

    /// Restores a tuner from state JSON (as written by `stateJSON()`), without a file.
    public static func restore(stateJSON data: Data) throws -> Tuner {
        Tuner(state: try decodeState(data, source: "state"), stateURL: nil)
    }

    static func decodeState(_ data: Data, source: String) throws -> TunerState {
        do {
            return try decodeStateFields(data, source: source)
        } catch TuningError.invalidState(let m) {
            // Parameter names and values are echoed from the file; JSON escapes can put line breaks in them.
            throw TuningError.invalidState(m.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n"))
        }
    }

    private static func decodeStateFields(_ data: Data, source: String) throws -> TunerState {
        let st: TunerState
        guard UTF8JSON.isUTF8(data) else { throw TuningError.invalidState("\(source): not UTF-8 text (JSON must be UTF-8)") }
        do {
            st = try UTF8JSON.decode(TunerState.self, from: data)
        } catch let e as TuningError {
            throw TuningError.invalidState("\(source): field 'space': \(e.description)")
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw TuningError.invalidState("\(source): field '\(path(ctx.codingPath + [key]))' is missing")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw TuningError.invalidState("\(source): field '\(path(ctx.codingPath))' has the wrong type")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw TuningError.invalidState("\(source): field '\(path(ctx.codingPath))' is null")
        } catch let DecodingError.dataCorrupted(ctx) {
            if ctx.codingPath.isEmpty { throw TuningError.invalidState("\(source): not valid JSON") }
            throw TuningError.invalidState("\(source): field '\(path(ctx.codingPath))' is invalid (\(ctx.debugDescription))")
        } catch {
            throw TuningError.invalidState("\(source): \(error)")
        }
        func bad(_ m: String) -> TuningError { TuningError.invalidState("\(source): \(m)") }
        guard st.format == "sigtfb-tuner" else { throw bad("field 'format' must be \"sigtfb-tuner\"") }
        guard st.version == 1 else { throw bad("field 'version' \(st.version) is not supported (expected 1)") }
        guard st.initialTrials >= 1 else { throw bad("field 'initial_trials' must be at least 1") }
        guard st.sobolIndex >= 0 else { throw bad("field 'sobol_index' must be >= 0") }
        var fixed = st
        for (i, t) in st.trials.enumerated() {
            guard t.index == i else { throw bad("field 'trials[\(i)].trial_index' is \(t.index), expected \(i)") }
            do { fixed.trials[i] = Trial(index: t.index, parameters: try st.space.validate(t.parameters), status: t.status,
                                         value: t.value, method: t.method, failureReason: t.failureReason) }
            catch let e as TuningError { throw bad("field 'trials[\(i)].parameters': \(e.description)") }
            switch t.status {
            case .completed:
                guard let v = t.value, v.isFinite else { throw bad("field 'trials[\(i)].value' must be a finite number for a completed trial") }
            case .pending, .failed:
                guard t.value == nil else { throw bad("field 'trials[\(i)].value' must be absent for a \(t.status.rawValue) trial") }
            }
        }
        return fixed
    }

    private static func path(_ keys: [CodingKey]) -> String {
        var s = ""
        for k in keys {
            if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : "." + k.stringValue }
        }
        return s
    }

    /// The state as JSON (sorted keys, pretty-printed).
    public func stateJSON() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try enc.encode(state)
    }

    /// Writes the state atomically: a temporary file in the same directory, then rename(2).
    public func save() throws {
        guard let url = stateURL else { return }
        let data = try stateJSON()
        try Tuner.atomicWrite(data, to: url)
    }

    static func atomicWrite(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: tmp)
        } catch {
            throw TuningError.io("\(url.path): cannot write the state (is \(dir.path) a writable directory?)")
        }
        if rename(tmp.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: tmp)
            throw TuningError.io("\(url.path): cannot replace the state file")
        }
    }

    /// Runs `body` on the tuner stored at `stateURL` while holding an exclusive lock
    /// (`<state>.lock`, flock(2)), so that several processes can tell results concurrently.
    public static func withLockedState<T>(_ stateURL: URL, _ body: (Tuner) throws -> T) throws -> T {
        let lockPath = stateURL.path + ".lock"
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o644)
        if fd >= 0 { _ = flock(fd, LOCK_EX) }
        defer { if fd >= 0 { _ = flock(fd, LOCK_UN); close(fd) } }
        let tuner = try resume(stateURL: stateURL)
        return try body(tuner)
    }

    // MARK: ask / tell

    /// Suggests `count` new trials (marked pending). Trials that are still pending are taken into
    /// account (Kriging believer), so parallel workers never get the same point.
    public func ask(count: Int = 1) throws -> [Trial] {
        guard count >= 1 else { throw TuningError.invalidRequest("count must be at least 1 (got \(count))") }
        var out = [Trial]()
        var model: ModelContext? = nil
        for _ in 0..<count {
            let t = try nextTrial(&model)
            state.trials.append(t)
            out.append(t)
        }
        try save()
        return out
    }

    /// Adds a trial with the given parameters (checked against the space; parameters not given, and
    /// fixed ones, take the centre's values; names not in the space are ignored), pending, and returns
    /// it. Enqueued before the first `ask`, it replaces the centre point; it does not count towards
    /// the initial design.
    @discardableResult
    public func enqueue(_ parameters: [String: ParameterValue]) throws -> Trial {
        var full = state.space.center()
        for p in state.space.parameters {
            if case .fixed = p { continue }
            if let v = parameters[p.name] { full[p.name] = v }
        }
        let p = try state.space.validate(full)
        let t = Trial(index: state.trials.count, parameters: p, status: .pending, value: nil, method: .given, failureReason: nil)
        state.trials.append(t)
        try save()
        return t
    }

    /// Reports the objective value of a pending trial. A NaN or infinite value marks the trial failed.
    public func tell(trial index: Int, value: Double) throws {
        try checkPending(index)
        if value.isFinite {
            state.trials[index].status = .completed
            state.trials[index].value = value
        } else {
            state.trials[index].status = .failed
            state.trials[index].failureReason = "non-finite objective value (\(value))"
        }
        try save()
    }

    /// Marks a pending trial failed (e.g. the training run crashed); it is never suggested again.
    public func fail(trial index: Int, reason: String = "failed") throws {
        try checkPending(index)
        state.trials[index].status = .failed
        state.trials[index].failureReason = reason
        try save()
    }

    private func checkPending(_ index: Int) throws {
        guard index >= 0 && index < state.trials.count else {
            throw TuningError.invalidRequest("trial \(index) does not exist (there are \(state.trials.count) trials)")
        }
        guard state.trials[index].status == .pending else {
            throw TuningError.invalidRequest("trial \(index) is already \(state.trials[index].status.rawValue)")
        }
    }

    // MARK: generation

    private var sign: Double { state.direction == .maximize ? 1 : -1 }

    private struct ModelContext {
        var gp: GaussianProcess
        var acquisition: Acquisition
        var method: GenerationMethod
        var anchors: [[Double]]
    }

    /// Encoded inputs and standardised outputs of the completed trials (larger = better).
    /// With `warp`, outputs are also passed through a fitted Yeo–Johnson power transform (monotone),
    /// which tames heavy tails of bad values (e.g. Branin) before the GP sees them.
    private func completedData(warp: Bool = false) throws -> (x: [[Double]], y: [Double], mean: Double, sd: Double) {
        let done = state.trials.filter { $0.status == .completed }
        let x = try done.map { try state.space.encode($0.parameters) }
        let raw = done.map { sign * $0.value! }
        let (z, mean, sd) = Tuner.standardize(raw)
        if warp && z.count >= 3 {
            let (w, _, _) = Tuner.standardize(PowerTransform.fitted(z))
            return (x, w, mean, sd)
        }
        return (x, z, mean, sd)
    }

    static func standardize(_ raw: [Double]) -> ([Double], Double, Double) {
        let mean = raw.reduce(0, +) / Double(max(raw.count, 1))
        var v = 0.0
        for r in raw { v += (r - mean) * (r - mean) }
        var sd = raw.count > 1 ? (v / Double(raw.count - 1)).squareRoot() : 1
        if !(sd > 1e-12) { sd = 1 }
        return (raw.map { ($0 - mean) / sd }, mean, sd)
    }

    private func nextTrial(_ model: inout ModelContext?) throws -> Trial {
        let index = state.trials.count
        let space = state.space
        let taken = try state.trials.map { try space.encode($0.parameters) }
        // Every parameter fixed: the one point there is.
        if space.encodedDimension == 0 {
            return Trial(index: index, parameters: space.center(), status: .pending, value: nil, method: .center, failureReason: nil)
        }
        let initialSoFar = state.trials.filter { $0.method == .center || $0.method == .sobol }.count
        let completed = state.trials.filter { $0.status == .completed }.count
        if initialSoFar < state.initialTrials || completed < 2 {
            if state.centerPoint && index == 0 {
                return Trial(index: index, parameters: space.center(), status: .pending, value: nil, method: .center, failureReason: nil)
            }
            return Trial(index: index, parameters: try sobolPoint(taken: taken), status: .pending, value: nil, method: .sobol, failureReason: nil)
        }
        if model == nil { model = try buildModel(index: index) }
        guard var m = model else { throw TuningError.numerical("no model") }
        // Kriging believer: condition on pending trials at their posterior mean.
        let pending = try state.trials.filter { $0.status == .pending }.map { try space.encode($0.parameters) }
        var gp = m.gp
        if !pending.isEmpty {
            let fantasy = m.gp.predict(pending).mean
            gp = try GaussianProcess(inputs: m.gp.inputs + pending, targets: m.gp.targets + fantasy, hyper: m.gp.hyper)
        }
        let acq = Acquisition(gp: gp, incumbents: m.acquisition.incumbents)
        let optimizer = AcquisitionOptimizer(space: space)
        let seed = Xoshiro256.derive(seed: state.seed, stream: 0xA5C, UInt64(index))
        if let x = optimizer.maximize(acq, anchors: m.anchors, taken: taken, seed: seed) {
            m.acquisition = acq
            model = m
            return Trial(index: index, parameters: space.decode(x), status: .pending, value: nil, method: m.method, failureReason: nil)
        }
        return Trial(index: index, parameters: try sobolPoint(taken: taken), status: .pending, value: nil, method: .sobol, failureReason: nil)
    }

    private func sobolPoint(taken: [[Double]]) throws -> [String: ParameterValue] {
        let space = state.space
        let sobol = try SobolSequence(dimension: space.encodedDimension, scrambleSeed: state.seed)
        for _ in 0..<4096 {
            let x = sobol.point(state.sobolIndex)
            state.sobolIndex += 1
            let p = space.decode(x)
            if !AcquisitionOptimizer.isDuplicate(try space.encode(p), taken) { return p }
        }
        // a tiny discrete space that is exhausted: any valid point
        return space.decode(sobol.point(state.sobolIndex))
    }

    private func buildModel(index: Int) throws -> ModelContext {
        let data = try completedData(warp: outputWarping)
        let fitSeed = Xoshiro256.derive(seed: state.seed, stream: 0xF17, UInt64(index))
        let gp = try GaussianProcess.fit(inputs: data.x, targets: data.y, restarts: fitRestarts, seed: fitSeed)
        if ProcessInfo.processInfo.environment["SIGTFB_TUNE_DEBUG"] != nil {
            FileHandle.standardError.write(Data("fit n=\(data.y.count) lengthscales=\(gp.hyper.logLengthscales.map { exp($0) }) signal=\(exp(gp.hyper.logSignalVariance)) noise=\(exp(gp.hyper.logNoiseVariance)) mean=\(gp.hyper.mean)\n".utf8))
        }
        let noisy = exp(gp.hyper.logNoiseVariance) > 0.01
        var incumbents = [data.y.max()!]
        if noisy {
            incumbents = try GaussianProcess.sampleMaxima(gp, count: 32, seed: fitSeed ^ 0x5A)
        }
        let order = data.y.indices.sorted { data.y[$0] > data.y[$1] }
        let anchors = order.prefix(3).map { data.x[$0] }
        return ModelContext(gp: gp, acquisition: Acquisition(gp: gp, incumbents: incumbents),
                            method: noisy ? .gpLogNEI : .gpLogEI, anchors: anchors)
    }

    // MARK: results

    /// The best completed trial, and the model's predicted best among the completed trials.
    /// Returns nil while no trial has completed.
    public func best() throws -> BestResult? {
        let done = state.trials.filter { $0.status == .completed }
        guard let obs = done.max(by: { sign * $0.value! < sign * $1.value! || (sign * $0.value! == sign * $1.value! && $0.index > $1.index) }) else {
            return nil
        }
        var pred: BestResult.Prediction? = nil
        if done.count >= 2 {
            let data = try completedData()
            let gp = try GaussianProcess.fit(inputs: data.x, targets: data.y, restarts: fitRestarts,
                                            seed: Xoshiro256.derive(seed: state.seed, stream: 0xBE57, UInt64(done.count)))
            let p = gp.predict(data.x)
            var bi = 0
            for i in 1..<done.count where p.mean[i] > p.mean[bi] { bi = i }
            let mean = sign * (p.mean[bi] * data.sd + data.mean)
            pred = .init(trialIndex: done[bi].index, parameters: done[bi].parameters, mean: mean,
                         sd: p.variance[bi].squareRoot() * data.sd)
        }
        return BestResult(observed: obs, predicted: pred)
    }

    /// All trials as CSV: trial_index, one column per parameter, value, status, method.
    public func csvTable() -> String {
        let names = state.space.parameters.map { $0.name }
        func quote(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines = [(["trial_index"] + names + ["value", "status", "method"]).map(quote).joined(separator: ",")]
        for t in state.trials {
            var row = [String(t.index)]
            row += names.map { t.parameters[$0]?.description ?? "" }
            row.append(t.value.map { "\($0)" } ?? "")
            row.append(t.status.rawValue)
            row.append(t.method.rawValue)
            lines.append(row.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension GaussianProcess {
    /// Draws `count` samples of max_i f(x_i) over the training inputs from the joint posterior.
    static func sampleMaxima(_ gp: GaussianProcess, count: Int, seed: UInt64) throws -> [Double] {
        let n = gp.inputs.count
        var kxx = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            kxx[j * n + i] = gp.signal * matern52(GaussianProcess.distance(gp.inputs[i], gp.inputs[j], gp.invLengthscales))
        } }
        var v = kxx
        gp.chol.solveLower(&v, nrhs: n)
        var cov = kxx
        for i in 0..<n { for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += v[i * n + k] * v[j * n + k] }
            cov[j * n + i] -= s
        } }
        let mean = gp.predict(gp.inputs).mean
        let ch = try Cholesky(cov, n: n)
        var rng = Xoshiro256(seed: seed, stream: 0x3A)
        var out = [Double]()
        for _ in 0..<count {
            let z = (0..<n).map { _ in rng.normal() }
            var best = -Double.infinity
            for i in 0..<n {
                var s = mean[i]
                for k in 0...i { s += ch.factor[k * n + i] * z[k] }
                best = max(best, s)
            }
            out.append(best)
        }
        return out
    }
}

/// Yeo–Johnson power transform with λ chosen by maximum likelihood on a grid (deterministic).
enum PowerTransform {
    static func apply(_ y: Double, _ l: Double) -> Double {
        if y >= 0 { return abs(l) < 1e-9 ? log1p(y) : (pow(y + 1, l) - 1) / l }
        return abs(l - 2) < 1e-9 ? -log1p(-y) : -(pow(1 - y, 2 - l) - 1) / (2 - l)
    }

    static func fitted(_ y: [Double]) -> [Double] {
        let n = Double(y.count)
        var bestL = 1.0, bestLL = -Double.infinity
        var jac = 0.0
        for v in y { jac += (v >= 0 ? 1 : -1) * log1p(abs(v)) }
        for k in 0...60 {
            let l = -0.5 + 0.05 * Double(k)
            let t = y.map { apply($0, l) }
            let m = t.reduce(0, +) / n
            var s = 0.0
            for v in t { s += (v - m) * (v - m) }
            let ll = -0.5 * n * log(max(s / n, 1e-300)) + (l - 1) * jac
            if ll > bestLL { bestLL = ll; bestL = l }
        }
        return y.map { apply($0, bestL) }
    }
}

