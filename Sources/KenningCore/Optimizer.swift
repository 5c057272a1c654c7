/// A block that turns a model into another model (a compiler or a quantizer): it declares the formats it takes and
/// produces, and writes its artifact to `compiledModelPath`.
public protocol Optimizer: Sendable {
    var inputFormats: [ModelFormat] { get }
    var outputFormat: ModelFormat { get }
    var compiledModelPath: String { get }
    var framework: FrameworkInfo { get }
    /// What else, beside its parameters and framework version, decides this block's output on this machine (for the
    /// artifact cache's key): e.g. a quantizer's `reduce_range: auto` resolved from the CPU. Empty when nothing does.
    var machineContext: String { get }
    /// Compiles `input` and writes the result (and its IO spec side file) at `compiledModelPath`.
    func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact
}

extension Optimizer {
    public var machineContext: String { "" }
}
