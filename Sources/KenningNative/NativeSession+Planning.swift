import Foundation
import KenningCore
import KenningModel

/// Planning helpers: the residual fusion pass, which backend takes a node, constant values and the reference kernel
/// of every op.
extension NativeSession {
    /// A backend operator for a heavy node with constant weights, or nil to use the reference kernel.
    /// Folds `Add`/`Sum(conv(x), r)` (and a following Relu) into the convolution as ONNX Runtime's FusedConv with
    /// residual input Z, so backends add the residual (oneDNN: a sum post-op) before the activation.
    static func fuseResiduals(_ model: inout Model) {
        var inputShapes: [String: [Int]] = [:]
        for input in model.graph.runtimeInputs { inputShapes[input.name] = (input.shape ?? []).map { $0.value ?? 1 } }
        guard let shapes = try? ShapeInference.infer(model, inputShapes: inputShapes, evaluate: NativeSession.evaluate) else { return }
        var g = model.graph
        let uses = g.useCounts()
        let outputs = Set(g.outputs.map(\.name))
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for o in n.outputs { producer[o] = i } }
        var consumers: [String: [Int]] = [:]
        for (i, n) in g.nodes.enumerated() { for v in n.presentInputs { consumers[v, default: []].append(i) } }
        var remove = Set<Int>()
        var fused = false
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
                fused = true
                break
            }
        }
        guard fused else { return }
        g.nodes = g.nodes.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        model.graph = g
        if !model.opsets.contains(where: { $0.domain == "com.microsoft" }) { model.opsets.append(OperatorSet(domain: "com.microsoft", version: 1)) }
    }

    /// True for a convolution whose weights (and bias) are constants, which a backend can prepack.
    static func isBackendConv(_ node: Node, _ constants: [Tensor?]) -> Bool {
        let op = NativeOps.key(node)
        if op == "kenning.native.QLinearConv" { return constants.count > 3 && constants[3]?.shape.count == 4 }
        guard op == "Conv" || op == "com.microsoft.FusedConv", constants.count > 1, let w = constants[1], w.shape.count == 4 else { return false }
        return node.inputs.count < 3 || node.inputs[2].isEmpty || constants[2] != nil
    }

    static func planned(_ node: Node, constants: [Tensor?], factory: any OperatorFactory, inputChannelsLast: Bool = false,
                        outputChannelsLast: Bool = false) throws -> (any PlannedOperator)? {
        let op = NativeOps.key(node)
        func constant(_ i: Int) -> Tensor? { i < constants.count ? constants[i] : nil }
        switch op {
        case "Conv", "com.microsoft.FusedConv":
            guard isBackendConv(node, constants), let w = constant(1) else { return nil }
            let act = try Activation(name: node.string("activation") ?? "", params: fusedParams(node))
            return try factory.conv(try ConvSpec(node: node, weights: w, bias: constant(2), activation: act),
                                    inputChannelsLast: inputChannelsLast, outputChannelsLast: outputChannelsLast)
        case "Gemm", "com.microsoft.FusedGemm":
            guard let b = constant(1), node.inputs.count < 3 || node.inputs[2].isEmpty || constant(2) != nil else { return nil }
            let act = try Activation(name: node.string("activation") ?? "", params: fusedParams(node))
            guard let spec = DenseSpec.gemm(node: node, b: b, c: constant(2), activation: act) else { return nil }
            return try factory.dense(spec)
        case "MatMul":
            guard let b = constant(1), let spec = DenseSpec.matmul(node: node, b: b) else { return nil }
            return try factory.dense(spec)
        default:
            return nil
        }
    }

    static func constantValue(_ node: Node) throws(KenningError) -> Tensor {
        switch node[attribute: "value"] ?? node[attribute: "value_floats"] ?? node[attribute: "value_ints"]
            ?? node[attribute: "value_float"] ?? node[attribute: "value_int"]
        {
        case let .tensor(t)?: return t
        case let .floats(f)?: return Tensor(shape: [f.count], floats: f)
        case let .ints(i)?: return Tensor(shape: [i.count], ints: i.map { Int64($0) })
        case let .float(f)?: return Tensor(shape: [], floats: [f])
        case let .int(i)?: return Tensor(shape: [], ints: [Int64(i)])
        default: throw .badInput("\(node.label) has no supported value attribute", fix: "re-export the model")
        }
    }

    static func required(_ args: [Tensor?], _ i: Int, _ what: String) throws -> Tensor {
        guard i < args.count, let t = args[i] else { throw KernelError(reason: "missing input \(i) (\(what))") }
        return t
    }

    static func kernel(for node: Node, opset: Int, threads: Int) throws -> Kernel {
        let op = NativeOps.key(node)
        switch op {
        case "Conv", "com.microsoft.FusedConv":
            let act = try Activation(name: node.string("activation") ?? "", params: fusedParams(node))
            return { a in [try Kernels.conv(x: try required(a, 0, "X"), w: try required(a, 1, "W"), b: a.count > 2 ? a[2] : nil,
                                            z: a.count > 3 ? a[3] : nil, node: node, activation: act, threads: threads)] }
        case "Gemm", "com.microsoft.FusedGemm":
            let act = try Activation(name: node.string("activation") ?? "", params: fusedParams(node))
            return { a in [try Kernels.gemm(a: try required(a, 0, "A"), b: try required(a, 1, "B"), c: a.count > 2 ? a[2] : nil,
                                            node: node, activation: act, threads: threads)] }
        case "MatMul":
            return { a in [try Kernels.matmul(a: try required(a, 0, "A"), b: try required(a, 1, "B"), threads: threads)] }
        case "Relu": return { a in [Kernels.relu(try required(a, 0, "X"))] }
        case "Sigmoid": return { a in [Kernels.unary(try required(a, 0, "X")) { 1 / (1 + expf(-$0)) }] }
        case "Tanh": return { a in [Kernels.unary(try required(a, 0, "X")) { tanhf($0) }] }
        case "LeakyRelu":
            let alpha = node.float("alpha", default: 0.01)
            return { a in [Kernels.unary(try required(a, 0, "X")) { $0 >= 0 ? $0 : alpha * $0 }] }
        case "Clip":
            let attrMin = node.float("min", default: -.infinity), attrMax = node.float("max", default: .infinity)
            return { a in
                let lo = opset >= 11 ? (a.count > 1 ? a[1]?.floats.first ?? -.infinity : -.infinity) : attrMin
                let hi = opset >= 11 ? (a.count > 2 ? a[2]?.floats.first ?? .infinity : .infinity) : attrMax
                return [Kernels.unary(try required(a, 0, "X")) { min(max($0, lo), hi) }]
            }
        case "Add": return { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), .add)] }
        case "Sub": return { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), .sub)] }
        case "Mul": return { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), .mul)] }
        case "Div": return { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), .div)] }
        case "Sum", "Max", "Min":
            let f: BinaryOp = op == "Sum" ? .add : op == "Max" ? .max : .min
            return { a in
                let xs = a.compactMap { $0 }
                guard var acc = xs.first else { throw KernelError(reason: "\(op) needs at least one input") }
                for x in xs.dropFirst() { acc = try Kernels.binary(acc, x, f) }
                return [acc]
            }
        case "LRN":
            let size = node.int("size", default: 1), alpha = node.float("alpha", default: 1e-4)
            let beta = node.float("beta", default: 0.75), bias = node.float("bias", default: 1)
            return { a in [try Kernels.lrn(try required(a, 0, "X"), size: size, alpha: alpha, beta: beta, bias: bias)] }
        case "ConstantOfShape":
            let value: Tensor
            if case let .tensor(t)? = node[attribute: "value"] { value = t } else { value = Tensor(shape: [1], floats: [0]) }
            return { a in
                let shape = try required(a, 0, "input").ints.map { Int($0) }
                let count = shape.reduce(1, *)
                switch value.storage {
                case let .int64(v): return [Tensor(shape: shape, ints: [Int64](repeating: v.first ?? 0, count: count))]
                default: return [Tensor(shape: shape, floats: [Float](repeating: value.floats.first ?? 0, count: count))]
                }
            }
        case "Shape":
            let start = node.int("start", default: 0), end = node[attribute: "end"] == nil ? nil : node.int("end", default: 0)
            return { a in
                let shape = try required(a, 0, "data").shape
                let r = shape.count
                func clampAxis(_ v: Int) -> Int { min(max(v < 0 ? v + r : v, 0), r) }
                let lo = clampAxis(start), hi = clampAxis(end ?? r)
                let dims = lo < hi ? shape[lo..<hi].map { Int64($0) } : []
                return [Tensor(shape: [dims.count], ints: dims)]
            }
        case "QuantizeLinear", "DequantizeLinear":
            let axis = node.int("axis", default: 1)
            let quantize = op == "QuantizeLinear"
            return { a in
                let x = try required(a, 0, "x"), scale = try required(a, 1, "scale"), zp = a.count > 2 ? a[2] : nil
                return [quantize ? try Kernels.quantize(x, scale: scale, zeroPoint: zp, axis: axis)
                    : try Kernels.dequantize(x, scale: scale, zeroPoint: zp, axis: axis)]
            }
        case "kenning.native.QLinearConv":
            return qlinearConvFallback(node, threads: threads)
        case "Gather":
            let axis = node.int("axis", default: 0)
            return { a in [try Kernels.gather(try required(a, 0, "data"), indices: try required(a, 1, "indices"), axis: axis)] }
        case "MaxPool": return { a in [try Kernels.pool(x: try required(a, 0, "X"), node: node, isMax: true, threads: threads)] }
        case "AveragePool": return { a in [try Kernels.pool(x: try required(a, 0, "X"), node: node, isMax: false, threads: threads)] }
        case "GlobalAveragePool": return { a in [try Kernels.globalPool(x: try required(a, 0, "X"), isMax: false)] }
        case "GlobalMaxPool": return { a in [try Kernels.globalPool(x: try required(a, 0, "X"), isMax: true)] }
        case "BatchNormalization":
            let eps = node.float("epsilon", default: 1e-5)
            return { a in
                [try Kernels.batchNorm(x: try required(a, 0, "X"), scale: try required(a, 1, "scale"), bias: try required(a, 2, "B"),
                                       mean: try required(a, 3, "mean"), variance: try required(a, 4, "var"), epsilon: eps)]
            }
        case "Flatten":
            let axis = node.int("axis", default: 1)
            return { a in
                let x = try required(a, 0, "input")
                let ax = axis < 0 ? axis + x.shape.count : axis
                guard ax >= 0, ax <= x.shape.count else { throw KernelError(reason: "axis \(axis) out of range for \(x.shape)") }
                var y = x
                y.shape = [x.shape.prefix(ax).reduce(1, *), x.shape.suffix(from: ax).reduce(1, *)]
                return [y]
            }
        case "Reshape":
            let allowZero = node.int("allowzero", default: 0) == 1
            let attrShape = node.ints("shape")
            return { a in
                let spec = opset >= 5 ? try required(a, 1, "shape").ints : (attrShape ?? []).map { Int64($0) }
                return [try Kernels.reshape(try required(a, 0, "data"), to: spec, allowZero: allowZero)]
            }
        case "Transpose":
            let perm = node.ints("perm")
            return { a in [try Kernels.transpose(try required(a, 0, "data"), perm: perm)] }
        case "Concat":
            let axis = node.int("axis", default: 0)
            return { a in [try Kernels.concat(a.compactMap { $0 }, axis: axis)] }
        case "Softmax":
            let axis = node.int("axis", default: opset >= 13 ? -1 : 1)
            return { a in [try Kernels.softmax(x: try required(a, 0, "input"), axis: axis, legacy: opset < 13)] }
        case "Identity", "Dropout":
            return { a in [try required(a, 0, "input")] }
        case "Cast":
            let to = node.int("to", default: 1)
            return { a in
                let x = try required(a, 0, "input")
                switch ElementType(onnxCode: to) {
                case .float32?, .float64?: return [Tensor(shape: x.shape, floats: x.floats)]
                case .float16?: return [Tensor(shape: x.shape, float16Bits: x.floats.map(\.halfBits))]
                case .int64?, .int32?, .int8?, .uint8?, .int16?, .uint16?: return [Tensor(shape: x.shape, ints: x.ints)]
                default: throw KernelError(reason: "Cast to type \(to) is not supported")
                }
            }
        case "Squeeze", "Unsqueeze":
            let attrAxes = node.ints("axes")
            let squeeze = op == "Squeeze"
            return { a in
                let x = try required(a, 0, "data")
                let axes = (a.count > 1 ? a[1]?.ints.map { Int($0) } : nil) ?? attrAxes
                var y = x
                if squeeze {
                    let rank = x.shape.count
                    let drop = Set((axes ?? x.shape.indices.filter { x.shape[$0] == 1 }).map { $0 < 0 ? $0 + rank : $0 })
                    y.shape = x.shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
                } else {
                    guard let axes else { throw KernelError(reason: "Unsqueeze needs axes") }
                    let rank = x.shape.count + axes.count
                    var shape = x.shape
                    for ax in axes.map({ $0 < 0 ? $0 + rank : $0 }).sorted() { shape.insert(1, at: min(ax, shape.count)) }
                    y.shape = shape
                }
                return [y]
            }
        default:
            throw KernelError(reason: "op \(op) has no kernel")
        }
    }

    static func fusedParams(_ node: Node) -> [Float] {
        if case let .floats(p)? = node[attribute: "activation_params"] { return p }
        return []
    }
}
