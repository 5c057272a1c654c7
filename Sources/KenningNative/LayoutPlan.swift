import KenningCore
import KenningModel

/// Which values a channels-last backend (oneDNN, XNNPACK) keeps channels-last, and where the session converts.
///
/// Backend convolutions write channels-last. Element-wise ops on equal shapes, pooling, channel concat,
/// BatchNormalization and per-channel Mul/Add follow their inputs (with channels-last kernels); any other op gets
/// NCHW inputs, converted just before it runs. A convolution whose every reader would convert writes NCHW instead.
struct LayoutPlan {
    enum Conversion { case toNCHW, toNHWC }

    /// Values stored channels-last.
    private(set) var channelsLast: Set<String> = []
    /// Node index → (input index, conversion) applied before the node runs.
    private(set) var conversions: [Int: [(Int, Conversion)]] = [:]
    /// Nodes that run a channels-last kernel (pooling, concat, BatchNormalization, per-channel Mul/Add).
    private(set) var channelsLastKernel: Set<Int> = []

    static let unary: Set<String> = Set(["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "Identity", "Dropout", "Neg", "Abs",
                                           "kenning.native.SiLU"])
        .union(ReferenceOps.unaryMath.keys)
    static let elementwise: Set<String> = ["Add", "Sub", "Mul", "Div", "Sum", "Max", "Min"]

    /// Plans `nodes` (in execution order) given every value's shape.
    init(shapes: [String: [Int]], nodes: [Node], constants: (Node) -> [Tensor?], backendConv: (Node) -> Bool) {
        func is4D(_ name: String) -> Bool { shapes[name]?.count == 4 }
        func neutral(_ name: String) -> Bool { shapes[name].map(ChannelsLast.isNeutral) ?? true }
        var cl = Set<String>()
        var conv: [Int: [(Int, Conversion)]] = [:]
        var clKernel = Set<Int>()
        var producerIsConv: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            let op = NativeOps.key(node)
            let out = node.outputs.first ?? ""
            let data = node.inputs.enumerated().filter { !$0.element.isEmpty }
            func convertAll(_ inputs: [(offset: Int, element: String)], to target: Conversion) {
                for (i, name) in inputs where !neutral(name) {
                    if target == .toNCHW, cl.contains(name) { conv[index, default: []].append((i, .toNCHW)) }
                    if target == .toNHWC, !cl.contains(name) { conv[index, default: []].append((i, .toNHWC)) }
                }
            }
            if backendConv(node) {
                let residual = node.inputs.count > 3 && !node.inputs[3].isEmpty
                if is4D(out), !neutral(out) {
                    cl.insert(out)
                    if !residual { producerIsConv[out] = index }
                    // The residual is added in the output's layout.
                    if residual { convertAll([(3, node.inputs[3])], to: .toNHWC) }
                } else if residual {
                    convertAll([(3, node.inputs[3])], to: .toNCHW)
                }
                continue
            }
            let anyCL = data.contains { cl.contains($0.element) }
            if !anyCL {
                continue
            }
            // Dropout's optional mask output is never produced at inference.
            let single = node.outputs.filter { !$0.isEmpty }.count == 1 || op == "Dropout"
            let perTensorQDQ = ["QuantizeLinear", "DequantizeLinear"].contains(op) && (constants(node).count > 1 ? constants(node)[1]?.count == 1 : false)
            if LayoutPlan.unary.contains(op) || LayoutPlan.elementwise.contains(op) || perTensorQDQ {
                let operands = LayoutPlan.unary.contains(op) || perTensorQDQ ? Array(data.prefix(1)) : data
                let sameShape = operands.allSatisfy { shapes[$0.element] == shapes[out] } && is4D(out)
                if sameShape, single {
                    convertAll(operands, to: .toNHWC)
                    if !neutral(out) { cl.insert(out) }
                    continue
                }
                if ["Mul", "Add"].contains(op), data.count == 2, single, is4D(out),
                   let (full, other) = data[0].element == out || shapes[data[0].element] == shapes[out] ? (data[0], data[1]) : (data[1], data[0]) as ((offset: Int, element: String), (offset: Int, element: String))?,
                   cl.contains(full.element), constants(node)[other.offset] != nil,
                   let s = shapes[other.element], Kernels.channelwise(s, of: shapes[out] ?? []) {
                    clKernel.insert(index)
                    cl.insert(out)
                    continue
                }
            } else if ["MaxPool", "AveragePool"].contains(op), single, is4D(out) {
                clKernel.insert(index)
                if !neutral(out) { cl.insert(out) }
                continue
            } else if ["GlobalAveragePool", "GlobalMaxPool"].contains(op), is4D(data[0].element) {
                clKernel.insert(index)
                continue
            } else if op == "Concat", is4D(out), [1, -3].contains(node.int("axis", default: 0)), data.allSatisfy({ is4D($0.element) }) {
                convertAll(data, to: .toNHWC)
                clKernel.insert(index)
                if !neutral(out) { cl.insert(out) }
                continue
            } else if op == "BatchNormalization", single, is4D(out), data.count == 5, data.dropFirst().allSatisfy({ constants(node)[$0.offset] != nil }) {
                clKernel.insert(index)
                if !neutral(out) { cl.insert(out) }
                continue
            }
            convertAll(data, to: .toNCHW)
        }
        // A convolution whose readers all convert to NCHW (or that is a graph output only) writes NCHW itself.
        var readers: [String: [(node: Int, input: Int)]] = [:]
        for (index, node) in nodes.enumerated() {
            for (i, name) in node.inputs.enumerated() where !name.isEmpty { readers[name, default: []].append((index, i)) }
        }
        for (value, _) in producerIsConv where cl.contains(value) {
            let rs = readers[value] ?? []
            let allConvert = rs.allSatisfy { r in
                !backendConv(nodes[r.node]) && (conv[r.node] ?? []).contains { $0.0 == r.input && $0.1 == .toNCHW }
            }
            if allConvert {
                cl.remove(value)
                for r in rs { conv[r.node]?.removeAll { $0.0 == r.input } }
            }
        }
        channelsLast = cl
        conversions = conv
        channelsLastKernel = clKernel
    }
}

extension NativeSession {
    /// Channels-last kernels for the nodes a `LayoutPlan` marks.
    static func channelsLastKernel(for node: Node, constants: [Tensor?], threads: Int) throws -> Kernel {
        switch NativeOps.key(node) {
        case "MaxPool", "AveragePool":
            let isMax = node.opType == "MaxPool"
            return { a in [try ChannelsLast.pool(x: try required(a, 0, "X"), node: node, isMax: isMax, threads: threads)] }
        case "GlobalAveragePool", "GlobalMaxPool":
            let isMax = node.opType == "GlobalMaxPool"
            return { a in [try ChannelsLast.globalPool(x: try required(a, 0, "X"), isMax: isMax)] }
        case "Concat":
            return { a in [try ChannelsLast.concatChannels(a.compactMap { $0 })] }
        case "BatchNormalization":
            let eps = node.float("epsilon", default: 1e-5)
            return { a in
                [try ChannelsLast.batchNorm(x: try required(a, 0, "X"), scale: try required(a, 1, "scale"), bias: try required(a, 2, "B"),
                                            mean: try required(a, 3, "mean"), variance: try required(a, 4, "var"), epsilon: eps)]
            }
        case "Mul", "Add":
            let isMul = node.opType == "Mul"
            let constantIndex = constants.count > 1 && constants[1] != nil ? 1 : 0
            guard let v = constants[constantIndex]?.floats else { throw KernelError(reason: "per-channel operand is not constant") }
            return { a in
                let x = try required(a, 1 - constantIndex, "X")
                let c = x.shape[1]
                let values = v.count == 1 ? [Float](repeating: v[0], count: c) : v
                guard values.count == c else { throw KernelError(reason: "operand has \(v.count) values for \(c) channels") }
                let ones = [Float](repeating: 1, count: c), zeros = [Float](repeating: 0, count: c)
                return [ChannelsLast.perChannel(x, isMul ? values : ones, isMul ? zeros : values)]
            }
        default:
            throw KernelError(reason: "no channels-last kernel for \(node.opType)")
        }
    }
}
