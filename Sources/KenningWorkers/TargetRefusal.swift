/// Why a target could not do what a request asked; the server answers FAIL and sends the reason as a log record.
public struct TargetRefusal: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}
