import KenningCore

/// Random inputs with random labels, for pure-latency runs (Kenning's RandomizedClassificationDataset).
public struct RandomizedClassificationDataset: Dataset {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let inputdims = ParameterKey<[Double]>("inputdims")
        static let outputdims = ParameterKey<[Double]>("outputdims")
        static let samplescount = ParameterKey<Int>("samplescount")
    }

    public static let description = BlockDescription(
        kind: .dataset, name: "RandomizedClassificationDataset", kenningModule: "kenning.datasets.random_dataset",
        summary: "Uniform random samples and labels for latency measurements (accuracy is meaningless)",
        parameters: DatasetParameters.common(root: "build/random-dataset") + [
            ParameterSpec(Key.samplescount, .integer, default: 1000, range: 1...1_000_000, help: "Number of samples"),
            ParameterSpec(Key.inputdims, .numberList, default: [224, 224, 3], help: "Shape of one sample"),
            ParameterSpec(Key.outputdims, .numberList, default: [1000], help: "Shape of one output; its size is the class count"),
        ])

    public let classNames: [String]
    public let sampleShape: [Int]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    private let seed: UInt64
    private let labels: [Int]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        let dims = p[Key.inputdims].map { Int($0) }
        guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 }) else {
            throw .badInput("inputdims must be a non-empty list of positive sizes", path: "$.parameters.inputdims", fix: "e.g. [8, 8] or [224, 224, 3]")
        }
        let classes = p[Key.outputdims].map { Int($0) }.reduce(1, *)
        guard classes > 0 else { throw .badInput("outputdims must describe at least one class", path: "$.parameters.outputdims", fix: "e.g. [10]") }
        sampleShape = dims
        classNames = (0..<classes).map { "class_\($0)" }
        batchSize = p[CommonParameter.inferenceBatchSize]
        seed = UInt64(bitPattern: Int64(p[CommonParameter.splitSeed]))
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        labels = (0..<p[Key.samplescount]).map { _ in Int(rng.next() % UInt64(classes)) }
        (trainIndices, testIndices) = DatasetParameters.split(labels: labels, p)
    }

    public func sample(_ index: Int) -> [Float] {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        return (0..<sampleShape.reduce(1, *)).map { _ in Float(rng.next() >> 40) / Float(1 << 24) }
    }

    public func label(_ index: Int) -> Int { labels[index] }
}
