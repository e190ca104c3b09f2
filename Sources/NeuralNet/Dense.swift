import COpenBLAS

/// Fully connected layers on raw row-major buffers, PyTorch's `nn.Linear` convention:
/// `y = x · Wᵀ + b` with `W` shaped `[out, in]`.
///
/// The products go through OpenBLAS `sgemm` over a whole block of rows at once. Our own threads
/// already split batches across cores, so OpenBLAS is kept single-threaded (which also keeps
/// results independent of its thread scheduling).
public enum Dense {
    static let singleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// y[r, o] = b[o] + Σ_i x[r, i] · W[o, i]
    @inlinable
    public static func forward(_ x: UnsafePointer<Float>, rows: Int, inputs: Int,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int,
                               into y: UnsafeMutablePointer<Float>) {
        if rows == 0 { return }
        // An inline copy per row (a library call per row cost more than the copy at 4-32 outputs).
        var row = y
        for _ in 0..<rows {
            for o in 0..<outputs { row[o] = bias[o] }
            row += outputs
        }
        gemm(transA: false, transB: true, m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: weight, ldb: inputs,
             beta: 1, c: y, ldc: outputs)
    }

    /// Accumulates parameter gradients and, optionally, writes the input gradient:
    /// gW[o, i] += Σ_r gy[r, o] x[r, i];  gb[o] += Σ_r gy[r, o];  gx[r, i] = Σ_o gy[r, o] W[o, i].
    @inlinable
    public static func backward(_ x: UnsafePointer<Float>, rows: Int, inputs: Int,
                                weight: UnsafePointer<Float>, outputs: Int,
                                gradOutput gy: UnsafePointer<Float>,
                                gradWeight gW: UnsafeMutablePointer<Float>, gradBias gb: UnsafeMutablePointer<Float>,
                                gradInput gx: UnsafeMutablePointer<Float>?) {
        if rows == 0 { return }
        for r in 0..<rows {
            let g = gy + r * outputs
            for o in 0..<outputs { gb[o] += g[o] }
        }
        gemm(transA: true, transB: false, m: outputs, n: inputs, k: rows, a: gy, lda: outputs, b: x, ldb: inputs,
             beta: 1, c: gW, ldc: inputs)
        if let gx {
            gemm(transA: false, transB: false, m: rows, n: inputs, k: outputs, a: gy, lda: outputs, b: weight, ldb: inputs,
                 beta: 0, c: gx, ldc: inputs)
        }
    }

    /// C = op(A)·op(B) + beta·C, row-major.
    @usableFromInline
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
