import KenningCore

extension GraphPasses {
    /// Rewrites `x · Sigmoid(x)` (SiLU, or swish: YOLO's and EfficientNet's activation) into one `kenning.native.SiLU`
    /// node, which the native runtime fuses into the convolution before it, when the sigmoid has no other reader.
    public static func recognizeSiLU(_ model: inout Model) -> PassReport {
        var g = model.graph
        let uses = g.useCounts()
        let producers = Dictionary(g.nodes.enumerated().flatMap { i, n in n.outputs.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        let outputs = Set(g.outputs.map(\.name))
        var remove = Set<Int>()
        var rewritten = 0
        for (i, node) in g.nodes.enumerated() where node.opType == "Mul" && node.domain.isEmpty && node.inputs.count == 2 {
            for side in 0..<2 {
                let x = node.inputs[side], gate = node.inputs[1 - side]
                guard let si = producers[gate], !remove.contains(si), g.nodes[si].opType == "Sigmoid", g.nodes[si].domain.isEmpty,
                      g.nodes[si].inputs.first == x, uses[gate] == 1, !outputs.contains(gate) else { continue }
                g.nodes[i] = Node(name: node.name, opType: "SiLU", domain: "kenning.native", inputs: [x], outputs: node.outputs)
                remove.insert(si)
                rewritten += 1
                break
            }
        }
        g.nodes = g.nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        model.graph = g
        return PassReport(name: "recognize_silu", changes: rewritten)
    }
}
