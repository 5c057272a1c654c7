import KenningCore

/// A node attribute's value, as ONNX stores it.
public enum AttributeValue: Sendable, Equatable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(Tensor)
    /// A subgraph (If's branches, Loop's body).
    case graph(Graph)
}
