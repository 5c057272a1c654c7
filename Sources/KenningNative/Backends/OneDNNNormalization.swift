import CDNNL
import KenningCore
import KenningModel

/// Softmax over the last axis and LayerNormalization over the last axis (constant scale and bias) as oneDNN
/// primitives on plain row-major data, planned once per input shape.
final class OneDNNNormalization: PlannedOperator {
    enum Kind {
        /// The axis as the node gives it; only the last axis runs on oneDNN, another on the reference kernel.
        case softmax(axis: Int, legacy: Bool)
        /// epsilon, and scale then shift ([2, C], oneDNN's scale-shift layout)
        case layerNorm(epsilon: Float, scaleShift: [Float])
    }

    final class Plan {
        var prim: dnnl_primitive_t?
        var src: dnnl_memory_t?, dst: dnnl_memory_t?, scaleShift: dnnl_memory_t?
        var threads = 1
        deinit {
            if let prim { dnnl_primitive_destroy(prim) }
            for m in [src, dst, scaleShift].compactMap({ $0 }) { dnnl_memory_destroy(m) }
        }
    }

    let label: String
    let kind: Kind
    unowned let ctx: OneDNNFactory
    var plans: [[Int]: Plan] = [:]

    /// nil when the node is not of a covered form: the normalized axis must be the last one, LayerNormalization's
    /// scale (and bias) constants of that axis's size, and only its first output read.
    init?(node: Node, constants: [Tensor?], opset: Int, _ ctx: OneDNNFactory) {
        label = node.label
        self.ctx = ctx
        switch node.opType {
        case "Softmax" where node.domain.isEmpty:
            // Before opset 13 Softmax flattens from `axis` on; both meanings agree only on the last axis.
            kind = .softmax(axis: node.int("axis", default: opset >= 13 ? -1 : 1), legacy: opset < 13)
        case "LayerNormalization" where node.domain.isEmpty:
            guard node.int("axis", default: -1) == -1, node.outputs.dropFirst().allSatisfy(\.isEmpty), constants.count > 1,
                  let scale = constants[1], scale.elementType == .float32 else { return nil }
            let c = scale.count
            let bias = constants.count > 2 ? constants[2] : nil
            if node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil { return nil }
            guard bias.map({ $0.count == c && $0.elementType == .float32 }) ?? true else { return nil }
            kind = .layerNorm(epsilon: node.float("epsilon", default: 1e-5), scaleShift: scale.floats + (bias?.floats ?? [Float](repeating: 0, count: c)))
        default:
            return nil
        }
    }

    private static let tags = [dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde]

    func plan(_ shape: [Int]) throws -> Plan {
        if let p = plans[shape] { return p }
        guard (1...Self.tags.count).contains(shape.count), shape.allSatisfy({ $0 > 0 }) else {
            throw KernelError(reason: "oneDNN normalization of a rank-\(shape.count) tensor \(shape)")
        }
        if case let .layerNorm(_, scaleShift) = kind, scaleShift.count != 2 * shape[shape.count - 1] {
            throw KernelError(reason: "LayerNormalization's scale has \(scaleShift.count / 2) values for a last axis of \(shape[shape.count - 1])")
        }
        let n = ctx.threads(for: Double(shape.reduce(1, *)) * 16)
        let plan = try ctx.with(threads: n) { () throws -> Plan in
            let plan = Plan()
            var md = try ctx.desc(shape, Self.tags[shape.count - 1], label)
            var pdOut: dnnl_primitive_desc_t?
            switch kind {
            case .softmax:
                var d = dnnl_softmax_desc_t()
                try dnnlCheck(dnnl_softmax_forward_desc_init(&d, dnnl_forward_inference, &md, Int32(shape.count - 1)),
                              "dnnl_softmax_forward_desc_init", label)
                try dnnlCheck(dnnl_primitive_desc_create(&pdOut, &d, nil, ctx.engine, nil), "dnnl_primitive_desc_create", label)
            case let .layerNorm(epsilon, scaleShift):
                var d = dnnl_layer_normalization_desc_t()
                try dnnlCheck(dnnl_layer_normalization_forward_desc_init(&d, dnnl_forward_inference, &md, nil, epsilon, dnnl_use_scaleshift.rawValue),
                              "dnnl_layer_normalization_forward_desc_init", label)
                try dnnlCheck(dnnl_primitive_desc_create(&pdOut, &d, nil, ctx.engine, nil), "dnnl_primitive_desc_create", label)
                var ssMD = try ctx.desc([2, shape[shape.count - 1]], dnnl_ab, label)
                let ss = try ctx.memory(&ssMD, allocate: true, label)
                plan.scaleShift = ss
                var handle: UnsafeMutableRawPointer?
                try dnnlCheck(dnnl_memory_get_data_handle(ss, &handle), "dnnl_memory_get_data_handle", label)
                scaleShift.withUnsafeBufferPointer { handle!.copyMemory(from: $0.baseAddress!, byteCount: $0.count * 4) }
            }
            guard let pd = pdOut else { throw KenningError.failure("oneDNN returned no normalization for \(label)") }
            defer { dnnl_primitive_desc_destroy(pd) }
            plan.prim = try ctx.primitive(pd, label)
            plan.src = try ctx.memory(&md, allocate: false, label)
            plan.dst = try ctx.memory(&md, allocate: false, label)
            return plan
        }
        plan.threads = n
        plans[shape] = plan
        return plan
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        if case let .softmax(axis, legacy) = kind, axis != -1, axis != x.shape.count - 1 {
            return try Kernels.softmax(x: x, axis: axis, legacy: legacy, threads: ctx.threads)
        }
        let plan = try plan(x.shape)
        let xs = x.floats
        let values = try ctx.with(threads: plan.threads) { () throws -> [Float] in
            try makeFloats(xs.count) { (o: UnsafeMutablePointer<Float>) throws in
                try xs.withUnsafeBufferPointer { xp in
                    try dnnlCheck(dnnl_memory_set_data_handle(plan.src, UnsafeMutableRawPointer(mutating: xp.baseAddress)), "dnnl_memory_set_data_handle", label)
                    try dnnlCheck(dnnl_memory_set_data_handle(plan.dst, o), "dnnl_memory_set_data_handle", label)
                    var args = [(DNNL_ARG_SRC, plan.src!), (DNNL_ARG_DST, plan.dst!)]
                    if let ss = plan.scaleShift { args.append((DNNL_ARG_WEIGHTS, ss)) }
                    try ctx.execute(plan.prim!, args, label)
                    try ctx.wait(label)
                }
            }
        }
        return Tensor(shape: x.shape, floats: values)
    }
}
