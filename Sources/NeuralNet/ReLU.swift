/// ReLU on raw buffers, as stage 1's pooled features have always been computed: eight values at
/// a time as a compare and select (`x > 0 ? x : 0`, so NaN becomes 0), the rest as
/// `Swift.max(0, x)`. The two differ only on -0. (The scalar loop compiled to one value at a time.)
public enum ReLU {
    @inlinable @inline(__always)
    public static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: v, where: v .> 0)
    }

    /// `dst[c] = max(0, src[c])` for `count` values.
    @inlinable @inline(__always)
    public static func apply(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutablePointer<Float>) {
        var c = 0
        while c &+ 8 <= count {
            let v = UnsafeRawPointer(src + c).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + c).storeBytes(of: apply(v), as: SIMD8<Float>.self)
            c &+= 8
        }
        while c < count { dst[c] = max(0, src[c]); c &+= 1 }
    }
}
