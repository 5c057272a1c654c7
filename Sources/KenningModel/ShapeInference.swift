import KenningCore

/// Static shape inference for the ops the project runs: every value's concrete shape for given input shapes.
/// Mismatches are reported as bad input naming the node.
public enum ShapeInference {
    /// `evaluate`, when given, computes nodes whose inputs are all constant (weights built by ConstantOfShape,
    /// Shape → Gather → Concat → Reshape chains), so shapes that depend on them are known.
    public static func infer(_ model: Model, inputShapes: [String: [Int]], evaluate: NodeEvaluator? = nil) throws(KenningError) -> [String: [Int]] {
        try propagate(model, inputShapes: inputShapes, evaluate: evaluate, partial: false).shapes
    }

    /// The shapes and constant values known before the first unresolved node (an If not yet inlined, or a node that
    /// reads from one): such nodes are skipped rather than reported, so control flow can be resolved step by step.
    public static func inferPartially(_ model: Model, inputShapes: [String: [Int]],
                                      evaluate: NodeEvaluator?) throws(KenningError) -> (shapes: [String: [Int]], constants: [String: Tensor]) {
        try propagate(model, inputShapes: inputShapes, evaluate: evaluate, partial: true)
    }

    static func propagate(_ model: Model, inputShapes: [String: [Int]], evaluate: NodeEvaluator?,
                          partial: Bool) throws(KenningError) -> (shapes: [String: [Int]], constants: [String: Tensor]) {
        var shapes: [String: [Int]] = [:]
        var constants = model.graph.initializers
        for (name, t) in model.graph.initializers { shapes[name] = t.shape }
        for input in model.graph.runtimeInputs {
            if let s = inputShapes[input.name] {
                shapes[input.name] = s
            } else if let declared = input.shape, declared.allSatisfy({ $0.value != nil }) {
                shapes[input.name] = declared.map { $0.value! }
            } else {
                throw .badInput("input \"\(input.name)\" has unknown dimensions \(input.shape ?? []) and no size was given",
                                fix: "give the input's full shape")
            }
        }
        let opset = model.defaultOpset
        for node in try model.graph.topologicallySorted() {
            let ins = node.inputs.map { $0.isEmpty ? nil : shapes[$0] }
            if partial, !node.subgraphs.isEmpty || zip(node.inputs, ins).contains(where: { !$0.0.isEmpty && $0.1 == nil }) { continue }
            if node.opType == "Shape", let x = ins.first ?? nil, node[attribute: "start"] == nil, node[attribute: "end"] == nil {
                constants[node.outputs[0]] = Tensor(shape: [x.count], ints: x.map { Int64($0) })
                shapes[node.outputs[0]] = [x.count]
                continue
            }
            if let evaluate, node.opType != "Dropout", !node.presentInputs.isEmpty,
               node.presentInputs.allSatisfy({ constants[$0] != nil }),
               let outs = try? evaluate(node, node.inputs.map { $0.isEmpty ? nil : constants[$0] }, opset)
            {
                for (name, t) in zip(node.outputs, outs) where !name.isEmpty {
                    constants[name] = t
                    shapes[name] = t.shape
                }
                continue
            }
            do {
                let outs: [[Int]]
                do {
                    outs = try outputShapes(node, ins, constants: constants, opset: opset)
                } catch let missing as ShapeError where missing.noRule && evaluate != nil {
                    outs = try placeholderShapes(node, ins, constants: constants, opset: opset, evaluate: evaluate!)
                }
                for s in outs { try checkPlausible(s) }
                for (name, s) in zip(node.outputs, outs) where !name.isEmpty { shapes[name] = s }
                if node.opType == "Constant", case let .tensor(t)? = node[attribute: "value"] { constants[node.outputs[0]] = t }
            } catch let reason as ShapeError {
                throw .badInput("invalid model: \(node.label): \(reason.text) (input shapes \(ins.map { $0.map { "\($0)" } ?? "none" }))",
                                fix: "the model's shapes do not agree; re-export it or check the input size")
            } catch {
                throw .badInput("invalid model: \(node.label): \(error)")
            }
        }
        return (shapes, constants)
    }

    struct ShapeError: Error {
        let text: String
        var noRule = false
    }

    /// Ops whose output has their first input's shape.
    static let sameShape: Set<String> = [
        "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Identity", "Dropout", "Softmax", "LogSoftmax", "Cast", "LRN", "QuantizeLinear",
        "DequantizeLinear", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "ThresholdedRelu", "Softplus", "Softsign", "Mish", "Gelu",
        "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Erf", "Sin", "Cos", "Tan", "Atan", "Sign", "IsNaN", "Neg", "Abs",
        "Not", "InstanceNormalization",
    ]

    /// Ops whose output is the broadcast of their inputs' shapes.
    static let broadcasting: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Mod", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor",
        "Sum", "Max", "Min", "Where",
    ]

    /// Output shapes of an op without a rule here: its kernel run on zeros of the input shapes (constant inputs as they
    /// are), so the shape follows the kernel exactly.
    static func placeholderShapes(_ node: Node, _ ins: [[Int]?], constants: [String: Tensor], opset: Int,
                                  evaluate: NodeEvaluator) throws -> [[Int]] {
        var inputs: [Tensor?] = []
        for (name, shape) in zip(node.inputs, ins) {
            if name.isEmpty { inputs.append(nil); continue }
            if let c = constants[name] { inputs.append(c); continue }
            guard let shape else { throw ShapeError(text: "the shape of input \"\(name)\" is unknown") }
            let count = shape.reduce(1, *)
            guard count <= 1 << 26 else { throw ShapeError(text: "no shape rule for op \(node.opType), and its input \(shape) is too large to evaluate") }
            inputs.append(Tensor(shape: shape, floats: [Float](repeating: 0, count: count)))
        }
        do {
            return try evaluate(node, inputs, opset).map(\.shape)
        } catch {
            throw ShapeError(text: "\(error)")
        }
    }

    /// Strides, dilations and pads of a 2-D window op, checked (two positive strides and dilations, four pads ≥ 0).
    static func window(_ n: Node) throws -> (strides: [Int], dilations: [Int], pads: [Int]) {
        let s = n.ints("strides") ?? [1, 1], d = n.ints("dilations") ?? [1, 1], p = n.ints("pads") ?? [0, 0, 0, 0]
        guard s.count == 2, d.count == 2, p.count == 4, s.allSatisfy({ $0 > 0 }), d.allSatisfy({ $0 > 0 }), p.allSatisfy({ $0 >= 0 }) else {
            throw ShapeError(text: "strides \(s), dilations \(d) and pads \(p) are not a valid 2-D window")
        }
        return (s, d, p)
    }

    /// Rejects a shape no tensor can have: a negative dimension, or more elements than any machine holds.
    static func checkPlausible(_ shape: [Int]) throws {
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, product <= 1 << 40 else { throw ShapeError(text: "impossible shape \(shape)") }
            count = product
        }
    }

    static func need(_ ins: [[Int]?], _ i: Int) throws -> [Int] {
        guard i < ins.count, let s = ins[i] else { throw ShapeError(text: "input \(i) is missing") }
        return s
    }

    static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a, pb = Array(repeating: 1, count: rank - b.count) + b
        return try (0..<rank).map { i in
            if pa[i] == pb[i] || pb[i] == 1 { return pa[i] }
            if pa[i] == 1 { return pb[i] }
            throw ShapeError(text: "shapes \(a) and \(b) cannot be broadcast")
        }
    }

    static func spatial(_ input: Int, _ k: Int, _ s: Int, _ d: Int, _ p0: Int, _ p1: Int, _ autoPad: String, ceil: Bool) -> Int {
        let eff = (k - 1) * d + 1
        switch autoPad {
        case "SAME_UPPER", "SAME_LOWER": return (input + s - 1) / s
        case "VALID": return (input - eff) / s + 1
        default:
            let span = input + p0 + p1 - eff
            var out = (ceil ? (span + s - 1) / s : span / s) + 1
            if ceil, (out - 1) * s >= input + p0 { out -= 1 }
            return out
        }
    }

    static func outputShapes(_ n: Node, _ ins: [[Int]?], constants: [String: Tensor], opset: Int) throws -> [[Int]] {
        switch n.opType {
        case "QLinearConv":
            var conv = n
            conv.opType = "Conv"
            return try outputShapes(conv, [ins.first ?? nil, ins.count > 3 ? ins[3] : nil], constants: constants, opset: opset)
        case "Conv", "FusedConv":
            let x = try need(ins, 0), w = try need(ins, 1)
            if x.count == 3, w.count == 3 {
                // 1-D: the 2-D rule on a unit height (the native runtime lifts such convolutions the same way).
                var lifted = n
                lifted.attributes = GraphPasses.liftedTo2D(n.attributes)
                let out = try outputShapes(lifted, [[x[0], x[1], 1, x[2]], [w[0], w[1], 1, w[2]]] + ins.dropFirst(2), constants: constants, opset: opset)
                return [[out[0][0], out[0][1], out[0][3]]]
            }
            guard x.count == 4, w.count == 4 else { throw ShapeError(text: "only 1-D and 2-D convolutions are supported") }
            let group = n.int("group", default: 1)
            guard x[1] == w[1] * group else {
                throw ShapeError(text: "input has \(x[1]) channels but weights \(w) with group \(group) expect \(w[1] * group)")
            }
            if ins.count > 2, let b = ins[2], b != [w[0]] { throw ShapeError(text: "bias shape \(b) does not match \(w[0]) output channels") }
            let (s, d, p) = try window(n)
            let ap = n.string("auto_pad") ?? "NOTSET"
            let out = [x[0], w[0], spatial(x[2], w[2], s[0], d[0], p[0], p[2], ap, ceil: false), spatial(x[3], w[3], s[1], d[1], p[1], p[3], ap, ceil: false)]
            guard out[2] > 0, out[3] > 0 else { throw ShapeError(text: "the output would be empty") }
            return [out]
        case "MaxPool", "AveragePool":
            let x = try need(ins, 0)
            guard x.count == 4, let k = n.ints("kernel_shape"), k.count == 2, k.allSatisfy({ $0 > 0 }) else { throw ShapeError(text: "only 2-D pooling is supported") }
            let (s, d, p) = try window(n)
            let ap = n.string("auto_pad") ?? "NOTSET", c = n.int("ceil_mode", default: 0) == 1
            let out = [x[0], x[1], spatial(x[2], k[0], s[0], d[0], p[0], p[2], ap, ceil: c), spatial(x[3], k[1], s[1], d[1], p[1], p[3], ap, ceil: c)]
            guard out[2] > 0, out[3] > 0 else { throw ShapeError(text: "the output would be empty") }
            return [out]
        case "GlobalAveragePool", "GlobalMaxPool":
            let x = try need(ins, 0)
            guard x.count >= 3 else { throw ShapeError(text: "input must have rank ≥ 3") }
            return [[x[0], x[1]] + Array(repeating: 1, count: x.count - 2)]
        case "Gemm", "FusedGemm":
            let a = try need(ins, 0), b = try need(ins, 1)
            guard a.count == 2, b.count == 2 else { throw ShapeError(text: "Gemm needs 2-D inputs") }
            let ta = n.int("transA", default: 0) == 1, tb = n.int("transB", default: 0) == 1
            let (m, k) = ta ? (a[1], a[0]) : (a[0], a[1])
            let (k2, nn) = tb ? (b[1], b[0]) : (b[0], b[1])
            guard k == k2 else { throw ShapeError(text: "inner dimensions \(k) and \(k2) differ") }
            if ins.count > 2, let c = ins[2] { _ = try broadcast([m, nn], c) }
            return [[m, nn]]
        case "MatMul":
            var a = try need(ins, 0), b = try need(ins, 1)
            let av = a.count == 1, bv = b.count == 1
            guard !a.isEmpty, !b.isEmpty else { throw ShapeError(text: "MatMul of a scalar") }
            if av { a = [1] + a }
            if bv { b = b + [1] }
            guard a[a.count - 1] == b[b.count - 2] else { throw ShapeError(text: "inner dimensions differ") }
            var out = try broadcast(Array(a.dropLast(2)), Array(b.dropLast(2))) + [a[a.count - 2], b[b.count - 1]]
            if av { out.remove(at: out.count - 2) }
            if bv { out.removeLast() }
            return [out]
        case _ where broadcasting.contains(n.opType):
            var out = try need(ins, 0)
            for i in 1..<max(1, ins.count) { out = try broadcast(out, try need(ins, i)) }
            return [out]
        case "Shape":
            return [[try need(ins, 0).count]]
        case "ConstantOfShape":
            guard let t = constants[n.inputs[0]] else { throw ShapeError(text: "the target shape is not a constant") }
            return [t.ints.map { Int($0) }]
        case "Gather":
            let x = try need(ins, 0), idx = try need(ins, 1)
            var ax = n.int("axis", default: 0)
            if ax < 0 { ax += x.count }
            guard ax >= 0, ax < x.count else { throw ShapeError(text: "axis out of range") }
            return [Array(x.prefix(ax)) + idx + Array(x.suffix(from: ax + 1))]
        case _ where sameShape.contains(n.opType):
            return [try need(ins, 0)]
        case "BatchNormalization":
            let x = try need(ins, 0)
            guard x.count >= 2 else { throw ShapeError(text: "input must have rank ≥ 2") }
            for i in 1...4 where ins.count > i {
                if let s = ins[i], s != [x[1]] { throw ShapeError(text: "parameter \(i) has shape \(s), expected [\(x[1])]") }
            }
            return [x]
        case "Flatten":
            let x = try need(ins, 0)
            var ax = n.int("axis", default: 1)
            if ax < 0 { ax += x.count }
            guard ax >= 0, ax <= x.count else { throw ShapeError(text: "axis out of range") }
            return [[x.prefix(ax).reduce(1, *), x.suffix(from: ax).reduce(1, *)]]
        case "Reshape":
            let x = try need(ins, 0)
            let spec: [Int]
            if opset >= 5 {
                guard n.inputs.count > 1, let t = constants[n.inputs[1]] else { throw ShapeError(text: "the target shape is not a constant") }
                spec = t.ints.map { Int($0) }
            } else {
                spec = n.ints("shape") ?? []
            }
            var shape = spec
            for i in shape.indices where shape[i] == 0 && n.int("allowzero", default: 0) == 0 && i < x.count { shape[i] = x[i] }
            let total = x.reduce(1, *)
            if let u = shape.firstIndex(of: -1) {
                let known = shape.enumerated().filter { $0.offset != u }.map(\.element).reduce(1, *)
                guard known > 0, total % known == 0 else { throw ShapeError(text: "cannot reshape \(x) to \(spec)") }
                shape[u] = total / known
            }
            guard shape.reduce(1, *) == total else { throw ShapeError(text: "cannot reshape \(x) to \(spec)") }
            return [shape]
        case "Transpose":
            let x = try need(ins, 0)
            let perm = n.ints("perm") ?? Array((0..<x.count).reversed())
            guard perm.sorted() == Array(0..<x.count) else { throw ShapeError(text: "perm \(perm) does not fit rank \(x.count)") }
            return [perm.map { x[$0] }]
        case "Concat":
            let shapes = ins.compactMap { $0 }
            guard let first = shapes.first else { throw ShapeError(text: "no inputs") }
            var ax = n.int("axis", default: 0)
            if ax < 0 { ax += first.count }
            var out = first
            guard ax >= 0, ax < first.count else { throw ShapeError(text: "axis \(n.int("axis", default: 0)) out of range for rank \(first.count)") }
            out[ax] = 0
            for s in shapes {
                guard s.count == first.count, (0..<s.count).allSatisfy({ $0 == ax || s[$0] == first[$0] }) else {
                    throw ShapeError(text: "inputs \(shapes) differ outside axis \(ax)")
                }
                out[ax] += s[ax]
            }
            return [out]
        case "Constant":
            if case let .tensor(t)? = n[attribute: "value"] { return [t.shape] }
            if case let .floats(f)? = n[attribute: "value_floats"] { return [[f.count]] }
            if case let .ints(i)? = n[attribute: "value_ints"] { return [[i.count]] }
            return [[]]
        case "Squeeze", "Unsqueeze":
            let x = try need(ins, 0)
            let axes = (n.inputs.count > 1 ? constants[n.inputs[1]]?.ints.map { Int($0) } : nil) ?? n.ints("axes")
            if n.opType == "Squeeze" {
                let drop = Set((axes ?? x.indices.filter { x[$0] == 1 }).map { $0 < 0 ? $0 + x.count : $0 })
                return [x.enumerated().filter { !drop.contains($0.offset) }.map(\.element)]
            }
            guard let axes else { throw ShapeError(text: "Unsqueeze needs axes") }
            var out = x
            let rank = x.count + axes.count
            let normalized = axes.map { $0 < 0 ? $0 + rank : $0 }
            guard normalized.allSatisfy({ $0 >= 0 && $0 < rank }), Set(normalized).count == normalized.count else {
                throw ShapeError(text: "axes \(axes) do not fit rank \(rank)")
            }
            for ax in normalized.sorted() { out.insert(1, at: min(ax, out.count)) }
            return [out]
        default:
            throw ShapeError(text: "no shape rule for op \(n.opType)", noRule: true)
        }
    }
}
