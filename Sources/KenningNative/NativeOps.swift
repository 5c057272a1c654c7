import Foundation
import KenningCore
import KenningModel

/// The ops the native runtime executes and how a node is named among them.
public enum NativeOps {
    /// Op keys with a kernel, and If, which the planner resolves (ControlFlow) into the branch it takes.
    public static var supported: Set<String> { ReferenceOps.keys.union(["If"]) }

    public static func key(_ node: Node) -> String {
        node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
    }

    /// Nodes of `model` that no kernel covers.
    public static func unsupportedNodes(in model: Model) -> [Node] {
        unsupportedNodes(in: model.graph)
    }

    /// Nodes of `graph` and of its nodes' subgraphs that no kernel covers.
    static func unsupportedNodes(in graph: Graph) -> [Node] {
        graph.nodes.flatMap { node in
            (supported.contains(key(node)) ? [] : [node]) + node.subgraphs.flatMap { unsupportedNodes(in: $0.1) }
        }
    }
}
