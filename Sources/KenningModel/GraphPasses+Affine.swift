import KenningCore

/// Folding the per-channel Mul and Add that some exporters write after a convolution (a BatchNormalization split into
/// scale and shift) into the convolution's weights and bias.
extension GraphPasses {
    /// Folds `Conv → Mul(c)` and `Conv → Add(c)`, with `c` a constant holding one value or one per output channel,
    /// into the Conv; repeated until nothing changes, so a whole scale-and-shift chain folds.
    public static func foldAffineIntoConv(_ model: inout Model) -> PassReport {
        var folded = 0
        while let changed = foldOneAffine(&model), changed {
            folded += 1
        }
        if folded > 0 { _ = removeDeadNodes(&model) }
        return PassReport(name: "fold_affine_into_conv", changes: folded)
    }

    /// One fold; nil when there is none left.
    private static func foldOneAffine(_ model: inout Model) -> Bool? {
        var g = model.graph
        let uses = g.useCounts()
        let producers = Dictionary(g.nodes.enumerated().flatMap { i, n in n.outputs.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        for (ni, node) in g.nodes.enumerated() where ["Mul", "Add"].contains(node.opType) && node.domain.isEmpty && node.inputs.count == 2 {
            for side in 0..<2 {
                let value = node.inputs[side], other = node.inputs[1 - side]
                guard let ci = producers[value], g.nodes[ci].opType == "Conv", g.nodes[ci].domain.isEmpty, uses[value] == 1,
                      !g.outputs.contains(where: { $0.name == value }), let c = g.initializers[other], c.elementType == .float32,
                      var conv = Optional(g.nodes[ci]), conv.inputs.count >= 2, let w = g.initializers[conv.inputs[1]], w.shape.count == 4
                else { continue }
                let m = w.shape[0]
                // One value, or one per output channel laid out as [M,1,1], [1,M,1,1] or [M] broadcast over NCHW's axis 1.
                let dims = c.shape.drop { $0 == 1 }
                let perChannel = c.count == m && (dims.first == m && dims.dropFirst().allSatisfy { $0 == 1 }) && c.shape.count >= 3
                guard c.count == 1 || perChannel else { continue }
                let values = c.count == 1 ? [Float](repeating: c.floats[0], count: m) : c.floats
                let hasBias = conv.inputs.count > 2 && !conv.inputs[2].isEmpty
                guard !hasBias || g.initializers[conv.inputs[2]] != nil else { continue }
                var bias = hasBias ? g.initializers[conv.inputs[2]]!.floats : [Float](repeating: 0, count: m)
                var weights = w.floats
                if node.opType == "Mul" {
                    let per = weights.count / m
                    for oc in 0..<m {
                        for i in 0..<per { weights[oc * per + i] *= values[oc] }
                        bias[oc] *= values[oc]
                    }
                } else {
                    for oc in 0..<m { bias[oc] += values[oc] }
                }
                let wName = uniqueName("\(conv.name)_affine_W", in: g)
                g.setInitializer(wName, Tensor(shape: w.shape, floats: weights))
                let bName = uniqueName("\(conv.name)_affine_B", in: g)
                g.setInitializer(bName, Tensor(shape: [m], floats: bias))
                conv.inputs = [conv.inputs[0], wName, bName]
                conv.outputs = node.outputs
                g.nodes[ci] = conv
                g.nodes.remove(at: ni)
                model.graph = g
                return true
            }
        }
        return nil
    }
}

extension GraphPasses {
    /// Folds a scalar `Mul` and/or `Add` that follows a fused convolution's activation (`s · act(x) + b`, the
    /// "learnable affine" some networks put after every activation) into the node as `activation_affine` = [s, b].
    /// The native runtime's own attribute: run it only on models the native runtime executes.
    public static func fuseActivationAffine(_ model: inout Model) -> PassReport {
        var g = model.graph
        var fused = 0
        var index = 0
        while index < g.nodes.count {
            defer { index += 1 }
            guard ["FusedConv", "FusedGemm"].contains(g.nodes[index].opType), g.nodes[index].domain == "com.microsoft",
                  g.nodes[index][attribute: "activation"] != nil, g.nodes[index][attribute: "activation_affine"] == nil else { continue }
            var (scale, shift): (Float, Float) = (1, 0)
            var output = g.nodes[index].outputs[0]
            while true {
                let uses = g.useCounts()
                guard uses[output] == 1, !g.outputs.contains(where: { $0.name == output }),
                      let ci = g.nodes.firstIndex(where: { $0.presentInputs.contains(output) }),
                      ["Mul", "Add"].contains(g.nodes[ci].opType), g.nodes[ci].domain.isEmpty, g.nodes[ci].inputs.count == 2,
                      let k = g.nodes[ci].inputs.first(where: { $0 != output }).flatMap({ g.initializers[$0] }), k.count == 1,
                      g.nodes[ci].inputs.contains(output)
                else { break }
                let v = k.floats[0]
                if g.nodes[ci].opType == "Mul" { (scale, shift) = (scale * v, shift * v) } else { shift += v }
                output = g.nodes[ci].outputs[0]
                g.nodes.remove(at: ci)
                if ci < index { index -= 1 }
                fused += 1
            }
            if (scale, shift) != (1, 0) || output != g.nodes[index].outputs[0] {
                g.nodes[index].attributes.append(("activation_affine", .floats([scale, shift])))
                g.nodes[index].outputs = [output]
            }
        }
        model.graph = g
        return PassReport(name: "fuse_activation_affine", changes: fused)
    }
}
