import CDNNL
import KenningModel
import KenningCore

/// An int8 convolution (QLinearConv) on oneDNN: s8 activations with zero points, per-channel s8 weights, s32 bias,
/// per-channel output scales `x_scale · w_scale / y_scale`, the int8 output clamp as a clip post-op. If oneDNN has no
/// implementation for a shape, the operator falls back to XNNPACK QC8 for good.
///
/// Without VNNI, oneDNN meets s8 activations by shifting them to u8 and halving the weights (its "scale adjust 0.5"),
/// which rounds every odd weight and so departs from the QDQ model. There the activations go in as u8 instead
/// (x + 128, zero point + 128): oneDNN then keeps the weights as they are, and 7-bit weights (`reduce_range`) make
/// its `vpmaddubsw` pair sums exact. Full-range weights are refused before planning (`int8Incompatibility`).
final class OneDNNQConv: PlannedOperator {
    let spec: QConvSpec
    /// Activations are handed to oneDNN as u8 (no VNNI here).
    let unsignedSource = !LibraryISA.oneDNNHasInt8DotProduct
    unowned let ctx: OneDNNFactory
    let inputChannelsLast: Bool, outputChannelsLast: Bool
    let fallback: () throws -> XNNPACKQConv
    var fallbackOperator: XNNPACKQConv?
    var plans: [[Int]: OneDNNConvPlan] = [:]

    init(_ spec: QConvSpec, _ ctx: OneDNNFactory, inputChannelsLast: Bool, outputChannelsLast: Bool, fallback: @escaping () throws -> XNNPACKQConv) {
        self.spec = spec
        self.ctx = ctx
        self.inputChannelsLast = inputChannelsLast
        self.outputChannelsLast = outputChannelsLast
        self.fallback = fallback
    }

    func plan(_ shape: [Int]) throws -> (OneDNNConvPlan, ConvGeometry) {
        let c = spec.conv
        let g = try c.geometry(shape)
        if let p = plans[shape] { return (p, g) }
        // int8 runs about 3x the fp32 rate, so the single-thread threshold is 3x higher.
        let n = ctx.threads(for: 2 * Double(g.outputShape.reduce(1, *)) * Double(c.inChannelsPerGroup * c.kernelH * c.kernelW) / 3)
        let plan = try ctx.with(threads: n) { try makePlan(g) }
        plan.threads = n
        plans[shape] = plan
        return (plan, g)
    }

    private func makePlan(_ g: ConvGeometry) throws -> OneDNNConvPlan {
        let c = spec.conv
        let label = spec.label
        let plan = OneDNNConvPlan()
        let grouped = c.group > 1
        let wDims = grouped ? [c.group, c.outChannels / c.group, c.inChannelsPerGroup, c.kernelH, c.kernelW]
            : [c.outChannels, c.inChannelsPerGroup, c.kernelH, c.kernelW]
        let srcType = unsignedSource ? dnnl_u8 : dnnl_s8
        var userSrcMD = try ctx.desc([g.n, g.c, g.h, g.w], inputChannelsLast ? dnnl_nhwc : dnnl_nchw, label, type: srcType)
        var userDstMD = try ctx.desc(g.outputShape, outputChannelsLast ? dnnl_nhwc : dnnl_nchw, label, type: dnnl_s8)
        var userWMD = try ctx.desc(wDims, grouped ? dnnl_goihw : dnnl_oihw, label, type: dnnl_s8)
        var srcMD = try ctx.desc([g.n, g.c, g.h, g.w], dnnl_nhwc, label, type: srcType)
        var dstMD = try ctx.desc(g.outputShape, dnnl_nhwc, label, type: dnnl_s8)
        var anyW = try ctx.desc(wDims, dnnl_format_tag_any, label, type: dnnl_s8)
        var biasMD = try ctx.desc([c.outChannels], dnnl_x, label, type: dnnl_s32)
        var cd = dnnl_convolution_desc_t()
        let strides = c.strides.map { Int64($0) }, dil = c.dilations.map { Int64($0 - 1) }
        let padL = [Int64(g.padTop), Int64(g.padLeft)], padR = [Int64(g.padBottom), Int64(g.padRight)]
        try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &srcMD, &anyW,
                                                                 &biasMD, &dstMD, strides, dil, padL, padR),
                      "dnnl_dilated_convolution_forward_desc_init", label)
        var attrOut: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attrOut), "dnnl_primitive_attr_create", label)
        guard let attr = attrOut else { throw KenningError.failure("oneDNN returned no attribute for \(label)") }
        defer { dnnl_primitive_attr_destroy(attr) }
        let scales = spec.weightScales.map { spec.inputScale * $0 / spec.outputScale }
        try dnnlCheck(dnnl_primitive_attr_set_output_scales(attr, Int64(scales.count), 1 << 1, scales), "dnnl_primitive_attr_set_output_scales", label)
        try dnnlCheck(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, [Int32(spec.inputZero) + (unsignedSource ? 128 : 0)]), "dnnl_primitive_attr_set_zero_points", label)
        try dnnlCheck(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_DST, 1, 0, [Int32(spec.outputZero)]), "dnnl_primitive_attr_set_zero_points", label)
        var po: dnnl_post_ops_t?
        try dnnlCheck(dnnl_post_ops_create(&po), "dnnl_post_ops_create", label)
        defer { dnnl_post_ops_destroy(po) }
        let zy = Float(spec.outputZero)
        try dnnlCheck(dnnl_post_ops_append_eltwise(po, 1, dnnl_eltwise_clip, Float(spec.outputMin) - zy, Float(spec.outputMax) - zy),
                      "dnnl_post_ops_append_eltwise", label)
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, po), "dnnl_primitive_attr_set_post_ops", label)
        var pdOut: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pdOut, &cd, attr, ctx.engine, nil), "dnnl_primitive_desc_create", label)
        guard let pd = pdOut else { throw KenningError.failure("oneDNN returned no int8 convolution for \(label)") }
        defer { dnnl_primitive_desc_destroy(pd) }
        let wMD = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!
        let conv = try ctx.primitive(pd, label)
        plan.objects.append(conv)
        plan.conv = conv
        // The reorder also computes the s8 / zero-point compensation.
        plan.weights = try ctx.packedWeights(spec.weights, user: &userWMD, packed: wMD, keep: &plan.memories, label)
        let b = try ctx.memory(&biasMD, allocate: true, label)
        plan.memories.append(b)
        try ctx.fill(b, bytes: spec.bias, label)
        plan.bias = b
        try plan.bindIO(ctx, userSource: &userSrcMD, source: &srcMD, userDestination: &userDstMD, destination: &dstMD,
                        residual: false, label)
        return plan
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        if let fallbackOperator { return try fallbackOperator.run(x, residual: residual) }
        guard case let .int8(xs) = x.storage else { throw KernelError(reason: "QLinearConv expects an int8 input, got \(x.elementType)") }
        let planned: (OneDNNConvPlan, ConvGeometry)
        do {
            planned = try plan(x.shape)
        } catch {
            let f = try fallback()
            fallbackOperator = f
            return try f.run(x, residual: residual)
        }
        let (plan, g) = planned
        guard unsignedSource else { return try ctx.with(threads: plan.threads) { try execute(xs, plan, g) } }
        // x + 128 as u8 is x with its sign bit flipped; the buffer is the plan's, so a run allocates nothing.
        if plan.shiftedSource.count != xs.count { plan.shiftedSource = [Int8](repeating: 0, count: xs.count) }
        plan.shiftedSource.withUnsafeMutableBufferPointer { dst in
            xs.withUnsafeBufferPointer { src in for i in 0..<src.count { dst[i] = src[i] ^ Int8(bitPattern: 0x80) } }
        }
        return try ctx.with(threads: plan.threads) { try execute(plan.shiftedSource, plan, g) }
    }

    private func execute(_ xs: [Int8], _ plan: OneDNNConvPlan, _ g: ConvGeometry) throws -> Tensor {
        let label = spec.label
        let count = g.outputShape.reduce(1, *)
        var failure: KenningError? = nil
        let out = [Int8](unsafeUninitializedCapacity: count) { buf, n in
            n = count
            do {
                try xs.withUnsafeBufferPointer { xp in
                    try dnnlCheck(dnnl_memory_set_data_handle(plan.userSrc, UnsafeMutableRawPointer(mutating: xp.baseAddress)), "dnnl_memory_set_data_handle", label)
                    try dnnlCheck(dnnl_memory_set_data_handle(plan.userDst, buf.baseAddress), "dnnl_memory_set_data_handle", label)
                    if let r = plan.srcReorder { try ctx.execute(r, [(DNNL_ARG_FROM, plan.userSrc!), (DNNL_ARG_TO, plan.convSrc!)], label) }
                    try ctx.execute(plan.conv!, [(DNNL_ARG_SRC, plan.convSrc!), (DNNL_ARG_WEIGHTS, plan.weights!), (DNNL_ARG_BIAS, plan.bias!),
                                                 (DNNL_ARG_DST, plan.convDst!)], label)
                    if let r = plan.dstReorder { try ctx.execute(r, [(DNNL_ARG_FROM, plan.convDst!), (DNNL_ARG_TO, plan.userDst!)], label) }
                    try ctx.wait(label)
                }
            } catch let e as KenningError {
                failure = e
            } catch {
                failure = .failure("\(label): \(error)")
            }
        }
        if let failure { throw failure }
        return Tensor(shape: g.outputShape, int8s: out)
    }
}
