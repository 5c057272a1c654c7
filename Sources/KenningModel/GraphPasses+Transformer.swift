import KenningCore

/// Rewrites for transformer blocks as exporters write them.
extension GraphPasses {
    /// Replaces Gelu in its Erf form, x · ½ · (1 + erf(x / √2)) (Div by √2 or Mul by 1/√2; the two products in any
    /// order), by one Gelu node (ONNX's op from opset 20), which the native runtime can fuse into a MatMul.
    public static func recognizeGelu(_ model: inout Model) -> PassReport {
        var g = model.graph
        let uses = g.useCounts()
        let producer = Dictionary(g.nodes.enumerated().flatMap { i, n in n.outputs.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        let outputs = Set(g.outputs.map(\.name))
        func scalar(_ name: String) -> Float? {
            guard let t = g.initializers[name], t.count == 1, t.elementType == .float32 else { return nil }
            return t.floats[0]
        }
        func near(_ a: Float?, _ b: Float) -> Bool { a.map { abs($0 - b) <= 1e-4 * abs(b) } ?? false }
        /// The node producing `name` if it has op `op`, is read only once and is not a graph output.
        func inner(_ name: String, _ op: String) -> Int? {
            guard let i = producer[name], g.nodes[i].opType == op, g.nodes[i].domain.isEmpty, uses[name] == 1, !outputs.contains(name) else { return nil }
            return i
        }
        /// (the other operand, the constant) of a binary node with one scalar-constant operand.
        func split(_ n: Node) -> (String, Float)? {
            guard n.inputs.count == 2 else { return nil }
            if let c = scalar(n.inputs[1]) { return (n.inputs[0], c) }
            if let c = scalar(n.inputs[0]) { return (n.inputs[1], c) }
            return nil
        }
        /// For `erfInput` = x / √2: x and the node.
        func scaledInput(_ name: String) -> (String, Int)? {
            guard let i = producer[name], uses[name] == 1, !outputs.contains(name), let (x, c) = split(g.nodes[i]) else { return nil }
            switch g.nodes[i].opType {
            case "Div" where near(c, 1.4142135) && g.initializers[g.nodes[i].inputs[1]] != nil: return (x, i)
            case "Mul" where near(c, 0.70710678): return (x, i)
            default: return nil
            }
        }
        /// For `name` = 1 + erf(x / √2): x and the three nodes.
        func onePlusErf(_ name: String) -> (String, [Int])? {
            guard let add = inner(name, "Add"), let (e, one) = split(g.nodes[add]), near(one, 1), let erf = inner(e, "Erf"),
                  let (x, scale) = scaledInput(g.nodes[erf].inputs[0]) else { return nil }
            return (x, [add, erf, scale])
        }
        var remove = Set<Int>()
        var found = 0
        for (last, node) in g.nodes.enumerated() where node.opType == "Mul" && node.domain.isEmpty && node.inputs.count == 2 {
            var match: (x: String, nodes: [Int])?
            // Form A: (x · (1 + erf)) · ½ ; form B: (x · ½) · (1 + erf) ; form C: x · ((1 + erf) · ½).
            if let (product, half) = split(node), near(half, 0.5), let m = inner(product, "Mul") {
                for (a, b) in [(0, 1), (1, 0)] {
                    if let (x, nodes) = onePlusErf(g.nodes[m].inputs[b]), g.nodes[m].inputs[a] == x { match = (x, nodes + [m]) }
                }
            }
            if match == nil {
                for (a, b) in [(0, 1), (1, 0)] {
                    let left = node.inputs[a], right = node.inputs[b]
                    if let m = inner(left, "Mul"), let (x, half) = split(g.nodes[m]), near(half, 0.5), let (x2, nodes) = onePlusErf(right), x == x2 {
                        match = (x, nodes + [m])
                    } else if let m = inner(right, "Mul"), let (sum, half) = split(g.nodes[m]), near(half, 0.5), let (x2, nodes) = onePlusErf(sum), x2 == left {
                        match = (left, nodes + [m])
                    }
                    if match != nil { break }
                }
            }
            guard let match, Set(match.nodes).isDisjoint(with: remove) else { continue }
            remove.formUnion(match.nodes)
            g.nodes[last] = Node(name: node.name, opType: "Gelu", inputs: [match.x], outputs: node.outputs)
            found += 1
        }
        g.nodes = g.nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        model.graph = g
        return PassReport(name: "recognize_gelu", changes: found)
    }

    /// Folds a bias Add (a constant of the MatMul's output width) into the MatMul before it, as the native runtime's
    /// `kenning.native.MatMul` (A, B, bias), when B is a constant 2-D matrix and the product is read only by the Add.
    public static func fuseMatMulBias(_ model: inout Model) -> PassReport {
        var g = model.graph
        let uses = g.useCounts()
        let producer = Dictionary(g.nodes.enumerated().flatMap { i, n in n.outputs.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        let outputs = Set(g.outputs.map(\.name))
        var remove = Set<Int>()
        var fused = 0
        for (ai, add) in g.nodes.enumerated() where add.opType == "Add" && add.domain.isEmpty && add.inputs.count == 2 {
            for (p, c) in [(0, 1), (1, 0)] {
                guard let mi = producer[add.inputs[p]], !remove.contains(mi), g.nodes[mi].opType == "MatMul", g.nodes[mi].domain.isEmpty,
                      uses[add.inputs[p]] == 1, !outputs.contains(add.inputs[p]),
                      let w = g.initializers[g.nodes[mi].inputs[1]], w.shape.count == 2, w.elementType == .float32,
                      let bias = g.initializers[add.inputs[c]], bias.elementType == .float32, bias.count == w.shape[1],
                      bias.shape.last == w.shape[1], bias.shape.dropLast().allSatisfy({ $0 == 1 }), bias.shape.count <= 1
                else { continue }
                var matmul = g.nodes[mi]
                matmul.domain = "kenning.native"
                matmul.inputs.append(add.inputs[c])
                matmul.outputs = add.outputs
                g.nodes[mi] = matmul
                remove.insert(ai)
                fused += 1
                break
            }
        }
        g.nodes = g.nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        model.graph = g
        return PassReport(name: "fuse_matmul_bias", changes: fused)
    }
}
