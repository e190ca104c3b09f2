// Portability check of the stage-1 kernels (on arm64: the generic SIMD path): every kernel against a plain
// reference sum, max-only against arg-max, the Adam step against its scalar formula.
import NeuralNet
#if canImport(Glibc)
import Glibc
#endif

var rng = SeededRandom(seed: 7)
var worst: Float = 0, argmaxMismatches = 0, checked = 0
for (C, L, K) in [(100, 101, 24), (16, 101, 24), (13, 31, 24), (37, 60, 24), (20, 40, 7), (17, 64, 12)] {
    let weight = (0..<(C * 4 * K)).map { _ in Float(rng.normal() * 0.3) }
    let bias = (0..<C).map { _ in Float(rng.normal() * 0.1) }
    var conv = OneHotConvolution(channels: C, width: K)
    conv.load(weight: weight, bias: bias)
    let count = 40, Cp = conv.paddedChannels, P = L - K + 1
    var codes = (0..<(count * L)).map { _ in UInt8(rng.below(4)) }
    for _ in 0..<5 { codes[rng.below(codes.count)] = UInt8(4 + rng.below(2)) }
    let rows = Array(0..<count)
    var mx = [Float](repeating: 0, count: count * Cp), am = [Int32](repeating: 0, count: count * Cp), mx2 = mx
    var scratch = [UInt16](repeating: 0, count: OneHotConvolution.batchScratchCount(length: L, count: count))
    var offsets = [Int](repeating: 0, count: L)
    rows.withUnsafeBufferPointer { r in
        codes.withUnsafeBufferPointer { cp in
            conv.forwardBatch(codes: cp.baseAddress!, length: L, rows: r, maxima: &mx, argmax: &am, scratch: &scratch,
                              rowOffsets: &offsets, needArgmax: true)
            conv.forwardBatch(codes: cp.baseAddress!, length: L, rows: r, maxima: &mx2, argmax: &am, scratch: &scratch,
                              rowOffsets: &offsets, needArgmax: false)
        }
    }
    for s in 0..<count {
        for c in 0..<C {
            var best = -Double.infinity, bestP = 0
            for p in 0..<P {
                var v = Double(bias[c])
                for k in 0..<K {
                    let code = Int(codes[s * L + p + k])
                    for i in 0..<4 {
                        let x: Double = code < 4 ? (code == i ? 1 : 0) : (code == 4 ? 0.25 : 0)
                        v += x * Double(weight[(c * 4 + i) * K + k])
                    }
                }
                if v > best { best = v; bestP = p }
            }
            let e = Float(abs(Double(mx[s * Cp + c]) - best) / max(1, abs(best)))
            worst = max(worst, e)
            if mx2[s * Cp + c] != mx[s * Cp + c] { print("max-only differs: C=\(C) seq \(s) channel \(c)"); worst = .infinity }
            if Int(am[s * Cp + c]) != bestP { argmaxMismatches += 1 }
            checked += 1
        }
    }
}
// Adam: one step on 13 values against the scalar formula.
var params = NamedParameters([("w", Tensor(shape: [13], data: (0..<13).map { Float($0) * 0.1 - 0.5 }))])
let grads = NamedParameters([("w", Tensor(shape: [13], data: (0..<13).map { Float($0) * 0.03 - 0.2 }))])
var adam = Adam(learningRate: 0.01, weightDecay: 0.001)
let before = params.tensors[0].data
adam.update(&params, gradients: grads)
var adamWorst: Float = 0
for i in 0..<13 {
    var g = grads.tensors[0].data[i]; g += 0.001 * before[i]
    let m = 0.1 * g, v = 0.001 * g * g
    let expected = before[i] - (0.01 / 0.1) * m / ((v.squareRoot() / Float(0.001).squareRoot()) + 1e-8)
    adamWorst = max(adamWorst, abs(params.tensors[0].data[i] - expected))
}
// The training step's thread pool: 2000 regions of 2 and 3 parts, each part once per region,
// also after its threads parked (the pause hint is `yield` on arm64).
let pool = WorkerPool(threads: 3, spinNanoseconds: 20_000)
var poolCounts = [Int](repeating: 0, count: 3)
for region in 0..<2000 {
    if region % 500 == 499 { usleep(50_000) }
    poolCounts.withUnsafeMutableBufferPointer { c in pool.run(count: 2 + region % 2) { c[$0] += 1 } }
}
let poolOK = poolCounts == [2000, 2000, 1000]
print("worker pool part counts \(poolCounts) (expected [2000, 2000, 1000])")
// Inference's dense head: each row the bits of its one-value-at-a-time reference (C=100, H=32, N=14).
var headRng = SeededRandom(seed: 5)
func headRandoms(_ n: Int) -> [Float] { (0..<n).map { _ in Float(headRng.uniform() * 2 - 1) } }
let head = DenseHead(fc1Weight: headRandoms(32 * 100), fc1Bias: headRandoms(32), fc2Weight: headRandoms(14 * 32),
                     fc2Bias: headRandoms(14), inputs: 100, hidden: 32, outputs: 14)
let headX = headRandoms(37 * 104)
var headY = [Float](repeating: 0, count: 37 * 14)
headX.withUnsafeBufferPointer { x in headY.withUnsafeMutableBufferPointer { head.run(x.baseAddress!, rows: 37, stride: 104, into: $0.baseAddress!) } }
var headMismatches = 0
for r in 0..<37 where head.reference(Array(headX[(r * 104)..<(r * 104 + 100)])) != Array(headY[(r * 14)..<(r * 14 + 14)]) { headMismatches += 1 }
print("dense head rows differing from the reference: \(headMismatches) of 37")
print("checked \(checked) channel maxima; worst relative error \(worst); arg-max differing from the reference \(argmaxMismatches) (rounding ties only if small); Adam worst abs error \(adamWorst)")
print(worst < 1e-4 && adamWorst < 1e-6 && poolOK && headMismatches == 0 ? "KERNEL CHECK OK" : "KERNEL CHECK FAILED")
