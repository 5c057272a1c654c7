
/// Wraps a model file: where it is, its format, and how data goes in and out of it.
public protocol ModelWrapper: Sendable {
    var modelPath: String { get }
    var format: ModelFormat { get }
    var framework: FrameworkInfo { get }
    /// Reads the model and returns it as an artifact (IO spec included). Bad or missing models are `badInput`.
    func artifact() throws(KenningError) -> ModelArtifact
    /// Turns a batch of raw samples into the model's input tensors.
    func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor]
    /// The same for samples made of several parts (``Dataset/inputShapes``); a wrapper of one-input models takes the
    /// single part as its sample.
    func preprocess(_ samples: [[Float]], inputShapes: [[Int]], io: IOSpec) throws(KenningError) -> [Tensor]
    /// Turns the model's outputs into per-sample class scores.
    func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]]
}

extension ModelWrapper {
    public func preprocess(_ samples: [[Float]], inputShapes: [[Int]], io: IOSpec) throws(KenningError) -> [Tensor] {
        guard inputShapes.count == 1 else {
            throw .badInput("the dataset's samples have \(inputShapes.count) parts, and this model wrapper feeds one input",
                            path: "$.model_wrapper.type", fix: "use AnyModel, which feeds each part to its own model input")
        }
        return try preprocess(samples, sampleShape: inputShapes[0], io: io)
    }
}
