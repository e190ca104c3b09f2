/// A peak reduced to one point (its centre), ready for merging.
public struct PeakPoint: Sendable, Equatable {
    /// Chromosome rank: merged peaks come out chromosome by chromosome in increasing rank.
    public var chrom: Int
    public var strand: Strand
    /// The 0-based centre coordinate.
    public var center: Int
    /// Label column (cell-type index).
    public var cell: Int

    public init(chrom: Int, strand: Strand, center: Int, cell: Int) {
        self.chrom = chrom; self.strand = strand; self.center = center; self.cell = cell
    }

    /// Basset's centre of a peak: the midpoint with Python 2 floor division, `(start + end) / 2`.
    @inlinable public static func midpoint(start: Int, end: Int) -> Int { floorDiv(start + end, 2) }
}

/// A merged feature: `featureSize` bases with the cell types it is active in.
public struct MergedPeak: Sendable, Equatable {
    public var chrom: Int
    public var start: Int
    public var end: Int
    public var strand: Strand
    public var activity: ActivitySet

    public init(chrom: Int, start: Int, end: Int, strand: Strand, activity: ActivitySet) {
        self.chrom = chrom; self.start = start; self.end = end; self.strand = strand; self.activity = activity
    }
}

@inlinable func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
}

/// Merges peaks from several cell types exactly as Basset's `preprocess_features.py`:
///
/// 1. every peak becomes its centre point (midpoint, Python 2 integer division);
/// 2. per chromosome and strand, points are sorted and extended to `featureSize`
///    (`start = max(0, mid − size/2)`, `end = start + size`, shifted back inside the chromosome end);
/// 3. a sweep collects runs of features whose overlap with the run so far is at least
///    `mergeOverlap`; within a run, the adjacent pair with the largest overlap is merged while
///    that overlap is ≥ `mergeOverlap` (ties: the leftmost pair). Merging places a feature of
///    `featureSize` at `int(0.5 + weighted mean of the two midpoints)`, weights `1 + |activity|`,
///    and unites the activities.
///
/// The output is ordered by chromosome rank, then `+` before `-`, then position (Basset's own
/// order across chromosomes follows Python 2 dict hashing; within one chromosome and strand the
/// order and every coordinate are identical).
public struct BassetMerger: Sendable {
    public var featureSize: Int
    public var mergeOverlap: Int

    public init(featureSize: Int = 600, mergeOverlap: Int = 200) {
        precondition(featureSize > 0)
        self.featureSize = featureSize
        self.mergeOverlap = mergeOverlap
    }

    /// `chromLengths[rank]` caps features at that chromosome's end (`nil` or 0: no cap, as Basset
    /// without a chrom-sizes entry).
    public func merge(_ points: [PeakPoint], chromLengths: [Int?]) -> [MergedPeak] {
        var sorted = points
        sorted.sort { a, b in
            if a.chrom != b.chrom { return a.chrom < b.chrom }
            if a.strand != b.strand { return a.strand == .plus }
            if a.center != b.center { return a.center < b.center }
            return a.cell < b.cell
        }
        var out = [MergedPeak]()
        out.reserveCapacity(points.count)
        var open = [Feature]()
        var openEnd = 0
        var i = 0
        while i < sorted.count {
            // One chromosome/strand group.
            let chrom = sorted[i].chrom, strand = sorted[i].strand
            let cap = chrom < chromLengths.count ? chromLengths[chrom] : nil
            open.removeAll(keepingCapacity: true)
            while i < sorted.count && sorted[i].chrom == chrom && sorted[i].strand == strand {
                let p = sorted[i]
                i += 1
                // Basset writes (mid, mid+1) and extends from that interval's midpoint, i.e. mid.
                var f = place(mid: PeakPoint.midpoint(start: p.center, end: p.center + 1), cap: cap)
                f.activity.insert(p.cell)
                if open.isEmpty {
                    open.append(f); openEnd = f.end
                } else if openEnd - mergeOverlap <= f.start {
                    close(&open, cap: cap, chrom: chrom, strand: strand, into: &out)
                    open.append(f); openEnd = f.end
                } else {
                    open.append(f); openEnd = max(openEnd, f.end)
                }
            }
            if !open.isEmpty { close(&open, cap: cap, chrom: chrom, strand: strand, into: &out) }
        }
        return out
    }

    struct Feature {
        var start: Int
        var end: Int
        var activity = ActivitySet()
    }

    @inline(__always)
    func place(mid: Int, cap: Int?) -> Feature {
        var start = max(0, mid - floorDiv(featureSize, 2))
        var end = start + featureSize
        if let cap, cap != 0, end > cap {
            end = cap
            start = end - featureSize
        }
        return Feature(start: start, end: end)
    }

    /// Basset's `merge_peaks` on one run, then emits the survivors.
    func close(_ run: inout [Feature], cap: Int?, chrom: Int, strand: Strand, into out: inout [MergedPeak]) {
        var maxOverlap = mergeOverlap
        while run.count > 1 && maxOverlap >= mergeOverlap {
            var maxI = 0
            maxOverlap = run[0].end - run[1].start
            var k = 1
            while k < run.count - 1 {
                let ov = run[k].end - run[k + 1].start
                if ov > maxOverlap { maxI = k; maxOverlap = ov }
                k += 1
            }
            if maxOverlap >= mergeOverlap {
                let a = run[maxI], b = run[maxI + 1]
                let m1 = PeakPoint.midpoint(start: a.start, end: a.end)
                let m2 = PeakPoint.midpoint(start: b.start, end: b.end)
                let w1 = 1 + a.activity.count, w2 = 1 + b.activity.count
                // numpy.average in float64, then int(0.5 + avg) (truncation).
                let avg = Double(m1 * w1 + m2 * w2) / Double(w1 + w2)
                let mid = Int((0.5 + avg).rounded(.towardZero))
                var merged = place(mid: mid, cap: cap)
                merged.activity = a.activity
                merged.activity.formUnion(b.activity)
                run[maxI] = merged
                run.remove(at: maxI + 1)
            }
        }
        for f in run {
            out.append(MergedPeak(chrom: chrom, start: f.start, end: f.end, strand: strand, activity: f.activity))
        }
        run.removeAll(keepingCapacity: true)
    }
}
