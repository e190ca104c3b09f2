#if canImport(Glibc)
import Glibc
#endif

/// Expected-improvement helpers computed in log space, stable far into the tail
/// (the approach of Ament et al. 2023, "Unexpected improvements to expected improvement").
public enum LogEI {
    static let logSqrt2Pi = 0.5 * log(2 * Double.pi)

    /// log h(z) with h(z) = φ(z) + z Φ(z), so that EI = σ h((μ − best)/σ).
    /// Finite for every finite z: for z ≤ −1 it uses the scaled complementary error function,
    /// and for z ≤ −30 the asymptotic expansion h(z) ≈ φ(z)/z² (1 − 3/z² + 15/z⁴ − …).
    public static func logH(_ z: Double) -> Double {
        if z.isNaN { return .nan }
        if z > -1 {
            let cdf = 0.5 * erfc(-z / 2.0.squareRoot())
            let pdf = exp(-0.5 * z * z - logSqrt2Pi)
            return log(pdf + z * cdf)
        }
        let x = -z
        let logPdf = -0.5 * x * x - logSqrt2Pi
        if x < 30 {
            let t = x / 2.0.squareRoot()
            let erfcx = exp(t * t) * erfc(t)
            let w = x * (Double.pi / 2).squareRoot() * erfcx   // x Φ(−x)/φ(x) ∈ (0, 1)
            return logPdf + log1p(-w)
        }
        let u = 1 / (x * x)
        // 1 − 3u + 15u² − 105u³ + 945u⁴ − 10395u⁵ + 135135u⁶
        let series = -3 * u + 15 * u * u - 105 * u * u * u + 945 * pow(u, 4) - 10395 * pow(u, 5) + 135135 * pow(u, 6)
        return logPdf - 2 * log(x) + log1p(series)
    }

    /// log EI for a maximisation problem: log E[max(f − best, 0)], f ~ N(mean, sd²).
    public static func value(mean: Double, sd: Double, best: Double) -> Double {
        guard sd > 0 else { return mean > best ? log(mean - best) : -.infinity }
        return logH((mean - best) / sd) + log(sd)
    }

    /// log of the mean of exp(values), computed stably.
    static func logMeanExp(_ values: [Double]) -> Double {
        guard let m = values.max(), m.isFinite else { return values.max() ?? -.infinity }
        var s = 0.0
        for v in values { s += exp(v - m) }
        return m + log(s / Double(values.count))
    }
}

/// The acquisition function the tuner maximises: log EI against one incumbent (noise-free data) or
/// log noisy EI, averaging EI over joint posterior draws of the best observed value (noisy data).
struct Acquisition {
    let gp: GaussianProcess
    /// Incumbent values (standardised): one for LogEI, several posterior draws for LogNEI.
    let incumbents: [Double]

    func value(_ x: [Double]) -> Double {
        let p = gp.predict(x)
        return value(mean: p.mean, variance: p.variance)
    }

    func value(mean: Double, variance: Double) -> Double {
        let sd = variance.squareRoot()
        if incumbents.count == 1 { return LogEI.value(mean: mean, sd: sd, best: incumbents[0]) }
        return LogEI.logMeanExp(incumbents.map { LogEI.value(mean: mean, sd: sd, best: $0) })
    }

    func values(_ xs: [[Double]]) -> [Double] {
        let p = gp.predict(xs)
        return (0..<xs.count).map { value(mean: p.mean[$0], variance: p.variance[$0]) }
    }
}

/// Maximises an acquisition function over a mixed search space: many scrambled Sobol candidates and
/// perturbations of the best observed points, the best few refined by projected L-BFGS on the
/// continuous (and relaxed integer) coordinates, then by a discrete neighbourhood sweep over integers
/// and choices. Never returns a point that duplicates `taken`.
struct AcquisitionOptimizer {
    let space: SearchSpace
    var rawSamples = 1024
    var perturbationsPerPoint = 64
    var refineCount = 8

    private var encoded: [EncodedParameter] { space.encoded }

    func snap(_ x: [Double]) -> [Double] {
        (try? space.encode(space.decode(x))) ?? x
    }

    static func isDuplicate(_ x: [Double], _ taken: [[Double]]) -> Bool {
        for t in taken {
            var m = 0.0
            for d in 0..<x.count { m = max(m, abs(x[d] - t[d])) }
            if m < 1e-9 { return true }
        }
        return false
    }

    /// - Parameters:
    ///   - anchors: encoded points to perturb (best observations first).
    ///   - taken: encoded points already tried or pending (never suggested again).
    func maximize(_ acq: Acquisition, anchors: [[Double]], taken: [[Double]], seed: UInt64) -> [Double]? {
        let D = space.encodedDimension
        var rng = Xoshiro256(seed: seed, stream: 0xACC)
        var cands = [[Double]]()
        if let sobol = try? SobolSequence(dimension: D, scrambleSeed: rng.next()) {
            cands += sobol.points(from: 0, count: rawSamples)
        }
        let params = encoded
        for a in anchors {
            for k in 0..<perturbationsPerPoint {
                var x = a
                let scale = k % 2 == 0 ? 0.02 : 0.1
                for e in params {
                    switch e.kind {
                    case .continuous, .integer:
                        x[e.offset] = min(max(x[e.offset] + scale * rng.normal(), 0), 1)
                    case .ordinal(let c):
                        if rng.uniform() < 1.0 / Double(params.count) {
                            x[e.offset] = Double(rng.int(below: c)) / Double(c - 1)
                        }
                    case .binary:
                        if rng.uniform() < 1.0 / Double(params.count) { x[e.offset] = 1 - x[e.offset] }
                    case .oneHot(let c):
                        if rng.uniform() < 1.0 / Double(params.count) {
                            let j = rng.int(below: c)
                            for i in 0..<c { x[e.offset + i] = i == j ? 1 : 0 }
                        }
                    case .constant: break
                    }
                }
                cands.append(x)
            }
        }
        cands = cands.map(snap)
        let vals = acq.values(cands)
        var order = Array(0..<cands.count).filter { vals[$0].isFinite || vals[$0] == -.infinity }
        order.sort { vals[$0] > vals[$1] || (vals[$0] == vals[$1] && $0 < $1) }
        // pick distinct, non-duplicate starting points
        var starts = [[Double]]()
        var pool = [(x: [Double], v: Double)]()
        for i in order {
            if AcquisitionOptimizer.isDuplicate(cands[i], taken) { continue }
            if AcquisitionOptimizer.isDuplicate(cands[i], starts) { continue }
            pool.append((cands[i], vals[i]))
            if starts.count < refineCount { starts.append(cands[i]) }
            if pool.count >= refineCount * 4 { break }
        }
        for s in starts {
            let r = refine(s, acq)
            pool.append(r)
        }
        pool.sort { $0.v > $1.v }
        for p in pool where !AcquisitionOptimizer.isDuplicate(p.x, taken) && p.v.isFinite { return p.x }
        return pool.first { !AcquisitionOptimizer.isDuplicate($0.x, taken) }?.x
    }

    /// Local refinement from a snapped start; returns a snapped point and its acquisition value.
    func refine(_ start: [Double], _ acq: Acquisition) -> (x: [Double], v: Double) {
        let params = encoded
        let contDims = params.flatMap { e -> [Int] in
            switch e.kind { case .continuous, .integer: return [e.offset]; default: return [] }
        }
        var x = start
        var best = acq.value(x)
        for pass in 0..<3 {
            // continuous / relaxed-integer coordinates
            if !contDims.isEmpty {
                let base = x
                let f: ([Double]) -> (Double, [Double]) = { z in
                    var p = base
                    for (k, d) in contDims.enumerated() { p[d] = z[k] }
                    let v = -acq.value(p)
                    var g = [Double](repeating: 0, count: z.count)
                    let h = 1e-6
                    for k in 0..<z.count {
                        var a = p, b = p
                        a[contDims[k]] = min(p[contDims[k]] + h, 1); b[contDims[k]] = max(p[contDims[k]] - h, 0)
                        g[k] = -(acq.value(a) - acq.value(b)) / (a[contDims[k]] - b[contDims[k]])
                    }
                    return (v.isFinite ? v : 1e300, g)
                }
                let z0 = contDims.map { x[$0] }
                let r = BoxLBFGS(maxIterations: 60, gradientTolerance: 1e-9).minimize(
                    z0, lower: [Double](repeating: 0, count: z0.count), upper: [Double](repeating: 1, count: z0.count), f)
                var p = x
                for (k, d) in contDims.enumerated() { p[d] = r.x[k] }
                let ps = snap(p)
                let v = acq.value(ps)
                if v > best { best = v; x = ps }
            }
            // discrete neighbourhood sweep
            var improved = false
            for e in params {
                var alternatives = [[Double]]()
                switch e.kind {
                case let .integer(low, high, log):
                    let cur = space.decode(x)[e.parameter.name]?.doubleValue ?? Double(low)
                    for step in [-2.0, -1.0, 1.0, 2.0] {
                        let v = cur + step
                        guard v >= Double(low) && v <= Double(high) else { continue }
                        var a = x
                        let lo = Double(low), hi = Double(high)
                        a[e.offset] = log ? (Foundation_log(v) - Foundation_log(lo)) / (Foundation_log(hi) - Foundation_log(lo)) : (v - lo) / (hi - lo)
                        alternatives.append(a)
                    }
                case .ordinal(let c):
                    for i in 0..<c { var a = x; a[e.offset] = Double(i) / Double(c - 1); alternatives.append(a) }
                case .binary:
                    var a = x; a[e.offset] = 1 - x[e.offset]; alternatives.append(a)
                case .oneHot(let c):
                    for j in 0..<c { var a = x; for i in 0..<c { a[e.offset + i] = i == j ? 1 : 0 }; alternatives.append(a) }
                default: break
                }
                for a in alternatives {
                    let v = acq.value(a)
                    if v > best + 1e-12 { best = v; x = a; improved = true }
                }
            }
            if !improved && pass > 0 { break }
        }
        return (x, best)
    }
}

@inline(__always) func Foundation_log(_ x: Double) -> Double { log(x) }
