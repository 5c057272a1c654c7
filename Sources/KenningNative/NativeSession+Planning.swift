import Foundation
import KenningCore
import KenningModel

/// Planning helpers: which backend takes a node, constant values and the reference kernel of every op.
extension NativeSession {
    /// True for a convolution whose weights (and bias) are constants, which a backend can prepack.
    static func isBackendConv(_ node: Node, _ constants: [Tensor?]) -> Bool {
        let op = NativeOps.key(node)
        if op == "kenning.native.QLinearConv" { return constants.count > 3 && constants[3]?.shape.count == 4 }
        guard op == "Conv" || op == "com.microsoft.FusedConv", constants.count > 1, let w = constants[1], w.shape.count == 4 else { return false }
        return node.inputs.count < 3 || node.inputs[2].isEmpty || constants[2] != nil
    }

    /// A backend operator for a heavy node with constant weights, or nil to use the reference kernel.
    static func planned(_ node: Node, constants: [Tensor?], factory: any OperatorFactory, threads: Int = 1, inputChannelsLast: Bool = false,
                        outputChannelsLast: Bool = false, opset: Int = 17) throws -> (any PlannedOperator)? {
        let op = NativeOps.key(node)
        func constant(_ i: Int) -> Tensor? { i < constants.count ? constants[i] : nil }
        switch op {
        case "Conv", "com.microsoft.FusedConv":
            guard isBackendConv(node, constants), let w = constant(1) else { return nil }
            let act = try Activation(node: node)
            return try factory.conv(try ConvSpec(node: node, weights: w, bias: constant(2), activation: act),
                                    inputChannelsLast: inputChannelsLast, outputChannelsLast: outputChannelsLast)
        case "Gemm", "com.microsoft.FusedGemm":
            guard let b = constant(1), node.inputs.count < 3 || node.inputs[2].isEmpty || constant(2) != nil else { return nil }
            let act = try Activation(node: node)
            guard let spec = DenseSpec.gemm(node: node, b: b, c: constant(2), activation: act) else { return nil }
            return try factory.dense(spec)
        case "MatMul":
            guard let b = constant(1), let spec = DenseSpec.matmul(node: node, b: b) else { return nil }
            return try factory.dense(spec)
        case "kenning.native.MatMul":
            guard let b = constant(1), let bias = constant(2),
                  let spec = DenseSpec.matmul(node: node, b: b, bias: bias, activation: try Activation(node: node)) else { return nil }
            return try factory.dense(spec)
        case "Softmax", "LayerNormalization":
            guard !inputChannelsLast, !outputChannelsLast else { return nil }
            return factory.normalization(node, constants: constants, opset: opset)
        case "ConvTranspose":
            guard let w = constant(1), node.inputs.count < 3 || node.inputs[2].isEmpty || constant(2) != nil else { return nil }
            return try DenseConvTranspose(node: node, weights: w, bias: constant(2), factory: factory, threads: threads)
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
        try ReferenceOps.kernel(for: node, context: ReferenceOps.Context(opset: opset, threads: threads))
    }

    static func fusedParams(_ node: Node) -> [Float] {
        if case let .floats(p)? = node[attribute: "activation_params"] { return p }
        return []
    }
}
