import KenningCore

/// An ONNX graph: nodes, constant initializers, inputs, outputs and declared value types.
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

    /// Values this graph reads that neither its nodes, inputs nor initializers provide: those of enclosing scopes
    /// (for a subgraph), at any depth of nesting.
    public var outerReferences: Set<String> {
        var local = Set(initializers.keys).union(inputs.map(\.name))
        for node in nodes { local.formUnion(node.outputs) }
        var read = Set<String>()
        for node in nodes {
            read.formUnion(node.presentInputs)
            read.formUnion(node.capturedInputs)
        }
        return read.subtracting(local)
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
                if node.inputs.allSatisfy(available.contains), node.subgraphs.isEmpty || node.capturedInputs.isSubset(of: available) {
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
