import Foundation
import KenningCore
import KenningModel

/// Reference kernels: element-wise activations.
extension ReferenceOps {
    static func registerActivations(_ table: inout Table) {
        table.add("Relu") { _, _ in { a in [Kernels.relu(try required(a, 0, "X"))] } }
        table.add("Sigmoid") { _, _ in { a in [Kernels.unary(try required(a, 0, "X")) { 1 / (1 + expf(-$0)) }] } }
        // x · sigmoid(x), as GraphPasses.recognizeSiLU writes it.
        table.add("kenning.native.SiLU") { _, _ in { a in [Kernels.unary(try required(a, 0, "X")) { $0 / (1 + expf(-$0)) }] } }
        table.add("Tanh") { _, _ in { a in [Kernels.unary(try required(a, 0, "X")) { tanhf($0) }] } }
        table.add("LeakyRelu") { node, _ in
            let alpha = node.float("alpha", default: 0.01)
            return { a in [Kernels.unary(try required(a, 0, "X")) { $0 >= 0 ? $0 : alpha * $0 }] }
        }
        table.add("Clip") { node, c in
            let opset = c.opset
            let attrMin = node.float("min", default: -.infinity), attrMax = node.float("max", default: .infinity)
            return { a in
                let lo = opset >= 11 ? (a.count > 1 ? a[1]?.floats.first ?? -.infinity : -.infinity) : attrMin
                let hi = opset >= 11 ? (a.count > 2 ? a[2]?.floats.first ?? .infinity : .infinity) : attrMax
                return [Kernels.unary(try required(a, 0, "X")) { min(max($0, lo), hi) }]
            }
        }
    }
}
