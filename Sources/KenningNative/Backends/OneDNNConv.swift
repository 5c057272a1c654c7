import CDNNL
import KenningModel
import KenningCore

final class OneDNNConv: PlannedOperator {
    let spec: ConvSpec
    unowned let ctx: OneDNNFactory
    let inputChannelsLast: Bool, outputChannelsLast: Bool
    var plans: [[Int]: OneDNNConvPlan] = [:]

    init(_ spec: ConvSpec, _ ctx: OneDNNFactory, inputChannelsLast: Bool, outputChannelsLast: Bool) {
        self.spec = spec
        self.ctx = ctx
        self.inputChannelsLast = inputChannelsLast
        self.outputChannelsLast = outputChannelsLast
    }

    func plan(_ shape: [Int]) throws -> (OneDNNConvPlan, ConvGeometry) {
        let g = try spec.geometry(shape)
        if let p = plans[shape] { return (p, g) }
        let n = ctx.threads(for: 2 * Double(g.outputShape.reduce(1, *)) * Double(spec.inChannelsPerGroup * spec.kernelH * spec.kernelW))
        let plan = try ctx.with(threads: n) { try makePlan(g) }
        plan.threads = n
        plans[shape] = plan
        return (plan, g)
    }

    private func makePlan(_ g: ConvGeometry) throws -> OneDNNConvPlan {
        let label = spec.label
        let plan = OneDNNConvPlan()
        let grouped = spec.group > 1
        let wDims = grouped ? [spec.group, spec.outChannels / spec.group, spec.inChannelsPerGroup, spec.kernelH, spec.kernelW]
            : [spec.outChannels, spec.inChannelsPerGroup, spec.kernelH, spec.kernelW]
        var userSrcMD = try ctx.desc([g.n, g.c, g.h, g.w], inputChannelsLast ? dnnl_nhwc : dnnl_nchw, label)
        var userDstMD = try ctx.desc(g.outputShape, outputChannelsLast ? dnnl_nhwc : dnnl_nchw, label)
        var userWMD = try ctx.desc(wDims, grouped ? dnnl_goihw : dnnl_oihw, label)
        // Activations channels-last (what the JIT convolutions use natively), weights in the primitive's own layout.
        var anySrc = try ctx.desc([g.n, g.c, g.h, g.w], dnnl_nhwc, label)
        var anyDst = try ctx.desc(g.outputShape, dnnl_nhwc, label)
        var anyW = try ctx.desc(wDims, dnnl_format_tag_any, label)
        var biasMD = try ctx.desc([spec.outChannels], dnnl_x, label)
        var cd = dnnl_convolution_desc_t()
        let strides = spec.strides.map { Int64($0) }, dil = spec.dilations.map { Int64($0 - 1) }
        let padL = [Int64(g.padTop), Int64(g.padLeft)], padR = [Int64(g.padBottom), Int64(g.padRight)]
        let hasBias = spec.bias != nil
        try dnnlCheck(withUnsafePointer(to: &biasMD) { bp in
            dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &anySrc, &anyW,
                                                       hasBias ? bp : nil, &anyDst, strides, dil, padL, padR)
        }, "dnnl_dilated_convolution_forward_desc_init", label)
        let attr = try ctx.attributes(spec.activation, sum: spec.hasResidual, label)
        defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
        var pdOut: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pdOut, &cd, attr, ctx.engine, nil), "dnnl_primitive_desc_create", label)
        guard let pd = pdOut else { throw KenningError.failure("oneDNN returned no convolution for \(label)") }
        defer { dnnl_primitive_desc_destroy(pd) }
        let srcMD = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0)!
        let dstMD = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0)!
        let wMD = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!
        let conv = try ctx.primitive(pd, label)
        plan.objects.append(conv)
        plan.conv = conv
        // Weights: reorder once from OIHW into the primitive's layout.
        plan.weights = try ctx.packedWeights(spec.weights, user: &userWMD, packed: wMD, keep: &plan.memories, label)
        if let bias = spec.bias {
            let b = try ctx.memory(&biasMD, allocate: true, label)
            plan.memories.append(b)
            try ctx.fill(b, bytes: bias, label)
            plan.bias = b
        }
        try plan.bindIO(ctx, userSource: &userSrcMD, source: srcMD, userDestination: &userDstMD, destination: dstMD,
                        residual: spec.hasResidual, label)
        return plan
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        let (plan, g) = try plan(x.shape)
        return try ctx.with(threads: plan.threads) { try execute(x, residual: residual, plan, g) }
    }

    private func execute(_ x: Tensor, residual: Tensor?, _ plan: OneDNNConvPlan, _ g: ConvGeometry) throws -> Tensor {
        let label = spec.label
        let xs = x.floats
        let count = g.outputShape.reduce(1, *)
        guard spec.hasResidual == (residual != nil), residual.map({ $0.shape == g.outputShape }) ?? true else {
            throw KernelError(reason: "residual input \(residual?.shape ?? []) does not match the output \(g.outputShape)")
        }
        let zs = residual?.floats
        let out = try makeFloats(count) { (o: UnsafeMutablePointer<Float>) throws in
            // The sum post-op accumulates into the destination: it starts as the residual.
            if let zs { zs.withUnsafeBufferPointer { o.update(from: $0.baseAddress!, count: count) } }
            try xs.withUnsafeBufferPointer { xp in
                try dnnlCheck(dnnl_memory_set_data_handle(plan.userSrc, UnsafeMutableRawPointer(mutating: xp.baseAddress)),
                              "dnnl_memory_set_data_handle", label)
                try dnnlCheck(dnnl_memory_set_data_handle(plan.userDst, o), "dnnl_memory_set_data_handle", label)
                if let r = plan.srcReorder { try ctx.execute(r, [(DNNL_ARG_FROM, plan.userSrc!), (DNNL_ARG_TO, plan.convSrc!)], label) }
                if let r = plan.residualReorder { try ctx.execute(r, [(DNNL_ARG_FROM, plan.userDst!), (DNNL_ARG_TO, plan.convDst!)], label) }
                var args: [(Int32, dnnl_memory_t)] = [(DNNL_ARG_SRC, plan.convSrc!), (DNNL_ARG_WEIGHTS, plan.weights!), (DNNL_ARG_DST, plan.convDst!)]
                if let b = plan.bias { args.append((DNNL_ARG_BIAS, b)) }
                try ctx.execute(plan.conv!, args, label)
                if let r = plan.dstReorder { try ctx.execute(r, [(DNNL_ARG_FROM, plan.convDst!), (DNNL_ARG_TO, plan.userDst!)], label) }
                try ctx.wait(label)
            }
        }
        return Tensor(shape: g.outputShape, floats: out)
    }
}
