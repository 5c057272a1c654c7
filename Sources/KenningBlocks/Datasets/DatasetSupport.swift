import KenningCore

/// The split every dataset uses: per class (in ascending order), shuffle that class's indices with SplitMix64
/// (Fisher–Yates from the end), put the first round(n·fraction) into the test part; both parts sorted.
///
/// When that leaves the test part empty although the fraction asks for samples — many classes with one or two
/// samples each, where every class rounds down to none — the test part is instead round(N·fraction) samples (at least
/// one, at most N − 1) drawn from all of them with the same shuffle.
public func stratifiedSplit(labels: [Int], indices: [Int], testFraction: Double, seed: Int) -> (train: [Int], test: [Int]) {
    if testFraction <= 0 { return (indices.sorted(), []) }
    if testFraction >= 1 { return ([], indices.sorted()) }
    let split = perClassSplit(labels: labels, indices: indices, testFraction: testFraction, seed: seed)
    guard split.test.isEmpty, indices.count >= 2 else { return split }
    var all = indices.sorted()
    var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
    for i in stride(from: all.count - 1, to: 0, by: -1) { all.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    let n = min(all.count - 1, max(1, Int((Double(all.count) * testFraction).rounded())))
    return (Array(all.dropFirst(n)).sorted(), Array(all.prefix(n)).sorted())
}

private func perClassSplit(labels: [Int], indices: [Int], testFraction: Double, seed: Int) -> (train: [Int], test: [Int]) {
    var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
    var train: [Int] = [], test: [Int] = []
    for c in Set(indices.map { labels[$0] }).sorted() {
        var idx = indices.filter { labels[$0] == c }
        if idx.count > 1 {
            for i in stride(from: idx.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                idx.swapAt(i, j)
            }
        }
        let nt = Int((Double(idx.count) * testFraction + 0.5).rounded(.down))
        test += idx.prefix(nt)
        train += idx.dropFirst(nt)
    }
    return (train.sorted(), test.sorted())
}

/// Keeps `fraction` of each class, in the original order (Kenning's `reduce_dataset`).
public func reduceStratified(labels: [Int], fraction: Double) -> [Int] {
    guard fraction < 1 else { return Array(labels.indices) }
    var totals: [Int: Int] = [:]
    for l in labels { totals[l, default: 0] += 1 }
    var taken: [Int: Int] = [:]
    return labels.indices.filter { i in
        let c = labels[i]
        let limit = max(1, Int((Double(totals[c]!) * fraction).rounded()))
        guard taken[c, default: 0] < limit else { return false }
        taken[c, default: 0] += 1
        return true
    }
}

/// Parameters every dataset takes (Kenning's Dataset base class), declared once.
public enum DatasetParameters {
    /// Train and test indices from the common parameters: `reduce_dataset`, then the stratified test split, then the
    /// validation part (`split_fraction_val`) taken out of the training part.
    public static func split(labels: [Int], _ p: ResolvedParameters) -> (train: [Int], test: [Int]) {
        let seed = p[CommonParameter.splitSeed]
        let testFraction = p[CommonParameter.splitFractionTest]
        let kept = reduceStratified(labels: labels, fraction: p[CommonParameter.reduceDataset])
        let split = stratifiedSplit(labels: labels, indices: kept, testFraction: testFraction, seed: seed)
        guard let val = p["split_fraction_val"]?.doubleValue, val > 0 else { return split }
        let inner = stratifiedSplit(labels: labels, indices: split.train, testFraction: min(1, val / max(1e-9, 1 - testFraction)), seed: seed)
        return (inner.train, split.test)
    }

    public static func common(root: JSONValue?) -> [ParameterSpec] {
        [
            ParameterSpec(CommonParameter.datasetRoot, .path, default: root, help: "Directory that holds the data set"),
            ParameterSpec(CommonParameter.inferenceBatchSize, .integer, default: 1, range: 1...65536, help: "Samples per inference batch"),
            ParameterSpec("download_dataset", .boolean, default: true, help: "Download the data set when it is missing (Kenning's switch; the built-in data sets ship with the repository or are generated, so nothing is downloaded)"),
            ParameterSpec("force_download_dataset", .boolean, default: false, help: "Download even when the data is present (no effect for the built-in data sets)"),
            ParameterSpec("external_calibration_dataset", .path, default: .null, nullable: true,
                          help: "Directory with calibration samples for quantizers (Kenning's parameter; the built-in optimizers calibrate on the training split)"),
            ParameterSpec(CommonParameter.splitFractionTest, .number, default: 0.2, range: 0...1, help: "Fraction of samples in the test split"),
            ParameterSpec("split_fraction_val", .number, default: .null, nullable: true, range: 0...1,
                          help: "Fraction of samples in the validation split (taken from the training part)"),
            ParameterSpec(CommonParameter.splitSeed, .integer, default: 1234, help: "Seed of the split's shuffle"),
            ParameterSpec(CommonParameter.reduceDataset, .number, default: 1.0, range: 0.000001...1, help: "Fraction of the data set to use (0 < x ≤ 1)"),
        ]
    }
}
