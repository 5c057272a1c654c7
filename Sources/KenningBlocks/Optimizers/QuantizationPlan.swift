import Foundation
import KenningCore
import KenningModel
import KenningNative

/// Which nodes get int8 weights and which activation values get QuantizeLinear/DequantizeLinear.
struct QuantizationPlan {
    /// Indices of Conv / Gemm nodes with constant weights.
    var nodes: [Int] = []
    /// Their float inputs and their (post-activation) outputs, excluding graph outputs.
    var activations: [String] = []

    init(model: Model) {
        let g = model.graph
        let graphOutputs = Set(g.outputs.map(\.name))
        var readers: [String: [Int]] = [:]
        for (i, n) in g.nodes.enumerated() { for v in n.presentInputs { readers[v, default: []].append(i) } }
        var seen = Set<String>()
        func add(_ v: String) {
            if !graphOutputs.contains(v), g.initializers[v] == nil, seen.insert(v).inserted { activations.append(v) }
        }
        for (i, n) in g.nodes.enumerated() where n.domain.isEmpty {
            let constantW = n.inputs.count > 1 && g.initializers[n.inputs[1]] != nil
            let constantB = n.inputs.count < 3 || n.inputs[2].isEmpty || g.initializers[n.inputs[2]] != nil
            switch n.opType {
            case "Conv" where constantW && constantB && g.initializers[n.inputs[1]]?.shape.count == 4: break
            case "Gemm" where constantW && constantB && n.int("transA", default: 0) == 0 && n.float("alpha", default: 1) == 1
                && n.float("beta", default: 1) == 1 && (n.inputs.count < 3 || n.inputs[2].isEmpty || g.initializers[n.inputs[2]]?.shape.count == 1):
                break
            default: continue
            }
            nodes.append(i)
            add(n.inputs[0])
            var out = n.outputs[0]
            if let r = readers[out], r.count == 1, ["Relu", "Clip"].contains(g.nodes[r[0]].opType) { out = g.nodes[r[0]].outputs[0] }
            add(out)
        }
    }
}
