import KenningCore

extension GraphPasses {
    /// Folds `Add`/`Sum(conv(x), r)` (and a following Relu) into the convolution as ONNX Runtime's FusedConv with
    /// residual input Z, so backends add the residual (oneDNN: a sum post-op) before the activation.
    ///
    /// `shapes` are the values' shapes (from shape inference on the model as loaded: the passes keep every surviving
    /// value's shape).
    public static func fuseResiduals(_ model: inout Model, shapes: [String: [Int]]) -> PassReport {
        var g = model.graph
        let uses = g.useCounts()
        let outputs = Set(g.outputs.map(\.name))
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for o in n.outputs { producer[o] = i } }
        var consumers: [String: [Int]] = [:]
        for (i, n) in g.nodes.enumerated() { for v in n.presentInputs { consumers[v, default: []].append(i) } }
        var remove = Set<Int>()
        var fused = 0
        for (ai, add) in g.nodes.enumerated() where ["Add", "Sum"].contains(add.opType) && add.domain.isEmpty && add.presentInputs.count == 2 {
            guard let out = add.outputs.first, let shape = shapes[out], shape.count == 4 else { continue }
            for (k, v) in add.inputs.enumerated() {
                let other = add.inputs[1 - k]
                guard let ci = producer[v], !remove.contains(ci), shapes[other] == shape, shapes[v] == shape,
                      uses[v] == 1, !outputs.contains(v), g.initializers[other] == nil else { continue }
                var conv = g.nodes[ci]
                guard conv.opType == "Conv" && conv.domain.isEmpty || conv.opType == "FusedConv" && conv.domain == "com.microsoft" && conv.string("activation") == nil,
                      conv.inputs.count <= 3, g.initializers[conv.inputs.count > 1 ? conv.inputs[1] : ""] != nil else { continue }
                // The residual must be computed before the convolution runs: it may not depend on the conv's output.
                if let oi = producer[other], oi > ci { continue }
                while conv.inputs.count < 3 { conv.inputs.append("") }
                conv.inputs.append(other)
                conv.opType = "FusedConv"
                conv.domain = "com.microsoft"
                var result = out
                if let readers = consumers[out], readers.count == 1, !outputs.contains(out), g.nodes[readers[0]].opType == "Relu" {
                    conv.attributes.append(("activation", .string("Relu")))
                    remove.insert(readers[0])
                    result = g.nodes[readers[0]].outputs[0]
                }
                conv.outputs = [result]
                g.nodes[ci] = conv
                remove.insert(ai)
                fused += 1
                break
            }
        }
        guard fused > 0 else { return PassReport(name: "fuse_residuals", changes: 0) }
        g.nodes = g.nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        model.graph = g
        if !model.opsets.contains(where: { $0.domain == "com.microsoft" }) { model.opsets.append(OperatorSet(domain: "com.microsoft", version: 1)) }
        return PassReport(name: "fuse_residuals", changes: fused)
    }
}
