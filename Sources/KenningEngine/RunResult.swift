import KenningCore

/// How an isolated run ended, as the child reports it (a run that dies reports nothing: the parent classifies it
/// from the exit).
public struct RunResult: Codable, Sendable, Equatable {
    /// The pipeline phase the run was in when it ended (`load`, `compile`, `measure`, …).
    public var phase: String
    /// nil on success; else the error's code (`KenningError.Code` raw value), kind and message.
    public var errorCode: String?
    public var errorKind: String?
    public var message: String?

    public init(phase: String, error: KenningError? = nil) {
        self.phase = phase
        errorCode = error?.code.rawValue
        errorKind = error.map { $0.kind == .badInput ? "bad_input" : "failure" }
        message = error?.description
    }

    public var succeeded: Bool { errorCode == nil }

    /// The error's code (`unspecified` for a code this version does not know).
    public var code: KenningError.Code? { errorCode.map { KenningError.Code(rawValue: $0) ?? .unspecified } }
}
