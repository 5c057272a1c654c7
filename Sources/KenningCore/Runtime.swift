/// A block that loads a model in one format and runs inference on it; `load` opens a session owned by one task.
public protocol Runtime: Sendable {
    var inputFormats: [ModelFormat] { get }
    /// Where the runtime loads its model from (Kenning's `save_model_path`).
    var saveModelPath: String? { get }
    var framework: FrameworkInfo { get }
    /// Why this runtime cannot run `model` (before any work starts), or nil when it can.
    func incompatibility(with model: ModelArtifact) -> String?
    func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession
}
