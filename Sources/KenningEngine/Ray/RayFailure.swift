/// Why a call to Ray's Jobs API did not give an answer.
enum RayFailure: Error, Sendable, CustomStringConvertible {
    case unreachable(String)
    case unauthorized(String)
    case notFound(String)
    case http(Int, String)

    var description: String {
        switch self {
        case let .unreachable(why): return "Ray's dashboard is unreachable (\(why))"
        case let .unauthorized(text): return "Ray refused the token (\(text.prefix(200)))"
        case let .notFound(path): return "not found: \(path)"
        case let .http(code, text): return "HTTP \(code): \(text)"
        }
    }
}
