import XCTest
@testable import Tuning

final class SobolTests: XCTestCase {
    /// First 16 unscrambled points in 8 dimensions with the Joe–Kuo new-joe-kuo-6.21201 direction
    /// numbers (reference values from the published table's sequence, as produced by SciPy's
    /// `qmc.Sobol(d=8, scramble=False)`).
    static let reference: [[Double]] = [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        [0.75, 0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75],
        [0.25, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 0.25],
        [0.375, 0.375, 0.625, 0.875, 0.375, 0.125, 0.375, 0.875],
        [0.875, 0.875, 0.125, 0.375, 0.875, 0.625, 0.875, 0.375],
        [0.625, 0.125, 0.875, 0.625, 0.625, 0.875, 0.125, 0.125],
        [0.125, 0.625, 0.375, 0.125, 0.125, 0.375, 0.625, 0.625],
        [0.1875, 0.3125, 0.9375, 0.4375, 0.5625, 0.3125, 0.4375, 0.9375],
        [0.6875, 0.8125, 0.4375, 0.9375, 0.0625, 0.8125, 0.9375, 0.4375],
        [0.9375, 0.0625, 0.6875, 0.1875, 0.3125, 0.5625, 0.1875, 0.1875],
        [0.4375, 0.5625, 0.1875, 0.6875, 0.8125, 0.0625, 0.6875, 0.6875],
        [0.3125, 0.1875, 0.3125, 0.5625, 0.9375, 0.4375, 0.0625, 0.0625],
        [0.8125, 0.6875, 0.8125, 0.0625, 0.4375, 0.9375, 0.5625, 0.5625],
        [0.5625, 0.4375, 0.0625, 0.8125, 0.1875, 0.6875, 0.3125, 0.8125],
        [0.0625, 0.9375, 0.5625, 0.3125, 0.6875, 0.1875, 0.8125, 0.3125],
    ]

    func testUnscrambledMatchesJoeKuo() throws {
        let s = try SobolSequence(dimension: 8)
        XCTAssertEqual(s.points(from: 0, count: 16), SobolTests.reference)
    }

    func testHighDimensionsAreNetsAndScrambleIsSeeded() throws {
        // Every 1-d projection of the first 2^m points of a (scrambled) Sobol sequence hits each
        // interval [k/2^m, (k+1)/2^m) exactly once, in all supported dimensions.
        for seed: UInt64? in [nil, 7] {
            let s = try SobolSequence(dimension: 64, scrambleSeed: seed)
            let pts = s.points(from: 0, count: 64)
            for d in 0..<64 {
                let cells = Set(pts.map { Int($0[d] * 64) })
                XCTAssertEqual(cells.count, 64, "dimension \(d), seed \(String(describing: seed))")
                XCTAssertTrue(pts.allSatisfy { $0[d] >= 0 && $0[d] < 1 })
            }
        }
        let a = try SobolSequence(dimension: 5, scrambleSeed: 1).point(3)
        let b = try SobolSequence(dimension: 5, scrambleSeed: 1).point(3)
        let c = try SobolSequence(dimension: 5, scrambleSeed: 2).point(3)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertThrowsError(try SobolSequence(dimension: SobolSequence.maxDimension + 1))
        XCTAssertGreaterThanOrEqual(SobolSequence.maxDimension, 32)
    }

    func testPRNGIsDeterministic() {
        var a = Xoshiro256(seed: 42), b = Xoshiro256(seed: 42), c = Xoshiro256(seed: 43)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
        // SplitMix64 reference value (seed 0 → first output 0xE220A8397B1DCDAF).
        var sm = SplitMix64(seed: 0)
        XCTAssertEqual(sm.next(), 0xE220_A839_7B1D_CDAF)
    }
}

final class LogEITests: XCTestCase {
    /// log(φ(z) + zΦ(z)) computed with 50-digit arithmetic (mpmath).
    static let reference: [(Double, Double)] = [
        (3.0, 1.0987396653277077727), (0.5, -0.35982768374506381859), (0.0, -0.91893853320467274178),
        (-0.5, -1.6205162643873199193), (-1.0, -2.4851210257126413368), (-2.5, -6.2125416454435128635),
        (-5.0, -16.744301162660990143), (-10.0, -55.553122036122355927), (-29.9, -454.7229981194962739),
        (-30.1, -460.73628739874303834), (-40.0, -808.29856835661996024), (-100.0, -5010.1295788002497923),
        (-10000.0, -50000019.339619307157),
    ]

    func testLogHMatchesHighPrecision() {
        for (z, want) in LogEITests.reference {
            let got = LogEI.logH(z)
            XCTAssertEqual(got, want, accuracy: 1e-10 * max(1, abs(want)), "z = \(z)")
        }
    }

    func testFarTailIsFiniteAndMonotone() {
        var prev = Double.infinity
        for z in [5.0, 0, -1, -2, -10, -29.999, -30, -30.001, -50, -1e3, -1e6, -1e10, -1e150] {
            let v = LogEI.logH(z)
            XCTAssertTrue(v.isFinite, "z = \(z) gives \(v)")
            XCTAssertLessThan(v, prev, "logH must decrease, z = \(z)")
            prev = v
        }
        // no jumps at the branch points
        for z in [-1.0, -30.0] {
            XCTAssertEqual(LogEI.logH(z - 1e-9), LogEI.logH(z + 1e-9), accuracy: 1e-6)
        }
    }

    func testLogEIFormula() {
        // EI = σ h((μ − best)/σ); compare with the direct formula where it is well conditioned.
        let mu = 0.3, sd = 0.7, best = 0.5
        let z = (mu - best) / sd
        let pdf = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
        let cdf = 0.5 * erfc(-z / 2.0.squareRoot())
        XCTAssertEqual(LogEI.value(mean: mu, sd: sd, best: best), log(sd * (pdf + z * cdf)), accuracy: 1e-12)
        XCTAssertTrue(LogEI.value(mean: -1e3, sd: 1e-3, best: 0).isFinite)
    }
}

final class GaussianProcessTests: XCTestCase {
    func testPosteriorMatchesClosedFormTwoPoints() throws {
        let x: [[Double]] = [[0.2, 0.4], [0.7, 0.1]]
        let y: [Double] = [1.0, -0.5]
        let h = GPHyperparameters(logLengthscales: [log(0.5), log(0.8)], logSignalVariance: log(1.5),
                                  logNoiseVariance: log(0.01), mean: 0.2)
        let gp = try GaussianProcess(inputs: x, targets: y, hyper: h)
        func k(_ a: [Double], _ b: [Double]) -> Double {
            let r = (pow((a[0] - b[0]) / 0.5, 2) + pow((a[1] - b[1]) / 0.8, 2)).squareRoot()
            return 1.5 * (1 + 5.0.squareRoot() * r + 5 * r * r / 3) * exp(-5.0.squareRoot() * r)
        }
        // explicit 2×2 inverse
        let a = k(x[0], x[0]) + 0.01, b = k(x[0], x[1]), d = k(x[1], x[1]) + 0.01
        let det = a * d - b * b
        let inv = [[d / det, -b / det], [-b / det, a / det]]
        let xs: [Double] = [0.5, 0.3]
        let ks = [k(xs, x[0]), k(xs, x[1])]
        let r = [y[0] - 0.2, y[1] - 0.2]
        var mean = 0.2, quad = 0.0
        for i in 0..<2 { for j in 0..<2 { mean += ks[i] * inv[i][j] * r[j]; quad += ks[i] * inv[i][j] * ks[j] } }
        let variance = 1.5 - quad
        let p = gp.predict(xs)
        XCTAssertEqual(p.mean, mean, accuracy: 1e-12)
        XCTAssertEqual(p.variance, variance, accuracy: 1e-12)
    }

    func testLikelihoodGradientMatchesFiniteDifferences() throws {
        var rng = Xoshiro256(seed: 3)
        let x = (0..<9).map { _ in (0..<3).map { _ in rng.uniform() } }
        let y = x.map { sin(3 * $0[0]) + $0[1] * $0[1] - 0.5 * $0[2] }
        var sq = [[Double]]()
        for i in 0..<x.count { for j in 0..<i { sq.append((0..<3).map { pow(x[i][$0] - x[j][$0], 2) }) } }
        let pr = GPPriors(dimension: 3)
        let theta = [log(0.4), log(0.9), log(2.0), log(1.2), log(0.05), 0.1]
        let (_, g) = GaussianProcess.negLogPosterior(theta, inputs: x, targets: y, sqDiff: sq, priors: pr)
        for i in 0..<theta.count {
            var a = theta, b = theta
            a[i] += 1e-6; b[i] -= 1e-6
            let fd = (GaussianProcess.negLogPosterior(a, inputs: x, targets: y, sqDiff: sq, priors: pr).0
                - GaussianProcess.negLogPosterior(b, inputs: x, targets: y, sqDiff: sq, priors: pr).0) / 2e-6
            XCTAssertEqual(g[i], fd, accuracy: 1e-5 * max(1, abs(fd)), "component \(i)")
        }
    }

    func testFitInterpolatesSmoothFunction() throws {
        let sobol = try SobolSequence(dimension: 2, scrambleSeed: 5)
        let x = sobol.points(from: 0, count: 20)
        let f: ([Double]) -> Double = { sin(4 * $0[0]) + cos(3 * $0[1]) }
        let ys = x.map(f)
        let m = ys.reduce(0, +) / 20
        let gp = try GaussianProcess.fit(inputs: x, targets: ys.map { $0 - m }, seed: 1)
        let test = try SobolSequence(dimension: 2, scrambleSeed: 9).points(from: 0, count: 10)
        let p = gp.predict(test)
        for (i, t) in test.enumerated() {
            XCTAssertEqual(p.mean[i] + m, f(t), accuracy: 0.15)
        }
    }
}
