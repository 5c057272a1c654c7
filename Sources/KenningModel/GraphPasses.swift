import KenningCore

/// Evaluates one node on constant inputs (supplied by a runtime backend).
public typealias NodeEvaluator = (Node, [Tensor?], Int) throws -> [Tensor]

/// Graph rewrites that keep the model's outputs (up to float rounding).
public enum GraphPasses {
    /// Replaces nodes whose inputs are all constants by initializers holding their results.
    public static func foldConstants(_ model: inout Model, evaluate: NodeEvaluator) throws(KenningError) -> PassReport {
        var g = model.graph
        var folded = 0
        let graphInputs = Set(g.runtimeInputs.map(\.name))
        var kept: [Node] = []
        for node in try g.topologicallySorted() {
            let isConstant = node.opType == "Constant"
                || (!node.presentInputs.isEmpty && node.presentInputs.allSatisfy { g.initializers[$0] != nil && !graphInputs.contains($0) })
            guard isConstant, !["Dropout"].contains(node.opType) else { kept.append(node); continue }
            do {
                let outs = try evaluate(node, node.inputs.map { $0.isEmpty ? nil : g.initializers[$0] }, model.defaultOpset)
                for (name, t) in zip(node.outputs, outs) where !name.isEmpty { g.setInitializer(name, t) }
                folded += 1
            } catch {
                kept.append(node)
            }
        }
        g.nodes = kept
        model.graph = g
        return PassReport(name: "fold_constants", changes: folded)
    }

    /// Folds BatchNormalization that directly follows a Conv into the Conv's weights and bias.
    public static func foldBatchNorm(_ model: inout Model) -> PassReport {
        var g = model.graph
        let uses = g.useCounts()
        let producers = Dictionary(g.nodes.enumerated().flatMap { i, n in n.outputs.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        var remove = Set<Int>()
        var folded = 0
        for (bi, bn) in g.nodes.enumerated() where bn.opType == "BatchNormalization" && bn.outputs.count == 1 {
            guard let ci = producers[bn.inputs[0]], g.nodes[ci].opType == "Conv", uses[bn.inputs[0]] == 1,
                  !g.outputs.contains(where: { $0.name == bn.inputs[0] }),
                  bn.inputs.count == 5, let scale = g.initializers[bn.inputs[1]], let bias = g.initializers[bn.inputs[2]],
                  let mean = g.initializers[bn.inputs[3]], let variance = g.initializers[bn.inputs[4]]
            else { continue }
            var conv = g.nodes[ci]
            guard let w = g.initializers[conv.inputs[1]], w.shape.count == 4 else { continue }
            let m = w.shape[0]
            guard scale.count == m, bias.count == m, mean.count == m, variance.count == m else { continue }
            let eps = bn.float("epsilon", default: 1e-5)
            let (s, b, mu, v) = (scale.floats, bias.floats, mean.floats, variance.floats)
            var wv = w.floats
            let per = wv.count / m
            let oldBias = conv.inputs.count > 2 && !conv.inputs[2].isEmpty ? g.initializers[conv.inputs[2]]?.floats : nil
            if conv.inputs.count > 2, !conv.inputs[2].isEmpty, oldBias == nil { continue }
            var nb = [Float](repeating: 0, count: m)
            for oc in 0..<m {
                let f = s[oc] / (v[oc] + eps).squareRoot()
                for i in 0..<per { wv[oc * per + i] *= f }
                nb[oc] = ((oldBias?[oc] ?? 0) - mu[oc]) * f + b[oc]
            }
            let wName = uniqueName("\(conv.name)_folded_W", in: g), bName = uniqueName("\(conv.name)_folded_B", in: g)
            g.setInitializer(wName, Tensor(shape: w.shape, floats: wv))
            g.setInitializer(bName, Tensor(shape: [m], floats: nb))
            conv.inputs = [conv.inputs[0], wName, bName]
            conv.outputs = [bn.outputs[0]]
            g.nodes[ci] = conv
            remove.insert(bi)
            folded += 1
        }
        g.nodes = g.nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        model.graph = g
        if folded > 0 { _ = removeDeadNodes(&model) }
        return PassReport(name: "fold_batchnorm", changes: folded)
    }

    /// Fuses Conv (and Gemm) with a following activation into ONNX Runtime's com.microsoft FusedConv / FusedGemm.
    /// `native`: also fuse the activations only the native runtime runs fused (HardSwish).
    public static func fuseActivations(_ model: inout Model, native: Bool = false) -> PassReport {
        var g = model.graph
        let uses = g.useCounts()
        let producers = Dictionary(g.nodes.enumerated().flatMap { i, n in n.outputs.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        var remove = Set<Int>()
        var fused = 0
        for (ai, act) in g.nodes.enumerated() {
            guard let (name, params) = activation(of: act, graph: g, opset: model.defaultOpset, native: native),
                  let pi = producers[act.inputs[0]], !remove.contains(pi), uses[act.inputs[0]] == 1,
                  !g.outputs.contains(where: { $0.name == act.inputs[0] })
            else { continue }
            var producer = g.nodes[pi]
            let fusedType: String
            switch (producer.opType, producer.domain) {
            case ("Conv", ""): fusedType = "FusedConv"
            case ("Gemm", ""): fusedType = "FusedGemm"
            case ("MatMul", "kenning.native") where native: fusedType = "MatMul"
            default: continue
            }
            if producer.domain != "kenning.native" {
                producer.opType = fusedType
                producer.domain = "com.microsoft"
            }
            producer.attributes.append(("activation", .string(name)))
            if !params.isEmpty { producer.attributes.append(("activation_params", .floats(params))) }
            producer.outputs = act.outputs
            g.nodes[pi] = producer
            remove.insert(ai)
            fused += 1
        }
        g.nodes = g.nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        model.graph = g
        if fused > 0, !model.opsets.contains(where: { $0.domain == "com.microsoft" }) {
            model.opsets.append(OperatorSet(domain: "com.microsoft", version: 1))
        }
        return PassReport(name: "fuse_activations", changes: fused)
    }

    /// The activation `node` applies, as a fused-op activation name and parameters. HardSwish only when `native`
    /// (ONNX Runtime's FusedConv does not take it).
    static func activation(of node: Node, graph g: Graph, opset: Int, native: Bool) -> (String, [Float])? {
        switch node.opType {
        case "Relu", "Sigmoid", "Tanh": return (node.opType, [])
        case "LeakyRelu": return ("LeakyRelu", [node.float("alpha", default: 0.01)])
        case "HardSigmoid": return ("HardSigmoid", [node.float("alpha", default: 0.2), node.float("beta", default: 0.5)])
        case "HardSwish" where native: return ("HardSwish", [])
        case "Gelu" where native && node.string("approximate") != "tanh": return ("Gelu", [])
        case "SiLU" where native && node.domain == "kenning.native": return ("SiLU", [])
        case "Clip":
            if opset < 11 { return ("Clip", [node.float("min", default: -.greatestFiniteMagnitude), node.float("max", default: .greatestFiniteMagnitude)]) }
            func bound(_ i: Int, _ d: Float) -> Float? {
                guard node.inputs.count > i, !node.inputs[i].isEmpty else { return d }
                return g.initializers[node.inputs[i]]?.floats.first
            }
            guard let lo = bound(1, -.greatestFiniteMagnitude), let hi = bound(2, .greatestFiniteMagnitude) else { return nil }
            return ("Clip", [lo, hi])
        default: return nil
        }
    }

    /// Removes Identity/Dropout, nodes that no output depends on, and unused initializers.
    public static func removeDeadNodes(_ model: inout Model) -> PassReport {
        var g = model.graph
        var removed = 0
        // Bypass Identity and inference-mode Dropout.
        var rename: [String: String] = [:]
        let outputNames = Set(g.outputs.map(\.name))
        g.nodes = g.nodes.filter { n in
            guard ["Identity", "Dropout"].contains(n.opType), n.domain.isEmpty, !outputNames.contains(n.outputs[0]) else { return true }
            if n.opType == "Dropout", n.outputs.count > 1, !n.outputs[1].isEmpty { return true }
            rename[n.outputs[0]] = n.inputs[0]
            removed += 1
            return false
        }
        func resolve(_ name: String) -> String {
            var name = name
            while let r = rename[name] { name = r }
            return name
        }
        for i in g.nodes.indices { g.nodes[i].inputs = g.nodes[i].inputs.map { $0.isEmpty ? $0 : resolve($0) } }
        // Backward reachability from the outputs.
        var live = Set(g.outputs.map(\.name))
        var keep = [Bool](repeating: false, count: g.nodes.count)
        var changed = true
        while changed {
            changed = false
            for (i, n) in g.nodes.enumerated() where !keep[i] && n.outputs.contains(where: live.contains) {
                keep[i] = true
                live.formUnion(n.presentInputs)
                changed = true
            }
        }
        removed += keep.filter { !$0 }.count
        g.nodes = g.nodes.enumerated().filter { keep[$0.offset] }.map(\.element)
        let declaredInputs = Set(g.runtimeInputs.map(\.name))
        for name in g.initializerOrder where !live.contains(name) {
            g.removeInitializer(name)
        }
        g.inputs = g.inputs.filter { declaredInputs.contains($0.name) || g.initializers[$0.name] != nil }
        g.valueInfo = g.valueInfo.filter { live.contains($0.name) }
        model.graph = g
        return PassReport(name: "remove_dead_nodes", changes: removed)
    }

    static func uniqueName(_ base: String, in g: Graph) -> String {
        var name = base
        var k = 1
        let used = Set(g.initializers.keys).union(g.nodes.flatMap(\.outputs)).union(g.inputs.map(\.name))
        while used.contains(name) {
            k += 1
            name = "\(base)_\(k)"
        }
        return name
    }
}
