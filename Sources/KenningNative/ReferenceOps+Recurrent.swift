import KenningCore
import KenningModel

/// Reference kernels: recurrent layers, Einsum and the selection ops of sequence and detection models.
extension ReferenceOps {
    static func registerRecurrent(_ table: inout Table) {
        table.add("RNN", "GRU", "LSTM") { node, _ in
            let spec = try Kernels.RecurrentSpec(node: node)
            return { a in try Kernels.recurrent(spec, a) }
        }
        table.add("Einsum") { node, _ in
            let equation = node.string("equation") ?? ""
            return { a in
                let inputs = try a.indices.map { try required(a, $0, "Inputs") }
                return [try Kernels.einsum(try Kernels.EinsumEquation(equation, ranks: inputs.map(\.shape.count)), inputs)]
            }
        }
        table.add("TopK") { node, c in
            let axis = node.int("axis", default: -1), largest = node.int("largest", default: 1) != 0
            let attributeK = node.int("k", default: -1)
            return { a in
                let x = try required(a, 0, "X")
                // K is an input from opset 10, an attribute before.
                let k = c.opset >= 10 ? Int(try required(a, 1, "K").ints.first ?? -1) : attributeK
                return try Kernels.topK(x, k: k, axis: axis, largest: largest)
            }
        }
        table.add("NonZero") { _, _ in { a in [Kernels.nonZero(try required(a, 0, "X"))] } }
    }
}
