import Foundation
import KenningCore
import KenningModel

/// Reference kernels: convolutions, dense layers, pooling, normalization and softmax.
extension ReferenceOps {
    static func registerNeuralNetwork(_ table: inout Table) {
        table.add("Conv", "com.microsoft.FusedConv") { node, c in
            let threads = c.threads
            let act = try Activation(node: node)
            return { a in [try Kernels.conv(x: try required(a, 0, "X"), w: try required(a, 1, "W"), b: a.count > 2 ? a[2] : nil,
                                            z: a.count > 3 ? a[3] : nil, node: node, activation: act, threads: threads)] }
        }
        table.add("Gemm", "com.microsoft.FusedGemm") { node, c in
            let threads = c.threads
            let act = try Activation(node: node)
            return { a in [try Kernels.gemm(a: try required(a, 0, "A"), b: try required(a, 1, "B"), c: a.count > 2 ? a[2] : nil,
                                            node: node, activation: act, threads: threads)] }
        }
        table.add("MatMul") { _, c in
            let threads = c.threads
            return { a in [try Kernels.matmul(a: try required(a, 0, "A"), b: try required(a, 1, "B"), threads: threads)] }
        }
        // MatMul with a bias (its output width) and an activation, as GraphPasses.fuseMatMulBias and fuseActivations write it.
        table.add("kenning.native.MatMul") { node, c in
            let threads = c.threads
            let act = try Activation(node: node)
            return { a in
                let product = try Kernels.matmul(a: try required(a, 0, "A"), b: try required(a, 1, "B"), threads: threads)
                let biased = try Kernels.broadcasting(product, try required(a, 2, "bias")) { $0 + $1 }
                return [act == .none ? biased : Kernels.unary(biased) { act.apply($0) }]
            }
        }
        table.add("LRN") { node, _ in
            let size = node.int("size", default: 1), alpha = node.float("alpha", default: 1e-4)
            let beta = node.float("beta", default: 0.75), bias = node.float("bias", default: 1)
            return { a in [try Kernels.lrn(try required(a, 0, "X"), size: size, alpha: alpha, beta: beta, bias: bias)] }
        }
        table.add("MaxPool") { node, c in
            let threads = c.threads
            return { a in [try Kernels.pool(x: try required(a, 0, "X"), node: node, isMax: true, threads: threads)] }
        }
        table.add("AveragePool") { node, c in
            let threads = c.threads
            return { a in [try Kernels.pool(x: try required(a, 0, "X"), node: node, isMax: false, threads: threads)] }
        }
        table.add("GlobalAveragePool") { _, _ in { a in [try Kernels.globalPool(x: try required(a, 0, "X"), isMax: false)] } }
        table.add("GlobalMaxPool") { _, _ in { a in [try Kernels.globalPool(x: try required(a, 0, "X"), isMax: true)] } }
        table.add("BatchNormalization") { node, _ in
            let eps = node.float("epsilon", default: 1e-5)
            return { a in
                [try Kernels.batchNorm(x: try required(a, 0, "X"), scale: try required(a, 1, "scale"), bias: try required(a, 2, "B"),
                                       mean: try required(a, 3, "mean"), variance: try required(a, 4, "var"), epsilon: eps)]
            }
        }
        table.add("Softmax") { node, c in
            let opset = c.opset
            let axis = node.int("axis", default: opset >= 13 ? -1 : 1)
            let threads = c.threads
            return { a in [try Kernels.softmax(x: try required(a, 0, "input"), axis: axis, legacy: opset < 13, threads: threads)] }
        }
    }
}
