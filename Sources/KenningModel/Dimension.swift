import KenningCore

/// A dimension of a declared shape: a number, or a name for a size given at run time.
public enum Dimension: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)

    public var description: String {
        switch self {
        case let .fixed(n): return String(n)
        case let .symbolic(s): return s.isEmpty ? "?" : s
        }
    }

    public var value: Int? {
        if case let .fixed(n) = self { return n }
        return nil
    }
}
