import KenningCore

/// Random inputs with random labels, for pure-latency runs (Kenning's RandomizedClassificationDataset).
public struct RandomizedClassificationDataset: Dataset {
    /// The names of this block's own parameters, with the types they are read as.
    /// Kenning's JSON keys (its `argparse_name`s: num_samples, num_classes, input_dims) and defaults.
    enum Key {
        static let inputDims = ParameterKey<[Double]>("input_dims")
        static let numClasses = ParameterKey<Int>("num_classes")
        static let numSamples = ParameterKey<Int>("num_samples")
    }

    public static let description = BlockDescription(
        kind: .dataset, name: "RandomizedClassificationDataset", kenningModule: "kenning.datasets.random_dataset",
        summary: "Uniform random samples and labels for latency measurements (accuracy is meaningless)",
        parameters: DatasetParameters.common(root: "build/random-dataset") + [
            ParameterSpec(Key.numSamples, .integer, default: 100, range: 1...1_000_000, help: "Number of samples"),
            ParameterSpec(Key.numClasses, .integer, default: 3, range: 1...1_000_000, help: "Number of classes"),
            ParameterSpec(Key.inputDims, .numberList, default: [224, 224, 3], help: "Shape of one sample"),
        ])

    public let classNames: [String]
    public let sampleShape: [Int]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    private let seed: UInt64
    private let labels: [Int]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        let dims = p[Key.inputDims].map { Int($0) }
        guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 }) else {
            throw .badInput("input_dims must be a non-empty list of positive sizes", path: "$.parameters.input_dims", fix: "e.g. [8, 8] or [224, 224, 3]")
        }
        let classes = p[Key.numClasses]
        sampleShape = dims
        classNames = (0..<classes).map { "class_\($0)" }
        batchSize = p[CommonParameter.inferenceBatchSize]
        seed = UInt64(bitPattern: Int64(p[CommonParameter.splitSeed]))
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        labels = (0..<p[Key.numSamples]).map { _ in Int(rng.next() % UInt64(classes)) }
        (trainIndices, testIndices) = DatasetParameters.split(labels: labels, p)
    }

    public func sample(_ index: Int) -> [Float] {
        let start = seed &+ UInt64(index) &* 0x9E37_79B9
        let count = sampleShape.reduce(1, *)
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count { out[i] = Float(SplitMix64.value(seed: start, at: i) >> 40) / Float(1 << 24) }
            initialized = count
        }
    }

    public func label(_ index: Int) -> Int { labels[index] }
}
