import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Cholesky factor of a symmetric positive-definite matrix, computed by LAPACK `dpotrf`.
/// Matrices are dense, column-major, n×n.
struct Cholesky {
    let n: Int
    /// Lower-triangular factor L (column-major; the strict upper triangle is zeroed).
    private(set) var factor: [Double]
    /// Jitter that had to be added to the diagonal (0 when the matrix factored as given).
    private(set) var jitter: Double = 0

    /// Factors `a`; if LAPACK reports the matrix is not positive definite, retries with growing
    /// diagonal jitter (1e-10 … 1e-4 times the mean diagonal).
    init(_ a: [Double], n: Int, allowJitter: Bool = true) throws {
        precondition(a.count == n * n)
        self.n = n
        var meanDiag = 0.0
        for i in 0..<n { meanDiag += a[i * n + i] }
        meanDiag = max(meanDiag / Double(max(n, 1)), 1e-300)
        let jitters: [Double] = allowJitter ? [0, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4] : [0]
        for j in jitters {
            var m = a
            if j > 0 { for i in 0..<n { m[i * n + i] += j * meanDiag } }
            var info: Int32 = 0
            var nn = Int32(n), lda = Int32(max(n, 1))
            var uplo = Int8(UInt8(ascii: "L"))
            dpotrf_(&uplo, &nn, &m, &lda, &info)
            if info == 0 {
                for c in 0..<n { for r in 0..<c { m[c * n + r] = 0 } }
                factor = m
                jitter = j * meanDiag
                return
            }
        }
        throw TuningError.numerical("Cholesky factorisation failed (matrix not positive definite, n=\(n))")
    }

    /// Sum of log of the diagonal of L (= half the log-determinant).
    var halfLogDet: Double {
        var s = 0.0
        for i in 0..<n { s += log(factor[i * n + i]) }
        return s
    }

    /// Solves A x = b (LAPACK `dpotrs`).
    func solve(_ b: [Double]) -> [Double] {
        var x = b
        var info: Int32 = 0
        var nn = Int32(n), nrhs: Int32 = 1, lda = Int32(max(n, 1)), ldb = Int32(max(n, 1))
        var uplo = Int8(UInt8(ascii: "L"))
        var f = factor
        dpotrs_(&uplo, &nn, &nrhs, &f, &lda, &x, &ldb, &info)
        return x
    }

    /// Solves L X = B in place for `nrhs` right-hand sides stored column-major (n × nrhs), LAPACK `dtrtrs`.
    func solveLower(_ b: inout [Double], nrhs: Int) {
        guard nrhs > 0 && n > 0 else { return }
        var info: Int32 = 0
        var nn = Int32(n), nr = Int32(nrhs), lda = Int32(n), ldb = Int32(n)
        var uplo = Int8(UInt8(ascii: "L")), trans = Int8(UInt8(ascii: "N")), diag = Int8(UInt8(ascii: "N"))
        var f = factor
        dtrtrs_(&uplo, &trans, &diag, &nn, &nr, &f, &lda, &b, &ldb, &info)
    }

    /// A⁻¹ as a full symmetric matrix (LAPACK `dpotri`).
    func inverse() -> [Double] {
        var m = factor
        var info: Int32 = 0
        var nn = Int32(n), lda = Int32(max(n, 1))
        var uplo = Int8(UInt8(ascii: "L"))
        dpotri_(&uplo, &nn, &m, &lda, &info)
        for c in 0..<n { for r in 0..<c { m[c * n + r] = m[r * n + c] } }
        return m
    }
}
