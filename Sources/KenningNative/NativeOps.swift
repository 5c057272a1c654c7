import Foundation
import KenningCore
import KenningModel

/// Ops the reference backend executes (domain "" unless noted).
public enum NativeOps {
    public static let supported: Set<String> = [
        "Conv", "Gemm", "MatMul", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Add", "Sub", "Mul", "Div", "MaxPool",
        "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization", "Flatten", "Reshape", "Transpose",
        "Concat", "Softmax", "Identity", "Dropout", "Constant", "Cast", "Squeeze", "Unsqueeze",
        "LRN", "Sum", "Max", "Min", "ConstantOfShape", "Shape", "Gather", "QuantizeLinear", "DequantizeLinear",
        "com.microsoft.FusedConv", "com.microsoft.FusedGemm",
    ]

    public static func key(_ node: Node) -> String {
        node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
    }

    /// Nodes of `model` that no kernel covers.
    public static func unsupportedNodes(in model: Model) -> [Node] {
        model.graph.nodes.filter { !supported.contains(key($0)) }
    }
}
