
/// Wraps a model file: where it is, its format, and how data goes in and out of it.
public protocol ModelWrapper: Sendable {
    var modelPath: String { get }
    var format: ModelFormat { get }
    var framework: FrameworkInfo { get }
    /// Reads the model and returns it as an artifact (IO spec included). Bad or missing models are `badInput`.
    func artifact() throws(KenningError) -> ModelArtifact
    /// Turns a batch of raw samples into the model's input tensors.
    func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor]
    /// Turns the model's outputs into per-sample class scores.
    func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]]
}
