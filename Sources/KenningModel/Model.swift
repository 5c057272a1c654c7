import KenningCore

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
