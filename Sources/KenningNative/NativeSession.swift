import Foundation
import KenningCore
import KenningModel

/// Ops the reference backend executes (domain "" unless noted).
public enum NativeOps {
    public static let supported: Set<String> = [
        "Conv", "Gemm", "MatMul", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Add", "Sub", "Mul", "Div", "MaxPool",
        "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization", "Flatten", "Reshape", "Transpose",
        "Concat", "Softmax", "Identity", "Dropout", "Constant", "Cast", "Squeeze", "Unsqueeze",
        "com.microsoft.FusedConv", "com.microsoft.FusedGemm",
    ]

    public static func key(_ node: Node) -> String {
        node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
    }

    /// Nodes of `model` that no kernel covers.
    public static func unsupportedNodes(in model: Model) -> [Node] {
        model.graph.nodes.filter { !supported.contains(key($0)) }
    }
}

/// A model planned for the reference backend: nodes in order, each bound to its kernel.
public final class NativeSession: InferenceSession {
    typealias Kernel = ([Tensor?]) throws -> [Tensor]

    private let steps: [(node: Node, kernel: Kernel)]
    private let constants: [String: Tensor]
    private let inputNames: [String]
    private let outputNames: [String]
    public let threads: Int

    public init(model: Model, threads: Int) throws(KenningError) {
        self.threads = max(1, threads)
        let unsupported = NativeOps.unsupportedNodes(in: model)
        if let first = unsupported.first {
            let ops = Set(unsupported.map(NativeOps.key)).sorted().joined(separator: ", ")
            throw .badInput("the native runtime cannot run \(first.label): unsupported op(s) \(ops)",
                            fix: "use a runtime that supports these ops, or remove them from the model")
        }
        var constants = model.graph.initializers
        var steps: [(Node, Kernel)] = []
        let opset = model.defaultOpset
        for node in try model.graph.topologicallySorted() {
            if node.opType == "Constant" {
                guard case let .tensor(t)? = node[attribute: "value"] else {
                    if case let .floats(f)? = node[attribute: "value_floats"] {
                        constants[node.outputs[0]] = Tensor(shape: [f.count], floats: f)
                        continue
                    }
                    if case let .ints(i)? = node[attribute: "value_ints"] {
                        constants[node.outputs[0]] = Tensor(shape: [i.count], ints: i.map { Int64($0) })
                        continue
                    }
                    if case let .float(f)? = node[attribute: "value_float"] {
                        constants[node.outputs[0]] = Tensor(shape: [], floats: [f])
                        continue
                    }
                    if case let .int(i)? = node[attribute: "value_int"] {
                        constants[node.outputs[0]] = Tensor(shape: [], ints: [Int64(i)])
                        continue
                    }
                    throw .badInput("\(node.label) has no supported value attribute", fix: "re-export the model")
                }
                constants[node.outputs[0]] = t
                continue
            }
            do {
                steps.append((node, try NativeSession.kernel(for: node, opset: opset, threads: self.threads)))
            } catch let e as KernelError {
                throw .badInput("cannot plan \(node.label): \(e.reason)", fix: "check the model; this node's attributes are not supported")
            } catch {
                throw .badInput("cannot plan \(node.label): \(error)")
            }
        }
        self.steps = steps
        self.constants = constants
        self.inputNames = model.graph.runtimeInputs.map(\.name)
        self.outputNames = model.graph.outputs.map(\.name)
    }

    public func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor] {
        guard inputs.count == inputNames.count else {
            throw .failure("the model takes \(inputNames.count) input(s), got \(inputs.count)")
        }
        var values = constants
        for (name, t) in zip(inputNames, inputs) { values[name] = t }
        for (node, kernel) in steps {
            let args = node.inputs.map { $0.isEmpty ? nil : values[$0] }
            do {
                let outs = try kernel(args)
                for (name, t) in zip(node.outputs, outs) where !name.isEmpty { values[name] = t }
            } catch let e as KernelError {
                throw .failure("\(node.label) failed: \(e.reason)", fix: "check that the input matches the model's IO specification")
            } catch {
                throw .failure("\(node.label) failed: \(error)")
            }
        }
        return try outputNames.map { (name: String) throws(KenningError) -> Tensor in
            guard let t = values[name] else { throw .failure("the model did not produce its output \"\(name)\"") }
            return t
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
                                            node: node, activation: act, threads: threads)] }
        case "Gemm", "com.microsoft.FusedGemm":
            let act = try Activation(name: node.string("activation") ?? "", params: fusedParams(node))
            return { a in [try Kernels.gemm(a: try required(a, 0, "A"), b: try required(a, 1, "B"), c: a.count > 2 ? a[2] : nil,
                                            node: node, activation: act, threads: threads)] }
        case "MatMul":
            return { a in [try Kernels.matmul(a: try required(a, 0, "A"), b: try required(a, 1, "B"), threads: threads)] }
        case "Relu": return { a in [Kernels.unary(try required(a, 0, "X")) { $0 > 0 ? $0 : 0 }] }
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
        case "Add": return { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), +)] }
        case "Sub": return { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), -)] }
        case "Mul": return { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), *)] }
        case "Div": return { a in [try Kernels.binary(try required(a, 0, "A"), try required(a, 1, "B"), /)] }
        case "MaxPool": return { a in [try Kernels.pool(x: try required(a, 0, "X"), node: node, isMax: true)] }
        case "AveragePool": return { a in [try Kernels.pool(x: try required(a, 0, "X"), node: node, isMax: false)] }
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

extension NativeSession {
    /// Evaluates one node on constant inputs (used by constant folding).
    public static func evaluate(_ node: Node, _ inputs: [Tensor?], opset: Int) throws -> [Tensor] {
        try kernel(for: node, opset: opset, threads: 1)(inputs)
    }
}
