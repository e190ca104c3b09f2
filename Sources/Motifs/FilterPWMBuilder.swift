import Foundation
import Genomics

/// Options of `FilterPWMBuilder`.
public struct FilterPWMOptions: Sendable {
    /// A position is a site of a filter when its activation is at least this fraction of the
    /// filter's maximum activation over all sequences (Basset's rule: 0.5).
    public var activationFraction: Double
    /// Keep at most this many sites per filter, the highest activations first (ties broken by
    /// sequence index, then position); `nil` keeps all.
    public var maxSites: Int?
    /// Pseudocount added to the counts of every position, spread by the background.
    public var pseudocount: Double
    /// Background of the PWMs (A, C, G, T).
    public var background: [Double]
    /// Motif identifiers are `idPrefix` followed by the filter index (`filter_0`, …).
    public var idPrefix: String
    /// The work is cut into this many fixed blocks of sequences (run on all cores); results do
    /// not depend on the number of cores.
    public var blockCount: Int

    public init(activationFraction: Double = 0.5, maxSites: Int? = nil, pseudocount: Double = 0,
                background: [Double] = PWM.uniformBackground, idPrefix: String = "filter_",
                blockCount: Int = 64) {
        precondition(activationFraction > 0 && activationFraction <= 1, "activation fraction must be in (0, 1]")
        if let m = maxSites { precondition(m > 0, "maxSites must be positive") }
        self.activationFraction = activationFraction
        self.maxSites = maxSites
        self.pseudocount = pseudocount
        self.background = background
        self.idPrefix = idPrefix
        self.blockCount = max(1, blockCount)
    }
}

/// What `FilterPWMBuilder` finds for one filter.
public struct FilterPWMResult: Sendable {
    /// Filter index.
    public let filter: Int
    /// The PWM of the filter's sites (`siteCount` = sites used); the background when there are
    /// none.
    public let pwm: PWM
    /// Base counts behind `pwm` (`W × 4`, position-major, before the pseudocount).
    public let counts: [Double]
    /// Sites used for the PWM (after `maxSites`).
    public let siteCount: Int
    /// Positions reaching the threshold (before `maxSites`).
    public let qualifyingSiteCount: Int
    /// Sequences with at least one qualifying position.
    public let sequencesWithSite: Int
    /// Mean activation (after ReLU) over every valid position of every sequence.
    public let meanActivation: Double
    /// Maximum activation over the data.
    public let maxActivation: Float
    /// Activation threshold used (`activationFraction × maxActivation`).
    public let threshold: Float
}

/// Builds a PWM for every first-layer filter from the sequences that activate it (Basset's
/// rule, Kelley et al. 2016): activation = ReLU(bias + Σ_k w[base_k][k]) at every valid position
/// (no padding, `L − W + 1` positions); a site is a W-mer whose activation is ≥ fraction × the
/// filter's maximum over the data (and > 0); the PWM counts the sites' bases (N adds 0.25 to
/// each letter).
///
/// The pre-activations come from a lookup table over base codes, vectorised across filters, and
/// the sequences are processed in fixed blocks on all cores (two passes: maxima, then sites).
public enum FilterPWMBuilder {

    /// PWMs and statistics of every filter over `sequences`.
    public static func build(filters: ConvFilters, sequences: EncodedSequences,
                             options: FilterPWMOptions = FilterPWMOptions()) -> [FilterPWMResult] {
        let C = filters.count, W = filters.width, L = sequences.length
        let P = L - W + 1
        let n = sequences.count
        guard P > 0, n > 0 else {
            return (0..<C).map { c in
                emptyResult(filter: c, width: W, options: options, mean: 0, max: 0, threshold: 0)
            }
        }
        let kernel = ActivationKernel(filters: filters)
        let S = kernel.stride
        let blocks = min(options.blockCount, n)
        let ranges = (0..<blocks).map { b in (b * n / blocks)..<((b + 1) * n / blocks) }

        // Pass 1: maximum and sum of activations per filter.
        var maxAct = [Float](repeating: 0, count: C)
        var sumAct = [Double](repeating: 0, count: C)
        let pass1: [(max: [Float], sum: [Double])] = parallelMap(ranges) { range in
            var mx = [Float](repeating: 0, count: S)
            var sm = [Double](repeating: 0, count: C)
            let act = ActivationBuffer(count: P * S)
            defer { act.free() }
            var seqSum = [Float](repeating: 0, count: S)
            sequences.codes.withUnsafeBufferPointer { codes in
                for s in range {
                    kernel.compute(codes: codes.baseAddress! + s * L, P: P, into: act.pointer)
                    for c in 0..<S { seqSum[c] = 0 }
                    for p in 0..<P {
                        let row = act.pointer + p * S
                        for c in 0..<S {
                            let v = max(row[c], 0)
                            seqSum[c] += v
                            mx[c] = max(mx[c], v)
                        }
                    }
                    for c in 0..<C { sm[c] += Double(seqSum[c]) }
                }
            }
            return (Array(mx[0..<C]), sm)
        }
        for r in pass1 {
            for c in 0..<C { maxAct[c] = max(maxAct[c], r.max[c]); sumAct[c] += r.sum[c] }
        }
        let thresholds = maxAct.map { Float(options.activationFraction) * $0 }
        // A site needs activation ≥ threshold and > 0: filters that never fire get +∞.
        var thrEff = [Float](repeating: .infinity, count: S)
        for c in 0..<C where thresholds[c] > 0 { thrEff[c] = thresholds[c] }
        let thr = thrEff

        // Pass 2: sites.
        struct Site { var act: Float; var seq: Int32; var pos: Int32 }
        func before(_ a: Site, _ b: Site) -> Bool {
            a.act != b.act ? a.act > b.act : (a.seq != b.seq ? a.seq < b.seq : a.pos < b.pos)
        }
        struct Block { var counts: [Double]; var qualifying: [Int]; var withSite: [Int]; var sites: [[Site]] }
        let cap = options.maxSites
        let pass2: [Block] = parallelMap(ranges) { range in
            var counts = cap == nil ? [Double](repeating: 0, count: C * W * 4) : []
            var qualifying = [Int](repeating: 0, count: C)
            var withSite = [Int](repeating: 0, count: C)
            var sites = [[Site]](repeating: [], count: cap == nil ? 0 : C)
            let act = ActivationBuffer(count: P * S)
            defer { act.free() }
            var hit = [Bool](repeating: false, count: C)
            sequences.codes.withUnsafeBufferPointer { codesBuf in
              thr.withUnsafeBufferPointer { tb in
                let tp = tb.baseAddress!
                for s in range {
                    let seq = codesBuf.baseAddress! + s * L
                    kernel.compute(codes: seq, P: P, into: act.pointer)
                    for c in 0..<C { hit[c] = false }
                    for p in 0..<P {
                        let row = act.pointer + p * S
                        for c in 0..<C {
                            let v = row[c]
                            if v < tp[c] { continue }
                            qualifying[c] += 1
                            hit[c] = true
                            if let m = cap {
                                sites[c].append(Site(act: v, seq: Int32(s), pos: Int32(p)))
                                if sites[c].count >= 2 * m + 64 {
                                    sites[c].sort(by: before)
                                    sites[c].removeLast(sites[c].count - m)
                                }
                            } else {
                                addCounts(seq + p, W: W, into: &counts, offset: c * W * 4)
                            }
                        }
                    }
                    for c in 0..<C where hit[c] { withSite[c] += 1 }
                }
              }
            }
            return Block(counts: counts, qualifying: qualifying, withSite: withSite, sites: sites)
        }

        var results: [FilterPWMResult] = []
        results.reserveCapacity(C)
        let totalPositions = Double(n * P)
        for c in 0..<C {
            var qualifying = 0, withSite = 0
            for b in pass2 { qualifying += b.qualifying[c]; withSite += b.withSite[c] }
            var counts = [Double](repeating: 0, count: W * 4)
            var used = qualifying
            if let m = cap {
                var all = pass2.flatMap { $0.sites[c] }
                all.sort(by: before)
                if all.count > m { all.removeLast(all.count - m) }
                used = all.count
                sequences.codes.withUnsafeBufferPointer { codesBuf in
                    for site in all {
                        addCounts(codesBuf.baseAddress! + Int(site.seq) * L + Int(site.pos), W: W, into: &counts, offset: 0)
                    }
                }
            } else {
                for b in pass2 { for i in 0..<(W * 4) { counts[i] += b.counts[c * W * 4 + i] } }
            }
            let mean = sumAct[c] / totalPositions
            if used == 0 {
                results.append(emptyResult(filter: c, width: W, options: options, mean: mean, max: maxAct[c],
                                           threshold: thresholds[c], withSite: withSite, qualifying: qualifying))
                continue
            }
            var pwm = PWM(id: "\(options.idPrefix)\(c)", counts: counts, pseudocount: options.pseudocount,
                          background: options.background)
            pwm.siteCount = Double(used)
            results.append(FilterPWMResult(filter: c, pwm: pwm, counts: counts, siteCount: used,
                                           qualifyingSiteCount: qualifying, sequencesWithSite: withSite,
                                           meanActivation: mean, maxActivation: maxAct[c], threshold: thresholds[c]))
        }
        return results
    }

    /// Activations (after ReLU) of every filter at every valid position of sequence `index`:
    /// `P × C` values, position-major (`P = L − W + 1`).
    public static func activations(filters: ConvFilters, sequences: EncodedSequences, index: Int) -> [Float] {
        let P = sequences.length - filters.width + 1
        guard P > 0 else { return [] }
        let kernel = ActivationKernel(filters: filters)
        let S = kernel.stride, C = filters.count
        let buf = ActivationBuffer(count: P * S)
        defer { buf.free() }
        sequences.codes.withUnsafeBufferPointer { codes in
            kernel.compute(codes: codes.baseAddress! + index * sequences.length, P: P, into: buf.pointer)
        }
        var act = [Float](repeating: 0, count: P * C)
        for p in 0..<P { for c in 0..<C { act[p * C + c] = max(0, buf.pointer[p * S + c]) } }
        return act
    }

    // MARK: Kernels

    @inline(__always)
    static func addCounts(_ seq: UnsafePointer<UInt8>, W: Int, into counts: inout [Double], offset: Int) {
        for k in 0..<W {
            let code = seq[k]
            let o = offset + k * 4
            if code < 4 {
                counts[o + Int(code)] += 1
            } else {
                for b in 0..<4 { counts[o + b] += 0.25 }
            }
        }
    }

    static func emptyResult(filter c: Int, width W: Int, options: FilterPWMOptions, mean: Double, max: Float,
                            threshold: Float, withSite: Int = 0, qualifying: Int = 0) -> FilterPWMResult {
        let pwm = PWM(id: "\(options.idPrefix)\(c)", probabilities: (0..<W).flatMap { _ in options.background },
                      siteCount: 0, background: options.background)
        return FilterPWMResult(filter: c, pwm: pwm, counts: [Double](repeating: 0, count: W * 4), siteCount: 0,
                               qualifyingSiteCount: qualifying, sequencesWithSite: withSite,
                               meanActivation: mean, maxActivation: max, threshold: threshold)
    }
}

/// Maps `f` over `items` on all cores; results in input order.
func parallelMap<T, R>(_ items: [T], _ f: (T) -> R) -> [R] {
    let n = items.count
    guard n > 1 else { return items.map(f) }
    let out = UnsafeMutablePointer<R?>.allocate(capacity: n)
    out.initialize(repeating: nil, count: n)
    defer { out.deinitialize(count: n); out.deallocate() }
    withoutActuallyEscaping(f) { f in
        DispatchQueue.concurrentPerform(iterations: n) { i in
            out[i] = f(items[i])
        }
    }
    return (0..<n).map { out[$0]! }
}

/// A 64-byte aligned scratch buffer of floats (the kernel reads it as SIMD vectors).
struct ActivationBuffer {
    let pointer: UnsafeMutablePointer<Float>
    init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }
    func free() { UnsafeMutableRawPointer(pointer).deallocate() }
}
