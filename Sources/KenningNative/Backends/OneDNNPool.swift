import CDNNL
import KenningModel
import KenningCore

/// MaxPool / AveragePool on channels-last data as a oneDNN pooling primitive (planned once per input shape).
/// Only explicit padding without ceil mode: other forms stay on the Swift kernel.
final class OneDNNPool: PlannedOperator {
    final class Plan {
        var prim: dnnl_primitive_t?
        var src: dnnl_memory_t?, dst: dnnl_memory_t?
        var threads = 1
        deinit {
            if let prim { dnnl_primitive_destroy(prim) }
            if let src { dnnl_memory_destroy(src) }
            if let dst { dnnl_memory_destroy(dst) }
        }
    }

    let label: String
    let isMax: Bool, includePad: Bool
    let kernel: [Int], strides: [Int], dilations: [Int], pads: [Int]
    unowned let ctx: OneDNNFactory
    var plans: [[Int]: Plan] = [:]

    /// nil when the node's form is not covered (auto_pad, ceil_mode, not 2-D).
    init?(node: Node, _ ctx: OneDNNFactory) {
        guard let k = node.ints("kernel_shape"), k.count == 2, node.int("ceil_mode", default: 0) == 0,
              ["NOTSET", "VALID"].contains(node.string("auto_pad") ?? "NOTSET"), node.outputs.filter({ !$0.isEmpty }).count == 1 else { return nil }
        label = node.label
        isMax = node.opType == "MaxPool"
        includePad = node.int("count_include_pad", default: 0) == 1
        kernel = k
        strides = node.ints("strides") ?? [1, 1]
        dilations = node.ints("dilations") ?? [1, 1]
        pads = node.string("auto_pad") == "VALID" ? [0, 0, 0, 0] : node.ints("pads") ?? [0, 0, 0, 0]
        self.ctx = ctx
        guard strides.count == 2, dilations.count == 2, pads.count == 4 else { return nil }
    }

    func outputShape(_ x: [Int]) throws -> [Int] {
        guard x.count == 4 else { throw KernelError(reason: "only 2-D pooling (4-D input) is supported, got \(x)") }
        let oh = (x[2] + pads[0] + pads[2] - ((kernel[0] - 1) * dilations[0] + 1)) / strides[0] + 1
        let ow = (x[3] + pads[1] + pads[3] - ((kernel[1] - 1) * dilations[1] + 1)) / strides[1] + 1
        guard oh > 0, ow > 0 else { throw KernelError(reason: "output would be empty (input \(x), kernel \(kernel))") }
        return [x[0], x[1], oh, ow]
    }

    func plan(_ shape: [Int]) throws -> (Plan, [Int]) {
        let out = try outputShape(shape)
        if let p = plans[shape] { return (p, out) }
        let n = ctx.threads(for: Double(out.reduce(1, *) * kernel[0] * kernel[1]))
        let plan = try ctx.with(threads: n) { () throws -> Plan in
            let plan = Plan()
            var srcMD = try ctx.desc(shape, dnnl_nhwc, label)
            var dstMD = try ctx.desc(out, dnnl_nhwc, label)
            var d = dnnl_pooling_v2_desc_t()
            let alg = isMax ? dnnl_pooling_max : includePad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding
            try dnnlCheck(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, alg, &srcMD, &dstMD, strides.map { Int64($0) },
                                                            kernel.map { Int64($0) }, dilations.map { Int64($0 - 1) },
                                                            [Int64(pads[0]), Int64(pads[1])], [Int64(pads[2]), Int64(pads[3])]),
                          "dnnl_pooling_v2_forward_desc_init", label)
            var pdOut: dnnl_primitive_desc_t?
            try dnnlCheck(dnnl_primitive_desc_create(&pdOut, &d, nil, ctx.engine, nil), "dnnl_primitive_desc_create", label)
            guard let pd = pdOut else { throw KenningError.failure("oneDNN returned no pooling for \(label)") }
            defer { dnnl_primitive_desc_destroy(pd) }
            plan.prim = try ctx.primitive(pd, label)
            plan.src = try ctx.memory(&srcMD, allocate: false, label)
            plan.dst = try ctx.memory(&dstMD, allocate: false, label)
            return plan
        }
        plan.threads = n
        plans[shape] = plan
        return (plan, out)
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        let (plan, out) = try plan(x.shape)
        let xs = x.floats
        let values = try ctx.with(threads: plan.threads) { () throws -> [Float] in
            try makeFloats(out.reduce(1, *)) { (o: UnsafeMutablePointer<Float>) throws in
                try xs.withUnsafeBufferPointer { xp in
                    try dnnlCheck(dnnl_memory_set_data_handle(plan.src, UnsafeMutableRawPointer(mutating: xp.baseAddress)), "dnnl_memory_set_data_handle", label)
                    try dnnlCheck(dnnl_memory_set_data_handle(plan.dst, o), "dnnl_memory_set_data_handle", label)
                    try ctx.execute(plan.prim!, [(DNNL_ARG_SRC, plan.src!), (DNNL_ARG_DST, plan.dst!)], label)
                    try ctx.wait(label)
                }
            }
        }
        return Tensor(shape: out, floats: values)
    }
}
