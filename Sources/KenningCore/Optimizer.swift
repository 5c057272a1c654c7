/// A block that turns a model into another model (a compiler or a quantizer): it declares the formats it takes and
/// produces, and writes its artifact to `compiledModelPath`.
public protocol Optimizer: Sendable {
    var inputFormats: [ModelFormat] { get }
    var outputFormat: ModelFormat { get }
    var compiledModelPath: String { get }
    var framework: FrameworkInfo { get }
    /// Compiles `input` and writes the result (and its IO spec side file) at `compiledModelPath`.
    func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact
}
