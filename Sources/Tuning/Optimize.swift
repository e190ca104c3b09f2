#if canImport(Glibc)
import Glibc
#endif

/// Minimises a smooth function over a box with a projected L-BFGS method
/// (two-loop recursion, projected backtracking line search; variables at a bound whose gradient
/// points outwards are frozen for that step).
struct BoxLBFGS {
    var maxIterations = 200
    var memory = 8
    var gradientTolerance = 1e-7
    var relativeTolerance = 1e-11

    /// - Parameters:
    ///   - f: value and gradient at a point (value may be +inf where undefined).
    /// - Returns: the best point found and its value.
    func minimize(_ x0: [Double], lower: [Double], upper: [Double],
                  _ f: ([Double]) -> (Double, [Double])) -> (x: [Double], value: Double) {
        let n = x0.count
        var x = zip(zip(x0, lower), upper).map { min(max($0.0, $0.1), $1) }
        var (fx, g) = f(x)
        if !fx.isFinite { return (x, fx) }
        var sList = [[Double]](), yList = [[Double]]()
        for _ in 0..<maxIterations {
            // free variables: not pinned at a bound by the gradient
            var free = [Bool](repeating: true, count: n)
            var pgNorm = 0.0
            for i in 0..<n {
                if (x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0) { free[i] = false }
                else { pgNorm = max(pgNorm, abs(g[i])) }
            }
            if pgNorm < gradientTolerance { break }
            // two-loop recursion on the free subspace
            var q = (0..<n).map { free[$0] ? g[$0] : 0 }
            var alphas = [Double](repeating: 0, count: sList.count)
            for k in stride(from: sList.count - 1, through: 0, by: -1) {
                let rho = 1 / dot(yList[k], sList[k])
                alphas[k] = rho * dot(sList[k], q)
                for i in 0..<n { q[i] -= alphas[k] * yList[k][i] }
            }
            if let sl = sList.last, let yl = yList.last {
                let gamma = dot(sl, yl) / dot(yl, yl)
                for i in 0..<n { q[i] *= gamma }
            } else {
                let scale = 1 / max(pgNorm, 1e-12)
                for i in 0..<n { q[i] *= min(scale, 1) }
            }
            for k in 0..<sList.count {
                let rho = 1 / dot(yList[k], sList[k])
                let beta = rho * dot(yList[k], q)
                for i in 0..<n { q[i] += sList[k][i] * (alphas[k] - beta) }
            }
            var d = (0..<n).map { free[$0] ? -q[$0] : 0 }
            var slope = dot(d, g)
            if !(slope < 0) {
                d = (0..<n).map { free[$0] ? -g[$0] : 0 }
                slope = dot(d, g)
                sList.removeAll(); yList.removeAll()
                if !(slope < 0) { break }
            }
            // projected backtracking line search
            var t = 1.0
            var accepted = false
            var xNew = x, fNew = fx, gNew = g
            for _ in 0..<30 {
                for i in 0..<n { xNew[i] = min(max(x[i] + t * d[i], lower[i]), upper[i]) }
                (fNew, gNew) = f(xNew)
                var decrease = 0.0
                for i in 0..<n { decrease += g[i] * (xNew[i] - x[i]) }
                if fNew.isFinite && fNew <= fx + 1e-4 * decrease { accepted = true; break }
                t *= 0.5
            }
            if !accepted { break }
            let s = (0..<n).map { xNew[$0] - x[$0] }
            let yv = (0..<n).map { gNew[$0] - g[$0] }
            let sy = dot(s, yv)
            if sy > 1e-12 * max(dot(yv, yv), 1e-300) {
                sList.append(s); yList.append(yv)
                if sList.count > memory { sList.removeFirst(); yList.removeFirst() }
            }
            let change = fx - fNew
            x = xNew; g = gNew
            let old = fx
            fx = fNew
            if change <= relativeTolerance * max(abs(old), abs(fNew), 1) { break }
        }
        return (x, fx)
    }
}

@inline(__always) func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
}
