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

public struct ValueInfo: Sendable, Equatable {
    public var name: String
    public var elementType: ElementType
    public var shape: [Dimension]?

    public init(name: String, elementType: ElementType, shape: [Dimension]?) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }

    /// The shape with unknown dimensions as -1 (Kenning's IO-spec convention).
    public var specShape: [Int] { (shape ?? []).map { $0.value ?? -1 } }

    public var tensorSpec: TensorSpec { TensorSpec(name: name, shape: specShape, elementType: elementType) }
}

public enum AttributeValue: Sendable, Equatable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(Tensor)
}

public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [(String, AttributeValue)]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [(String, AttributeValue)] = [])
    {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    public static func == (a: Node, b: Node) -> Bool {
        a.name == b.name && a.opType == b.opType && a.domain == b.domain && a.inputs == b.inputs && a.outputs == b.outputs
            && a.attributes.count == b.attributes.count
            && zip(a.attributes, b.attributes).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public subscript(attribute name: String) -> AttributeValue? { attributes.first { $0.0 == name }?.1 }

    public func int(_ name: String, default d: Int) -> Int {
        if case let .int(v)? = self[attribute: name] { return v }
        return d
    }

    public func float(_ name: String, default d: Float) -> Float {
        if case let .float(v)? = self[attribute: name] { return v }
        return d
    }

    public func ints(_ name: String) -> [Int]? {
        if case let .ints(v)? = self[attribute: name] { return v }
        return nil
    }

    public func string(_ name: String) -> String? {
        if case let .string(v)? = self[attribute: name] { return v }
        return nil
    }

    /// Human-readable reference used in error messages.
    public var label: String { "node \"\(name.isEmpty ? outputs.first ?? "?" : name)\" (\(opType))" }

    /// Names of real inputs (ONNX marks an omitted optional input with an empty name).
    public var presentInputs: [String] { inputs.filter { !$0.isEmpty } }
}

public struct Graph: Sendable, Equatable {
    public var name: String
    public var nodes: [Node]
    public var initializers: [String: Tensor]
    /// Initializer names in file order (for stable writing).
    public var initializerOrder: [String]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    public var valueInfo: [ValueInfo]

    public init(name: String, nodes: [Node], initializers: [(String, Tensor)], inputs: [ValueInfo], outputs: [ValueInfo],
                valueInfo: [ValueInfo] = [])
    {
        self.name = name
        self.nodes = nodes
        self.initializers = Dictionary(initializers, uniquingKeysWith: { a, _ in a })
        self.initializerOrder = initializers.map(\.0)
        self.inputs = inputs
        self.outputs = outputs
        self.valueInfo = valueInfo
    }

    /// Graph inputs that are not initializers (older exporters list weights as inputs too).
    public var runtimeInputs: [ValueInfo] { inputs.filter { initializers[$0.name] == nil } }

    public mutating func setInitializer(_ name: String, _ t: Tensor) {
        if initializers[name] == nil { initializerOrder.append(name) }
        initializers[name] = t
    }

    public mutating func removeInitializer(_ name: String) {
        initializers[name] = nil
        initializerOrder.removeAll { $0 == name }
    }

    /// Nodes ordered so every node follows the producers of its inputs; fails on a cycle or a missing value.
    public func topologicallySorted() throws(KenningError) -> [Node] {
        var available = Set(initializers.keys).union(inputs.map(\.name))
        available.insert("")
        var pending = nodes
        var ordered: [Node] = []
        ordered.reserveCapacity(nodes.count)
        while !pending.isEmpty {
            var progressed = false
            var rest: [Node] = []
            for node in pending {
                if node.inputs.allSatisfy(available.contains) {
                    ordered.append(node)
                    available.formUnion(node.outputs)
                    progressed = true
                } else {
                    rest.append(node)
                }
            }
            if !progressed {
                let node = rest[0]
                let missing = node.inputs.first { !available.contains($0) } ?? "?"
                let produced = Set(nodes.flatMap(\.outputs))
                let what = produced.contains(missing)
                    ? "the graph has a cycle through \(node.label)"
                    : "\(node.label) reads \"\(missing)\", which no node, input or initializer provides"
                throw .badInput("invalid model: \(what)", fix: "re-export the model; it is not a valid ONNX graph")
            }
            pending = rest
        }
        return ordered
    }

    /// Number of consumers of each value name (graph outputs count as consumers).
    public func useCounts() -> [String: Int] {
        var uses: [String: Int] = [:]
        for n in nodes { for i in n.presentInputs { uses[i, default: 0] += 1 } }
        for o in outputs { uses[o.name, default: 0] += 1 }
        return uses
    }
}

public struct OperatorSet: Sendable, Equatable {
    public var domain: String
    public var version: Int
    public init(domain: String, version: Int) {
        self.domain = domain
        self.version = version
    }
}

/// An ONNX model held in memory.
public struct Model: Sendable, Equatable {
    public var irVersion: Int
    public var opsets: [OperatorSet]
    public var producerName: String
    public var producerVersion: String
    public var graph: Graph

    public init(irVersion: Int = 8, opsets: [OperatorSet] = [OperatorSet(domain: "", version: 17)], producerName: String = "",
                producerVersion: String = "", graph: Graph)
    {
        self.irVersion = irVersion
        self.opsets = opsets
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.graph = graph
    }

    public var defaultOpset: Int { opsets.first { $0.domain == "" || $0.domain == "ai.onnx" }?.version ?? 1 }

    public var ioSpec: IOSpec {
        IOSpec(inputs: graph.runtimeInputs.map(\.tensorSpec), outputs: graph.outputs.map(\.tensorSpec))
    }
}
