import KenningCore

public struct OperatorSet: Sendable, Equatable {
    public var domain: String
    public var version: Int
    public init(domain: String, version: Int) {
        self.domain = domain
        self.version = version
    }
}
