import Foundation
import KenningCore
import KenningModel

/// Reference kernels: quantization and the fused int8 convolution.
extension ReferenceOps {
    static func registerQuantized(_ table: inout Table) {
        table.add("QuantizeLinear", "DequantizeLinear") { node, _ in
            let op = NativeOps.key(node)
            let axis = node.int("axis", default: 1)
            let quantize = op == "QuantizeLinear"
            return { a in
                let x = try required(a, 0, "x"), scale = try required(a, 1, "scale"), zp = a.count > 2 ? a[2] : nil
                return [quantize ? try Kernels.quantize(x, scale: scale, zeroPoint: zp, axis: axis)
                    : try Kernels.dequantize(x, scale: scale, zeroPoint: zp, axis: axis)]
            }
        }
        table.add("kenning.native.QLinearConv") { node, c in
            let threads = c.threads
            return NativeSession.qlinearConvFallback(node, threads: threads)
        }
    }
}
