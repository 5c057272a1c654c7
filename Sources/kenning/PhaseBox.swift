import Synchronization

/// The stage a run is in, shared with the runner's callback.
final class PhaseBox: Sendable {
    private let value = Mutex("load")
    func set(_ v: String) { value.withLock { $0 = v } }
    func get() -> String { value.withLock { $0 } }
}
