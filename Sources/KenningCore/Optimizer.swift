
public protocol Optimizer: Sendable {
    var inputFormats: [ModelFormat] { get }
    var outputFormat: ModelFormat { get }
    var compiledModelPath: String { get }
    var framework: FrameworkInfo { get }
    /// Compiles `input` and writes the result (and its IO spec side file) at `compiledModelPath`.
    func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact
}
