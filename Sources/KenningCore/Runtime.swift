/// A block that loads a model in one format and runs inference on it; `load` opens a session owned by one task.
public protocol Runtime: Sendable {
    var inputFormats: [ModelFormat] { get }
    /// Where the runtime loads its model from (Kenning's `save_model_path`).
    var saveModelPath: String? { get }
    var framework: FrameworkInfo { get }
    /// Why this runtime cannot run `model` (before any work starts), or nil when it can.
    func incompatibility(with model: ModelArtifact) -> String?
    func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession
    /// Starts, in the background, what this runtime's sessions need and is slow to start — in a search, its pooled
    /// framework worker in `poolFolder`, owned by this process — and returns a wait for it to be ready; nil when there is
    /// nothing to start.
    func startAhead(poolFolder: String) -> (@Sendable () -> Void)?
}

extension Runtime {
    /// Nothing to start ahead (a runtime that runs in this process).
    public func startAhead(poolFolder: String) -> (@Sendable () -> Void)? { nil }
}
