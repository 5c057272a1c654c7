import KenningCore

/// Recognizing hard swish in the forms exporters write it, so it can run as one op (and be fused into a convolution).
extension GraphPasses {
    /// Rewrites `x · HardSigmoid(x)` (alpha 1/6, beta 1/2), `x · Clip(x + 3, 0, 6) / 6` and `x · Clip(x + 3, 0, 6) · (1/6)`
    /// into `HardSwish(x)`, when every intermediate value has no other reader.
    public static func recognizeHardSwish(_ model: inout Model) -> PassReport {
        var g = model.graph
        let uses = g.useCounts()
        let producers = Dictionary(g.nodes.enumerated().flatMap { i, n in n.outputs.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        let opset = model.defaultOpset
        func scalar(_ name: String) -> Float? {
            guard let t = g.initializers[name], t.count == 1 else { return nil }
            return t.floats[0]
        }
        func near(_ a: Float?, _ b: Float) -> Bool { a.map { abs($0 - b) <= 1e-6 * max(1, abs(b)) } ?? false }
        /// The producer of `name` when it is `op` and `name` has no other reader.
        func only(_ name: String, _ op: String) -> Int? {
            guard let i = producers[name], g.nodes[i].opType == op, g.nodes[i].domain.isEmpty, uses[name] == 1,
                  !g.outputs.contains(where: { $0.name == name }) else { return nil }
            return i
        }
        /// `x` when `gate` is x · clip(x + 3, 0, 6) or x · HardSigmoid(x) computed by the nodes listed.
        func swished(_ product: Int) -> (x: String, nodes: [Int], scaled: Bool)? {
            let mul = g.nodes[product]
            guard mul.opType == "Mul", mul.inputs.count == 2 else { return nil }
            for side in 0..<2 {
                let x = mul.inputs[side], gate = mul.inputs[1 - side]
                if let hi = only(gate, "HardSigmoid"), g.nodes[hi].inputs.first == x,
                   near(g.nodes[hi].float("alpha", default: 0.2), 1 / 6), near(g.nodes[hi].float("beta", default: 0.5), 0.5) {
                    return (x, [hi], false)
                }
                guard let ci = only(gate, "Clip") else { continue }
                let clip = g.nodes[ci]
                let (lo, hi): (Float?, Float?) = opset >= 11
                    ? (clip.inputs.count > 1 ? scalar(clip.inputs[1]) : nil, clip.inputs.count > 2 ? scalar(clip.inputs[2]) : nil)
                    : (clip.float("min", default: .nan), clip.float("max", default: .nan))
                guard near(lo, 0), near(hi, 6), let ai = only(clip.inputs[0], "Add") else { continue }
                let add = g.nodes[ai]
                guard add.inputs.count == 2, let k = add.inputs.firstIndex(of: x), near(scalar(add.inputs[1 - k]), 3) else { continue }
                return (x, [ci, ai], true)
            }
            return nil
        }
        var remove = Set<Int>()
        var rewritten = 0
        for (i, node) in g.nodes.enumerated() where !remove.contains(i) && node.domain.isEmpty {
            var found: (x: String, nodes: [Int])?
            if node.opType == "Mul", let s = swished(i), !s.scaled {
                found = (s.x, s.nodes)
            } else if ["Div", "Mul"].contains(node.opType), node.inputs.count == 2 {
                for side in 0..<2 where found == nil {
                    let k = scalar(node.inputs[1 - side])
                    guard node.opType == "Div" ? (side == 0 && near(k, 6)) : near(k, 1 / 6),
                          let pi = only(node.inputs[side], "Mul"), let s = swished(pi), s.scaled else { continue }
                    found = (s.x, s.nodes + [pi])
                }
            }
            guard let found, found.nodes.allSatisfy({ !remove.contains($0) }) else { continue }
            g.nodes[i] = Node(name: node.name, opType: "HardSwish", domain: "", inputs: [found.x], outputs: node.outputs, attributes: [])
            remove.formUnion(found.nodes)
            rewritten += 1
        }
        g.nodes = g.nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        model.graph = g
        return PassReport(name: "recognize_hard_swish", changes: rewritten)
    }
}
