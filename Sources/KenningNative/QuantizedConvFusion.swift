import CXNNPACK
import KenningCore
import KenningModel

func transposeToNHWC<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, n: Int, c: Int, hw: Int) {
    for img in 0..<n { let s = src + img * c * hw, d = dst + img * c * hw; for ch in 0..<c { for p in 0..<hw { d[p * c + ch] = s[ch * hw + p] } } }
}
func transposeToNCHW<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, n: Int, c: Int, hw: Int) {
    for img in 0..<n { let s = src + img * c * hw, d = dst + img * c * hw; for p in 0..<hw { for ch in 0..<c { d[ch * hw + p] = s[p * c + ch] } } }
}

/// Int8 convolutions: `DequantizeLinear → Conv → [Relu | Clip] → QuantizeLinear` chains of a QDQ model become one
/// `QLinearConv` node that reads and writes int8 tensors and runs on XNNPACK's QC8 kernels (int8 activations,
/// per-channel int8 weights, int32 bias). Inputs of the internal node: x_q, x_scale, x_zero_point, w_q, w_scale,
/// w_zero_point, y_scale, y_zero_point, bias (int32, scale x_scale · w_scale); attribute `activation_min`/`_max`
/// is the int8 output clamp of a fused Relu/Clip.
enum QuantizedConvFusion {
    static func fuse(_ model: inout Model) {
        var g = model.graph
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for o in n.outputs { producer[o] = i } }
        var readers: [String: [Int]] = [:]
        for (i, n) in g.nodes.enumerated() { for v in n.presentInputs { readers[v, default: []].append(i) } }
        let outputs = Set(g.outputs.map(\.name))
        func dq(_ value: String) -> Node? {
            guard let i = producer[value], g.nodes[i].opType == "DequantizeLinear", g.nodes[i].domain.isEmpty else { return nil }
            return g.nodes[i]
        }
        func initializer(_ node: Node, _ i: Int) -> Tensor? { i < node.inputs.count ? g.initializers[node.inputs[i]] : nil }
        func single(_ value: String) -> Node? {
            guard !outputs.contains(value), let r = readers[value], r.count == 1 else { return nil }
            return g.nodes[r[0]]
        }
        var remove = Set<String>()  // node output names of replaced nodes
        var replacements: [String: Node] = [:]  // conv output → new node
        var fused = 0
        for conv in g.nodes where conv.opType == "Conv" && conv.domain.isEmpty && conv.inputs.count >= 2 {
            guard let dx = dq(conv.inputs[0]), let sx = initializer(dx, 1), sx.count == 1, let zx = initializer(dx, 2), case .int8 = zx.storage,
                  let dw = dq(conv.inputs[1]), let wq = initializer(dw, 0), case .int8 = wq.storage, wq.shape.count == 4,
                  let sw = initializer(dw, 1), sw.count == 1 || sw.count == wq.shape[0],
                  (initializer(dw, 2)?.ints.allSatisfy { $0 == 0 } ?? true)
            else { continue }
            // Optional bias: DequantizeLinear of an integer constant, or a float constant.
            var biasFloat: [Float]? = nil
            if conv.inputs.count > 2, !conv.inputs[2].isEmpty {
                if let db = dq(conv.inputs[2]), let bq = initializer(db, 0), let sb = initializer(db, 1) {
                    let zb = initializer(db, 2)?.ints ?? [Int64](repeating: 0, count: sb.count)
                    let s = sb.floats, q = bq.ints
                    biasFloat = q.indices.map { Float(q[$0] - zb[s.count == 1 ? 0 : $0]) * s[s.count == 1 ? 0 : $0] }
                } else if let b = g.initializers[conv.inputs[2]] {
                    biasFloat = b.floats
                } else { continue }
            }
            // Output: [Relu | Clip] then a per-tensor int8 QuantizeLinear.
            var last = conv.outputs[0]
            var activation: Node? = nil
            if let a = single(last), ["Relu", "Clip"].contains(a.opType), a.domain.isEmpty {
                if a.opType == "Clip", (a.inputs.count > 1 && !a.inputs[1].isEmpty && g.initializers[a.inputs[1]] == nil)
                    || (a.inputs.count > 2 && !a.inputs[2].isEmpty && g.initializers[a.inputs[2]] == nil) { continue }
                activation = a
                last = a.outputs[0]
            }
            guard let qy = single(last), qy.opType == "QuantizeLinear", qy.domain.isEmpty, let sy = initializer(qy, 1), sy.count == 1,
                  let zy = initializer(qy, 2), case .int8 = zy.storage
            else { continue }
            let xScale = sx.floats[0], yScale = sy.floats[0], yZero = Float(zy.ints[0])
            let m = wq.shape[0]
            let wScales = sw.count == 1 ? [Float](repeating: sw.floats[0], count: m) : sw.floats
            let bias = (biasFloat ?? [Float](repeating: 0, count: m)).enumerated().map { c, b in
                Int32(max(min((b / (xScale * wScales[c])).rounded(.toNearestOrEven), 2.0e9), -2.0e9))
            }
            func q(_ v: Float) -> Int { Int(min(max((v / yScale).rounded(.toNearestOrEven) + yZero, -128), 127)) }
            var lo = -128, hi = 127
            if let activation {
                if activation.opType == "Relu" { lo = q(0) } else {
                    let opset = model.defaultOpset
                    let cmin = opset >= 11 ? (activation.inputs.count > 1 ? g.initializers[activation.inputs[1]]?.floats.first : nil) : activation.float("min", default: -.infinity)
                    let cmax = opset >= 11 ? (activation.inputs.count > 2 ? g.initializers[activation.inputs[2]]?.floats.first : nil) : activation.float("max", default: .infinity)
                    if let cmin, cmin.isFinite { lo = q(cmin) }
                    if let cmax, cmax.isFinite { hi = q(cmax) }
                }
            }
            let prefix = conv.name.isEmpty ? conv.outputs[0] : conv.name
            let biasName = "\(prefix)_int8_bias", wScaleName = "\(prefix)_int8_wscale"
            g.setInitializer(biasName, Tensor(shape: [m], int32s: bias))
            g.setInitializer(wScaleName, Tensor(shape: [m], floats: wScales))
            var attributes = conv.attributes.filter { ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"].contains($0.0) }
            attributes.append(("activation_min", .int(lo)))
            attributes.append(("activation_max", .int(hi)))
            let node = Node(name: prefix, opType: "QLinearConv", domain: "kenning.native",
                            inputs: [dx.inputs[0], dx.inputs[1], dx.inputs[2], dw.inputs[0], wScaleName, dw.inputs[2], qy.inputs[1], qy.inputs[2], biasName],
                            outputs: [qy.outputs[0]], attributes: attributes)
            replacements[conv.outputs[0]] = node
            if let activation { remove.insert(activation.outputs[0]) }
            remove.insert(qy.outputs[0])
            fused += 1
        }
        guard fused > 0 else { return }
        g.nodes = g.nodes.compactMap { n in
            if let r = replacements[n.outputs.first ?? ""] { return r }
            return remove.contains(n.outputs.first ?? "") ? nil : n
        }
        model.graph = g
        _ = GraphPasses.removeDeadNodes(&model)
    }
}

extension NativeSession {
    /// Simulated QLinearConv (dequantize, float convolution, quantize): used when no int8 kernel is planned.
    static func qlinearConvFallback(_ node: Node, threads: Int) -> Kernel {
        { a in
            let x = try required(a, 0, "x"), sx = try required(a, 1, "x_scale"), zx = try required(a, 2, "x_zero_point")
            let w = try required(a, 3, "w"), sw = try required(a, 4, "w_scale")
            let sy = try required(a, 6, "y_scale"), zy = try required(a, 7, "y_zero_point"), b = try required(a, 8, "bias")
            let xf = try Kernels.dequantize(x, scale: sx, zeroPoint: zx, axis: 1)
            let wf = try Kernels.dequantize(w, scale: sw, zeroPoint: nil, axis: 0)
            let bs = Tensor(shape: [sw.count], floats: sw.floats.map { $0 * sx.floats[0] })
            let bf = try Kernels.dequantize(b, scale: bs, zeroPoint: nil, axis: 0)
            let y = try Kernels.conv(x: xf, w: wf, b: bf, node: node, activation: .none, threads: threads)
            var q = try Kernels.quantize(y, scale: sy, zeroPoint: zy, axis: 1)
            let lo = Int8(node.int("activation_min", default: -128)), hi = Int8(node.int("activation_max", default: 127))
            if case let .int8(v) = q.storage { q = Tensor(shape: q.shape, int8s: v.map { min(max($0, lo), hi) }) }
            return [q]
        }
    }
}
