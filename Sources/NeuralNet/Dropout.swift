/// `nn.Dropout(p)`, inverted: in train mode each value is zeroed with probability p and the
/// survivors are scaled by 1/(1 − p); eval mode is the identity. The mask comes from a
/// `SeededRandom`, so a run is reproducible (PyTorch's own mask stream cannot be matched).
public enum Dropout {
    /// Fills `mask` (`count` values, each 0 or 1/(1 − p)) and applies it in place to `x`.
    public static func forwardTrain(_ x: UnsafeMutablePointer<Float>, count: Int, p: Float,
                                    mask: UnsafeMutablePointer<Float>, rng: inout SeededRandom) {
        if p <= 0 {
            for i in 0..<count { mask[i] = 1 }
            return
        }
        let keep = 1 / (1 - p)
        let pd = Double(p)
        for i in 0..<count {
            let m: Float = rng.uniform() < pd ? 0 : keep
            mask[i] = m
            x[i] *= m
        }
    }

    /// ∂x = ∂y · mask, in place.
    public static func backward(_ grad: UnsafeMutablePointer<Float>, count: Int, mask: UnsafePointer<Float>) {
        for i in 0..<count { grad[i] *= mask[i] }
    }
}
