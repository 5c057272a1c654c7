import KenningCore

/// What a pass changed, for logs and measurements.
public struct PassReport: Sendable, Equatable {
    public var name: String
    public var changes: Int
    public init(name: String, changes: Int) {
        self.name = name
        self.changes = changes
    }
}
