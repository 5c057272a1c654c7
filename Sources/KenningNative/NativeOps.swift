import Foundation
import KenningCore
import KenningModel

/// The ops the native runtime executes and how a node is named among them.
public enum NativeOps {
    public static var supported: Set<String> { ReferenceOps.keys }

    public static func key(_ node: Node) -> String {
        node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
    }

    /// Nodes of `model` that no kernel covers.
    public static func unsupportedNodes(in model: Model) -> [Node] {
        model.graph.nodes.filter { !supported.contains(key($0)) }
    }
}
