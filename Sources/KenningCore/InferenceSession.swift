
/// A loaded model, owned by one task.
public protocol InferenceSession: AnyObject {
    func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor]
    /// Seconds the last `run` spent inside the framework's own inference call, as measured where the model runs
    /// (e.g. by a worker process). nil means the host's timing of `run` is the measurement.
    var lastInferenceSeconds: Double? { get }
    /// What the session learned about itself that the measurements should record (e.g. the execution providers a
    /// framework really uses, and warnings about the fallbacks it made).
    var details: [(String, JSONValue)] { get }
}

extension InferenceSession {
    public var lastInferenceSeconds: Double? { nil }
    public var details: [(String, JSONValue)] { [] }
}
