import Foundation
import KenningCore
import KenningModel

/// Reference kernels: broadcasting arithmetic and variadic reductions of tensors.
extension ReferenceOps {
    static func registerArithmetic(_ table: inout Table) {
        table.add("Add") { _, _ in { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), .add)] } }
        table.add("Sub") { _, _ in { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), .sub)] } }
        table.add("Mul") { _, _ in { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), .mul)] } }
        table.add("Div") { _, _ in { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), .div)] } }
        table.add("Sum", "Max", "Min") { node, _ in
            let op = NativeOps.key(node)
            let f: BinaryOp = op == "Sum" ? .add : op == "Max" ? .max : .min
            return { a in
                let xs = a.compactMap { $0 }
                guard var acc = xs.first else { throw KernelError(reason: "\(op) needs at least one input") }
                for x in xs.dropFirst() { acc = try Kernels.binary(acc, x, f) }
                return [acc]
            }
        }
    }
}
