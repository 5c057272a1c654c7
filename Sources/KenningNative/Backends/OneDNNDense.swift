import CDNNL
import KenningModel
import KenningCore

/// A fully connected layer as a oneDNN inner product (weights reordered once per batch size).
final class OneDNNDense: PlannedOperator {
    final class Plan {
        var prim: dnnl_primitive_t?
        var memories: [dnnl_memory_t] = []
        var src: dnnl_memory_t?, dst: dnnl_memory_t?, weights: dnnl_memory_t?, bias: dnnl_memory_t?
        var threads = 1
        deinit {
            if let prim { dnnl_primitive_destroy(prim) }
            for m in memories { dnnl_memory_destroy(m) }
        }
    }

    let spec: DenseSpec
    unowned let ctx: OneDNNFactory
    var plans: [Int: Plan] = [:]

    init(_ spec: DenseSpec, _ ctx: OneDNNFactory) {
        self.spec = spec
        self.ctx = ctx
    }

    func plan(_ rows: Int) throws -> Plan {
        if let p = plans[rows] { return p }
        let n = ctx.threads(for: 2 * Double(rows) * Double(spec.inFeatures) * Double(spec.outFeatures))
        let plan = try ctx.with(threads: n) { try makePlan(rows) }
        plan.threads = n
        plans[rows] = plan
        return plan
    }

    private func makePlan(_ rows: Int) throws -> Plan {
        let label = spec.label
        let plan = Plan()
        var srcMD = try ctx.desc([rows, spec.inFeatures], dnnl_nc, label)
        var dstMD = try ctx.desc([rows, spec.outFeatures], dnnl_nc, label)
        var userW = try ctx.desc([spec.outFeatures, spec.inFeatures], dnnl_oi, label)
        var anyW = try ctx.desc([spec.outFeatures, spec.inFeatures], dnnl_format_tag_any, label)
        var biasMD = try ctx.desc([spec.outFeatures], dnnl_x, label)
        var d = dnnl_inner_product_desc_t()
        let hasBias = spec.bias != nil
        try dnnlCheck(withUnsafePointer(to: &biasMD) { bp in
            dnnl_inner_product_forward_desc_init(&d, dnnl_forward_inference, &srcMD, &anyW, hasBias ? bp : nil, &dstMD)
        }, "dnnl_inner_product_forward_desc_init", label)
        let attr = try ctx.attributes(spec.activation, label)
        defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
        var pdOut: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pdOut, &d, attr, ctx.engine, nil), "dnnl_primitive_desc_create", label)
        guard let pd = pdOut else { throw KenningError.failure("oneDNN returned no inner product for \(label)") }
        defer { dnnl_primitive_desc_destroy(pd) }
        let wMD = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!
        plan.prim = try ctx.primitive(pd, label)
        plan.weights = try ctx.packedWeights(spec.weights, user: &userW, packed: wMD, keep: &plan.memories, label)
        if let bias = spec.bias {
            let b = try ctx.memory(&biasMD, allocate: true, label)
            plan.memories.append(b)
            try ctx.fill(b, bytes: bias, label)
            plan.bias = b
        }
        plan.src = try ctx.memory(&srcMD, allocate: false, label)
        plan.dst = try ctx.memory(&dstMD, allocate: false, label)
        plan.memories += [plan.src!, plan.dst!]
        return plan
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        let (rows, shape) = try spec.rows(x.shape)
        let plan = try plan(rows)
        return try ctx.with(threads: plan.threads) { try execute(x, rows: rows, shape: shape, plan) }
    }

    private func execute(_ x: Tensor, rows: Int, shape: [Int], _ plan: Plan) throws -> Tensor {
        let label = spec.label
        let xs = x.floats
        let out = try makeFloats(rows * spec.outFeatures) { (o: UnsafeMutablePointer<Float>) throws in
            try xs.withUnsafeBufferPointer { xp in
                try dnnlCheck(dnnl_memory_set_data_handle(plan.src, UnsafeMutableRawPointer(mutating: xp.baseAddress)), "dnnl_memory_set_data_handle", label)
                try dnnlCheck(dnnl_memory_set_data_handle(plan.dst, o), "dnnl_memory_set_data_handle", label)
                var args: [(Int32, dnnl_memory_t)] = [(DNNL_ARG_SRC, plan.src!), (DNNL_ARG_WEIGHTS, plan.weights!), (DNNL_ARG_DST, plan.dst!)]
                if let b = plan.bias { args.append((DNNL_ARG_BIAS, b)) }
                try ctx.execute(plan.prim!, args, label)
                try ctx.wait(label)
            }
        }
        return Tensor(shape: shape, floats: out)
    }
}
