
/// A model on disk together with its format and IO specification.
public struct ModelArtifact: Sendable, Equatable {
    public var path: String
    public var format: ModelFormat
    public var io: IOSpec

    public init(path: String, format: ModelFormat, io: IOSpec) {
        self.path = path
        self.format = format
        self.io = io
    }
}
