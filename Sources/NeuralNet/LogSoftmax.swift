#if canImport(Glibc)
import Glibc
#endif

/// `nn.LogSoftmax(dim=1)` on a `[rows, columns]` buffer: y = x − max − log Σ exp(x − max).
public enum LogSoftmax {
    public static func forward(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * columns
            var m = -Float.infinity
            for c in 0..<columns { m = max(m, xr[c]) }
            var s: Float = 0
            for c in 0..<columns { s += expf(xr[c] - m) }
            let lse = m + logf(s)
            for c in 0..<columns { y[r * columns + c] = xr[c] - lse }
        }
    }
}
