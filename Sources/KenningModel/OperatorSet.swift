import KenningCore

/// An ONNX opset import: the operator domain (empty for the default one) and its version.
public struct OperatorSet: Sendable, Equatable {
    public var domain: String
    public var version: Int
    public init(domain: String, version: Int) {
        self.domain = domain
        self.version = version
    }
}
