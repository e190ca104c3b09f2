/// Which rows go to training, validation and test.
public struct TrainTestSplit: Sendable, Equatable {
    public var train: [Int]
    public var valid: [Int]
    public var test: [Int]

    public init(train: [Int], valid: [Int], test: [Int]) {
        self.train = train; self.valid = valid; self.test = test
    }

    /// The original SigTFB split: rows are permuted with `seed`, then the last
    /// `floor(n · testFraction)` form the test set (as the original pipeline's
    /// `numTesting = floor(numPeaks * 0.05)`), the `floor(n · validFraction)` before them the
    /// validation set, and the rest (in permuted order) the training set, as Basset's `seq_hdf5.py -r`.
    public static func random(count: Int, testFraction: Double, validFraction: Double = 0, seed: UInt64) -> TrainTestSplit {
        precondition(testFraction >= 0 && validFraction >= 0 && testFraction + validFraction <= 1)
        var rng = SplitMixRandom(seed: seed)
        let order = rng.permutation(count)
        let nTest = Int((Double(count) * testFraction).rounded(.down))
        let nValid = Int((Double(count) * validFraction).rounded(.down))
        let nTrain = count - nTest - nValid
        return TrainTestSplit(train: Array(order[0..<nTrain]),
                              valid: Array(order[nTrain..<(nTrain + nValid)]),
                              test: Array(order[(nTrain + nValid)...]))
    }

    /// Held-out chromosomes: rows on `testChromosomes` form the test set (in their original order);
    /// of the others, a seeded `floor(m · validFraction)` form the validation set and the rest,
    /// permuted, the training set.
    public static func byChromosome(chromOfRow: [Int], testChromosomes: Set<Int>, validFraction: Double = 0,
                                    seed: UInt64) -> TrainTestSplit {
        precondition(validFraction >= 0 && validFraction <= 1)
        var test = [Int](), rest = [Int]()
        for (i, c) in chromOfRow.enumerated() {
            if testChromosomes.contains(c) { test.append(i) } else { rest.append(i) }
        }
        var rng = SplitMixRandom(seed: seed)
        rng.shuffle(&rest)
        let nValid = Int((Double(rest.count) * validFraction).rounded(.down))
        let nTrain = rest.count - nValid
        return TrainTestSplit(train: Array(rest[0..<nTrain]), valid: Array(rest[nTrain...]), test: test)
    }
}
