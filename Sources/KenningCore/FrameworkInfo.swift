
/// Name and version of the framework behind a block, recorded in measurements.
public struct FrameworkInfo: Sendable, Equatable {
    public var name: String
    public var version: String
    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}
