
/// The single error type that crosses module boundaries. `badInput` maps to exit code 2, `failure` to 1.
///
/// `code` says what kind of problem it is for code that reacts to it (the search classifies a run by it, never by
/// the message); `underlying` keeps the error it was made from, when there is one.
public struct KenningError: Error, Sendable, CustomStringConvertible {
    /// Whether the user can fix the cause (bad input: exit code 2) or the run failed (exit code 1).
    public enum Kind: Sendable { case badInput, failure }

    /// What went wrong, for programs; the raw values travel between processes (the child run's status file).
    public enum Code: String, Sendable, CaseIterable {
        /// Nothing more specific than the kind.
        case unspecified
        /// The pipeline's blocks cannot run together (formats, ops, a kernel that cannot be exact on this CPU).
        case incompatiblePipeline = "incompatible_pipeline"
        /// The target measuring the model went away (its server died, the link dropped, it refused the connection).
        case targetLost = "target_lost"
        /// The target stopped answering within the protocol's timeout.
        case targetTimeout = "target_timeout"
    }

    public var kind: Kind
    public var problems: [Problem]
    public var code: Code
    public var underlying: (any Error & Sendable)?

    public init(_ kind: Kind, _ problems: [Problem], code: Code = .unspecified, underlying: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.problems = problems
        self.code = code
        self.underlying = underlying
    }

    public static func badInput(_ what: String, file: String? = nil, path: String? = nil, fix: String? = nil) -> KenningError {
        KenningError(.badInput, [Problem(what, file: file, path: path, fix: fix)])
    }

    public static func failure(_ what: String, file: String? = nil, path: String? = nil, fix: String? = nil) -> KenningError {
        KenningError(.failure, [Problem(what, file: file, path: path, fix: fix)])
    }

    public var exitCode: Int32 { kind == .badInput ? 2 : 1 }

    /// Adds a file name to every problem that has none yet.
    public func inFile(_ file: String) -> KenningError {
        var copy = self
        copy.problems = problems.map { p in
            var p = p
            if p.file == nil { p.file = file }
            return p
        }
        return copy
    }

    /// Prefixes every problem's JSON path with `prefix` (which is a JSON path such as `$.optimizers[0]`).
    public func under(_ prefix: String) -> KenningError {
        var copy = self
        copy.problems = problems.map { p in
            var p = p
            if let path = p.path, path.hasPrefix("$") {
                p.path = prefix + path.dropFirst()
            } else if p.path == nil {
                p.path = prefix
            }
            return p
        }
        return copy
    }

    public var description: String {
        if problems.count == 1 { return "error: \(problems[0])" }
        var lines = ["error: \(problems.count) problems"]
        for (i, p) in problems.enumerated() {
            lines.append("  \(i + 1). " + p.description.replacingOccurrences(of: "\n", with: "\n   "))
        }
        return lines.joined(separator: "\n")
    }
}
