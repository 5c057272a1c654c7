import KenningCore

extension GraphPasses {
    /// Rewrites each 1-D convolution with constant weights ([N, C, L] input, [M, C/group, K] weights) as a 2-D one of
    /// unit height between two Reshapes, so every backend's 2-D convolution runs it. `shapes`, when given, gets the
    /// shapes of the values added.
    public static func liftOneDimensionalConvolutions(_ model: inout Model, shapes: inout [String: [Int]]?) -> PassReport {
        var g = model.graph
        var lifted = 0
        var nodes: [Node] = []
        for node in g.nodes {
            guard node.opType == "Conv", node.domain.isEmpty, node.inputs.count >= 2, let w = g.initializers[node.inputs[1]], w.shape.count == 3,
                  node.outputs.count == 1
            else { nodes.append(node); continue }
            let base = node.name.isEmpty ? node.outputs[0] : node.name
            // Reshape (any opset) with 0 copying a dimension: [N, C, L] → [N, C, 1, L] and [N, M, 1, L'] → [N, M, L'].
            let toFour = uniqueName(base + "/shape_2d", in: g), toThree = uniqueName(base + "/shape_1d", in: g)
            g.setInitializer(toFour, Tensor(shape: [4], ints: [0, 0, 1, -1]))
            g.setInitializer(toThree, Tensor(shape: [3], ints: [0, 0, -1]))
            let weights = uniqueName(base + "/weights_2d", in: g)
            var w2 = w
            w2.shape = [w.shape[0], w.shape[1], 1, w.shape[2]]
            g.setInitializer(weights, w2)
            let input = uniqueName(base + "/input_2d", in: g), output = uniqueName(base + "/output_2d", in: g)
            var conv = node
            conv.inputs[0] = input
            conv.inputs[1] = weights
            conv.outputs = [output]
            conv.attributes = Self.liftedTo2D(node.attributes)
            if let x = shapes?[node.inputs[0]], let y = shapes?[node.outputs[0]], x.count == 3, y.count == 3 {
                shapes?[input] = [x[0], x[1], 1, x[2]]
                shapes?[output] = [y[0], y[1], 1, y[2]]
                shapes?[weights] = w2.shape
            }
            nodes.append(Node(name: input, opType: "Reshape", inputs: [node.inputs[0], toFour], outputs: [input]))
            nodes.append(conv)
            nodes.append(Node(name: output, opType: "Reshape", inputs: [output, toThree], outputs: node.outputs))
            lifted += 1
        }
        g.nodes = nodes
        model.graph = g
        return PassReport(name: "lift_1d_convolutions", changes: lifted)
    }

    /// A 1-D window op's attributes for the same op on a unit height: each 1-D window attribute gets a leading 1 (0 for pads).
    static func liftedTo2D(_ attributes: [(String, AttributeValue)]) -> [(String, AttributeValue)] {
        attributes.map { name, value in
            switch (name, value) {
            case let ("kernel_shape", .ints(k)) where k.count == 1: return (name, .ints([1] + k))
            case let ("strides", .ints(v)) where v.count == 1: return (name, .ints([1] + v))
            case let ("dilations", .ints(v)) where v.count == 1: return (name, .ints([1] + v))
            case let ("pads", .ints(p)) where p.count == 2: return (name, .ints([0, p[0], 0, p[1]]))
            default: return (name, value)
            }
        }
    }
}
