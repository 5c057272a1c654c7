import Foundation
import KenningCore
import KenningModel
import KenningNative

/// Rewrites a float model into QDQ form.
struct QDQWriter {
    var model: Model
    var extraNodes: [Node] = []
    /// value → its DequantizeLinear output.
    var dequantized: [String: String] = [:]

    init(model: Model) { self.model = model }

    func unique(_ base: String) -> String {
        var name = base, k = 1
        while model.graph.initializers[name] != nil || model.graph.nodes.contains(where: { $0.outputs.contains(name) })
            || extraNodes.contains(where: { $0.outputs.contains(name) }) {
            k += 1
            name = "\(base)_\(k)"
        }
        return name
    }

    mutating func quantizeActivation(_ value: String, scale: Float, zeroPoint: Int8) {
        let s = unique("\(value)_scale"), z = unique("\(value)_zero_point"), q = unique("\(value)_quantized")
        model.graph.setInitializer(s, Tensor(shape: [], floats: [scale]))
        model.graph.setInitializer(z, Tensor(shape: [], int8s: [zeroPoint]))
        let dq = unique("\(value)_dequantized")
        extraNodes.append(Node(name: q, opType: "QuantizeLinear", inputs: [value, s, z], outputs: [q]))
        extraNodes.append(Node(name: dq, opType: "DequantizeLinear", inputs: [q, s, z], outputs: [dq]))
        dequantized[value] = dq
        for i in model.graph.nodes.indices {
            model.graph.nodes[i].inputs = model.graph.nodes[i].inputs.map { $0 == value ? dq : $0 }
        }
    }

    /// Symmetric int8 weights within ±`limit` (127, or 64 with reduce_range).
    mutating func quantizeWeights(nodeIndex: Int, inputScale: Float, perChannel: Bool, limit: Float) {
        var node = model.graph.nodes[nodeIndex]
        guard let w = model.graph.initializers[node.inputs[1]] else { return }
        let axis = node.opType == "Gemm" && node.int("transB", default: 0) == 0 ? 1 : 0
        let channels = w.shape[axis]
        let values = w.floats
        let outer = w.shape.prefix(axis).reduce(1, *), inner = w.shape.suffix(from: axis + 1).reduce(1, *)
        var maxAbs = [Float](repeating: 0, count: channels)
        for o in 0..<outer { for c in 0..<channels { for i in 0..<inner { maxAbs[c] = max(maxAbs[c], abs(values[(o * channels + c) * inner + i])) } } }
        if !perChannel { maxAbs = [Float](repeating: maxAbs.max() ?? 0, count: channels) }
        // Each scale is the one, among ranges clipped to 100 %, 99 %, … 60 % of max |w|, whose rounded weights are
        // closest to the float ones (least squared error): with few levels, clipping a rare outlier makes every other
        // weight finer.
        let groups = perChannel ? (0..<channels).map { [$0] } : [Array(0..<channels)]
        var scales = [Float](repeating: 1, count: channels)
        for group in groups {
            guard let top = group.first.map({ maxAbs[$0] }), top > 0 else { continue }
            var best: (error: Float, scale: Float) = (.infinity, top / limit)
            for step in 0...40 {
                let scale = top * (1 - Float(step) / 100) / limit
                var error: Float = 0
                for o in 0..<outer { for c in group { for i in 0..<inner {
                    let w = values[(o * channels + c) * inner + i]
                    let d = w - min(max((w / scale).rounded(.toNearestOrEven), -limit), limit) * scale
                    error += d * d
                } } }
                if error < best.error { best = (error, scale) }
            }
            for c in group { scales[c] = best.scale }
        }
        var q = [Int8](repeating: 0, count: values.count)
        for o in 0..<outer {
            for c in 0..<channels {
                for i in 0..<inner {
                    let k = (o * channels + c) * inner + i
                    q[k] = Int8(min(max((values[k] / scales[c]).rounded(.toNearestOrEven), -limit), limit))
                }
            }
        }
        let base = node.inputs[1]
        let wq = unique("\(base)_quantized"), ws = unique("\(base)_scale"), wz = unique("\(base)_zero_point"), wdq = unique("\(base)_dequantized")
        model.graph.setInitializer(wq, Tensor(shape: w.shape, int8s: q))
        let scaleCount = perChannel ? channels : 1
        model.graph.setInitializer(ws, Tensor(shape: perChannel ? [channels] : [], floats: Array(scales.prefix(scaleCount))))
        model.graph.setInitializer(wz, Tensor(shape: perChannel ? [channels] : [], int8s: [Int8](repeating: 0, count: scaleCount)))
        var attributes: [(String, AttributeValue)] = []
        if perChannel { attributes.append(("axis", .int(axis))) }
        extraNodes.append(Node(name: wdq, opType: "DequantizeLinear", inputs: [wq, ws, wz], outputs: [wdq], attributes: attributes))
        node.inputs[1] = wdq
        if node.inputs.count > 2, !node.inputs[2].isEmpty, let b = model.graph.initializers[node.inputs[2]], b.count == channels {
            let bScales = scales.map { $0 * inputScale }
            let bq = zip(b.floats, bScales).map { Int32(max(min(($0 / $1).rounded(.toNearestOrEven), 2.0e9), -2.0e9)) }
            let bb = node.inputs[2]
            let bqn = unique("\(bb)_quantized"), bs = unique("\(bb)_scale"), bz = unique("\(bb)_zero_point"), bdq = unique("\(bb)_dequantized")
            model.graph.setInitializer(bqn, Tensor(shape: b.shape, int32s: bq))
            if perChannel {
                model.graph.setInitializer(bs, Tensor(shape: [channels], floats: bScales))
                model.graph.setInitializer(bz, Tensor(shape: [channels], int32s: [Int32](repeating: 0, count: channels)))
                extraNodes.append(Node(name: bdq, opType: "DequantizeLinear", inputs: [bqn, bs, bz], outputs: [bdq], attributes: [("axis", .int(0))]))
            } else {
                model.graph.setInitializer(bs, Tensor(shape: [], floats: [bScales[0]]))
                model.graph.setInitializer(bz, Tensor(shape: [], int32s: [0]))
                extraNodes.append(Node(name: bdq, opType: "DequantizeLinear", inputs: [bqn, bs, bz], outputs: [bdq]))
            }
            node.inputs[2] = bdq
        }
        model.graph.nodes[nodeIndex] = node
    }

    /// Adds the new nodes and puts the graph back in topological order.
    mutating func finish() throws(KenningError) -> Model {
        model.graph.nodes += extraNodes
        extraNodes = []
        model.graph.nodes = try model.graph.topologicallySorted()
        _ = GraphPasses.removeDeadNodes(&model)
        return model
    }
}
