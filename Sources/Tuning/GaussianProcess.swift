#if canImport(Glibc)
import Glibc
#endif

/// Hyperparameters of the GP, in the space they are optimised in.
public struct GPHyperparameters: Codable, Equatable, Sendable {
    /// log of the ARD length-scales, one per input dimension.
    public var logLengthscales: [Double]
    /// log of the signal variance (output scale).
    public var logSignalVariance: Double
    /// log of the Gaussian noise variance (standardised units).
    public var logNoiseVariance: Double
    /// Constant prior mean (standardised units).
    public var mean: Double

    var vector: [Double] { logLengthscales + [logSignalVariance, logNoiseVariance, mean] }
    init(vector v: [Double], dims: Int) {
        logLengthscales = Array(v[0..<dims]); logSignalVariance = v[dims]; logNoiseVariance = v[dims + 1]; mean = v[dims + 2]
    }
    public init(logLengthscales: [Double], logSignalVariance: Double, logNoiseVariance: Double, mean: Double) {
        self.logLengthscales = logLengthscales; self.logSignalVariance = logSignalVariance
        self.logNoiseVariance = logNoiseVariance; self.mean = mean
    }
}

/// Priors and bounds used when fitting the hyperparameters by maximum a posteriori.
public struct GPPriors: Sendable {
    /// log-normal prior on each length-scale (inputs on the unit cube): log ℓ ~ N(mu, sigma²).
    /// Default: median ℓ = 0.5, sigma = 1 (ℓ between about 0.07 and 3.6 with 95 % prior mass).
    /// The dimension-scaled prior of Hvarfner et al. 2024 (mu = √2 + ½·log D, sigma = √3, median
    /// ℓ ≈ 11 for D = 7; `GPPriors.dimensionScaled(dimension:)`) is made for high-dimensional problems;
    /// with 5 to 15 points in 2 to 7 dimensions it let the fit explain the data with one or two very
    /// short length-scales and near-linear trends elsewhere, so the GP extrapolated to the corners of
    /// the box (issue 4 benchmarks: median regret at 15 trials 1.83 → 0.67 on Hartmann6, 0.22 → 0.02 on
    /// the SigTFB-like problem; see bench/hpo/BENCHMARKS-tuning.md).
    public var lengthscaleMu: Double
    public var lengthscaleSigma: Double = 1.0
    public var signalMu: Double = 0
    public var signalSigma: Double = 1
    public var noiseMu: Double = -6
    public var noiseSigma: Double = 2
    public var meanSigma: Double = 2
    public var lengthscaleBounds: (Double, Double) = (0.005, 100)
    /// Data-dependent lower bound on length-scales: factor × n^(−1/D) (n points, D dimensions).
    public var minLengthscaleSpacingFactor = 0.5
    public var signalBounds: (Double, Double) = (0.05, 20)
    public var noiseBounds: (Double, Double) = (1e-6, 1.0)
    public var meanBounds: (Double, Double) = (-5, 5)

    /// The default priors (the dimension is kept for API stability; the default length-scale prior does not depend on it).
    public init(dimension: Int) {
        lengthscaleMu = log(0.5)
    }

    /// The dimension-scaled log-normal length-scale prior of Hvarfner et al. (2024):
    /// log ℓ ~ N(√2 + ½·log D, 3).
    public static func dimensionScaled(dimension: Int) -> GPPriors {
        var p = GPPriors(dimension: dimension)
        p.lengthscaleMu = 2.0.squareRoot() + 0.5 * log(Double(max(dimension, 1)))
        p.lengthscaleSigma = 3.0.squareRoot()
        return p
    }
}

/// Matérn-5/2 kernel with automatic relevance determination:
/// k(r) = σ² (1 + √5 r + 5r²/3) exp(−√5 r), r² = Σ_d (x_d − x'_d)² / ℓ_d².
@inline(__always) func matern52(_ r: Double) -> Double {
    let s = 5.0.squareRoot() * r
    return (1 + s + s * s / 3) * exp(-s)
}

/// An exact GP regression model on the unit cube with standardised outputs.
public final class GaussianProcess {
    public let inputs: [[Double]]
    public let targets: [Double]
    public let hyper: GPHyperparameters
    let dims: Int
    let invLengthscales: [Double]
    let signal: Double
    let noise: Double
    let chol: Cholesky
    /// K⁻¹ (y − m)
    let alpha: [Double]

    /// Conditions a GP with fixed hyperparameters on the data.
    public init(inputs: [[Double]], targets: [Double], hyper: GPHyperparameters) throws {
        self.inputs = inputs; self.targets = targets; self.hyper = hyper
        dims = hyper.logLengthscales.count
        invLengthscales = hyper.logLengthscales.map { exp(-$0) }
        signal = exp(hyper.logSignalVariance)
        noise = exp(hyper.logNoiseVariance)
        let n = inputs.count
        var k = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            k[i * n + i] = signal + noise
            for j in 0..<i {
                let v = signal * matern52(GaussianProcess.distance(inputs[i], inputs[j], invLengthscales))
                k[i * n + j] = v; k[j * n + i] = v
            }
        }
        chol = try Cholesky(k, n: n)
        alpha = chol.solve(targets.map { $0 - hyper.mean })
    }

    @inline(__always) static func distance(_ a: [Double], _ b: [Double], _ inv: [Double]) -> Double {
        var s = 0.0
        for d in 0..<a.count { let t = (a[d] - b[d]) * inv[d]; s += t * t }
        return s.squareRoot()
    }

    /// Posterior mean and variance of the latent function (no observation noise) at many points.
    public func predict(_ points: [[Double]]) -> (mean: [Double], variance: [Double]) {
        let n = inputs.count, m = points.count
        guard m > 0 else { return ([], []) }
        var ks = [Double](repeating: 0, count: n * m)   // column j = k(X, x_j)
        var mean = [Double](repeating: hyper.mean, count: m)
        for j in 0..<m {
            var mu = hyper.mean
            for i in 0..<n {
                let v = signal * matern52(GaussianProcess.distance(points[j], inputs[i], invLengthscales))
                ks[j * n + i] = v
                mu += v * alpha[i]
            }
            mean[j] = mu
        }
        chol.solveLower(&ks, nrhs: m)
        var variance = [Double](repeating: 0, count: m)
        for j in 0..<m {
            var s = 0.0
            for i in 0..<n { s += ks[j * n + i] * ks[j * n + i] }
            variance[j] = max(signal - s, 1e-12 * signal)
        }
        return (mean, variance)
    }

    /// Posterior mean and variance at one point.
    public func predict(_ x: [Double]) -> (mean: Double, variance: Double) {
        let p = predict([x])
        return (p.mean[0], p.variance[0])
    }

    // MARK: fitting

    /// Negative log marginal likelihood plus negative log prior, and its gradient, at a
    /// hyperparameter vector [log ℓ_1…log ℓ_D, log σ², log σ_n², mean].
    static func negLogPosterior(_ theta: [Double], inputs: [[Double]], targets: [Double], sqDiff: [[Double]],
                                priors: GPPriors) -> (Double, [Double]) {
        let n = inputs.count
        let D = theta.count - 3
        let signal = exp(theta[D]), noise = exp(theta[D + 1]), c = theta[D + 2]
        let inv2 = (0..<D).map { exp(-2 * theta[$0]) }
        var k = [Double](repeating: 0, count: n * n)
        var dkdr = [Double](repeating: 0, count: n * n)   // σ²·(5/3)(1+√5 r)e^{−√5 r}, used for ℓ gradients
        let s5 = 5.0.squareRoot()
        for i in 0..<n {
            k[i * n + i] = signal + noise
            dkdr[i * n + i] = signal * 5.0 / 3.0
            for j in 0..<i {
                let sd = sqDiff[i * (i - 1) / 2 + j]
                var r2 = 0.0
                for d in 0..<D { r2 += sd[d] * inv2[d] }
                let r = r2.squareRoot()
                let e = exp(-s5 * r)
                let v = signal * (1 + s5 * r + 5 * r2 / 3) * e
                let g = signal * 5.0 / 3.0 * (1 + s5 * r) * e
                k[i * n + j] = v; k[j * n + i] = v
                dkdr[i * n + j] = g; dkdr[j * n + i] = g
            }
        }
        guard let ch = try? Cholesky(k, n: n, allowJitter: false) else {
            return (.infinity, [Double](repeating: 0, count: theta.count))
        }
        let r = targets.map { $0 - c }
        let alpha = ch.solve(r)
        var nll = 0.5 * dot(r, alpha) + ch.halfLogDet + 0.5 * Double(n) * log(2 * Double.pi)
        let kinv = ch.inverse()
        // W = K⁻¹ − ααᵀ; gradient of nll w.r.t. θ_j is ½ tr(W ∂K/∂θ_j)
        var grad = [Double](repeating: 0, count: theta.count)
        var gSignal = 0.0, gNoise = 0.0
        for i in 0..<n {
            let wii = kinv[i * n + i] - alpha[i] * alpha[i]
            gSignal += 0.5 * wii * signal
            gNoise += 0.5 * wii * noise
            for j in 0..<i {
                let w = kinv[i * n + j] - alpha[i] * alpha[j]   // counted twice (symmetry)
                let kij = k[i * n + j]
                gSignal += w * kij
                let sd = sqDiff[i * (i - 1) / 2 + j]
                let g = dkdr[i * n + j] * w
                for d in 0..<D { grad[d] += g * sd[d] * inv2[d] }
            }
        }
        grad[D] = gSignal; grad[D + 1] = gNoise
        grad[D + 2] = -alpha.reduce(0, +)
        // priors (negative log densities, up to constants)
        for d in 0..<D {
            let z = (theta[d] - priors.lengthscaleMu) / priors.lengthscaleSigma
            nll += 0.5 * z * z; grad[d] += z / priors.lengthscaleSigma
        }
        let zs = (theta[D] - priors.signalMu) / priors.signalSigma
        nll += 0.5 * zs * zs; grad[D] += zs / priors.signalSigma
        let zn = (theta[D + 1] - priors.noiseMu) / priors.noiseSigma
        nll += 0.5 * zn * zn; grad[D + 1] += zn / priors.noiseSigma
        let zm = c / priors.meanSigma
        nll += 0.5 * zm * zm; grad[D + 2] += zm / priors.meanSigma
        return (nll, grad)
    }

    /// Fits the hyperparameters by maximum a posteriori with several restarts
    /// (the prior's centre plus `restarts − 1` random draws from the prior) and returns the model.
    public static func fit(inputs: [[Double]], targets: [Double], priors: GPPriors? = nil,
                           restarts: Int = 6, seed: UInt64) throws -> GaussianProcess {
        let n = inputs.count
        guard n > 0 else { throw TuningError.numerical("cannot fit a GP to no data") }
        let D = inputs[0].count
        let pr = priors ?? GPPriors(dimension: D)
        var sqDiff = [[Double]]()
        sqDiff.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n { for j in 0..<i { sqDiff.append((0..<D).map { let t = inputs[i][$0] - inputs[j][$0]; return t * t }) } }
        // Features shorter than about half the typical spacing of n points in D dimensions cannot be
        // resolved; forbidding them keeps a few points from being "explained" by one wiggly axis.
        let minLengthscale = max(pr.lengthscaleBounds.0, pr.minLengthscaleSpacingFactor * pow(Double(n), -1.0 / Double(D)))
        let lower = [Double](repeating: log(minLengthscale), count: D)
            + [log(pr.signalBounds.0), log(pr.noiseBounds.0), pr.meanBounds.0]
        let upper = [Double](repeating: log(pr.lengthscaleBounds.1), count: D)
            + [log(pr.signalBounds.1), log(pr.noiseBounds.1), pr.meanBounds.1]
        var rng = Xoshiro256(seed: seed, stream: 0x6F17)
        var starts = [[Double]]()
        // centre start: median length-scale of the prior (capped to a unit-cube-sized value)
        starts.append([Double](repeating: min(pr.lengthscaleMu, log(2.0)), count: D) + [0, log(1e-3), 0])
        starts.append([Double](repeating: log(0.3), count: D) + [0, log(1e-4), 0])
        while starts.count < max(restarts, 1) {
            var v = (0..<D).map { _ in log(0.1) + rng.uniform() * (log(4.0) - log(0.1)) }
            v += [rng.normal() * 0.5, log(1e-5) + rng.uniform() * (log(1e-1) - log(1e-5)), rng.normal() * 0.3]
            starts.append(v)
        }
        let opt = BoxLBFGS(maxIterations: 150)
        var best: (x: [Double], value: Double)? = nil
        for s in starts.prefix(max(restarts, 1)) {
            let r = opt.minimize(s, lower: lower, upper: upper) {
                negLogPosterior($0, inputs: inputs, targets: targets, sqDiff: sqDiff, priors: pr)
            }
            if r.value.isFinite && (best == nil || r.value < best!.value) { best = r }
        }
        let theta = best?.x ?? starts[0]
        return try GaussianProcess(inputs: inputs, targets: targets, hyper: GPHyperparameters(vector: theta, dims: D))
    }
}
