import CDNNL
import KenningModel
import KenningCore

/// Turns a oneDNN status into a `KenningError` naming the call.
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ call: StaticString, _ label: String) throws(KenningError) {
    if status != dnnl_success {
        throw .failure("oneDNN \(call) failed with status \(status.rawValue) while planning \(label)",
                       fix: "use backend \"openblas\" or \"reference\" for this model, and report the model")
    }
}

/// oneDNN engine and stream of one session. oneDNN's CPU runtime is OpenMP, whose thread count is set per calling thread.
final class OneDNNFactory: OperatorFactory {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    let threads: Int

    init(threads: Int) throws(KenningError) {
        _ = try LibraryISA.features()
        self.threads = threads
        omp_set_num_threads(Int32(threads))
        var e: dnnl_engine_t?
        try dnnlCheck(dnnl_engine_create(&e, dnnl_cpu, 0), "dnnl_engine_create", "the session")
        var s: dnnl_stream_t?
        try dnnlCheck(dnnl_stream_create(&s, e, UInt32(dnnl_stream_default_flags.rawValue)), "dnnl_stream_create", "the session")
        guard let e, let s else { throw .failure("oneDNN returned no engine or stream") }
        engine = e
        stream = s
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }

    func prepareRun() { omp_set_num_threads(Int32(threads)) }

    /// Operators below this many FLOPs run (and are planned) on one thread: an OpenMP fork/join costs more than it saves.
    static let parallelWork = 1_000_000.0

    /// Threads for an operator of `flops` work.
    func threads(for flops: Double) -> Int { flops < OneDNNFactory.parallelWork ? 1 : threads }

    /// Runs `body` with `n` OpenMP threads, then restores the session's count.
    func with<T>(threads n: Int, _ body: () throws -> T) rethrows -> T {
        if n == threads { return try body() }
        omp_set_num_threads(Int32(n))
        defer { omp_set_num_threads(Int32(threads)) }
        return try body()
    }

    var prefersChannelsLast: Bool { true }

    func conv(_ spec: ConvSpec, inputChannelsLast: Bool, outputChannelsLast: Bool) throws -> (any PlannedOperator)? {
        OneDNNConv(spec, self, inputChannelsLast: inputChannelsLast, outputChannelsLast: outputChannelsLast)
    }

    func dense(_ spec: DenseSpec) throws -> (any PlannedOperator)? { OneDNNDense(spec, self) }

    // MARK: helpers shared by the operators

    func desc(_ dims: [Int], _ tag: dnnl_format_tag_t, _ label: String, type: dnnl_data_type_t = dnnl_f32) throws(KenningError) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map { Int64($0) }, type, tag),
                      "dnnl_memory_desc_init_by_tag", label)
        return md
    }

    /// Memory for `md`, owned by oneDNN (`allocate`) or bound later to caller data (`nil` handle).
    func memory(_ md: UnsafePointer<dnnl_memory_desc_t>, allocate: Bool, _ label: String) throws(KenningError) -> dnnl_memory_t {
        var m: dnnl_memory_t?
        try dnnlCheck(dnnl_memory_create(&m, md, engine, allocate ? kenning_dnnl_memory_allocate() : nil), "dnnl_memory_create", label)
        guard let m else { throw .failure("oneDNN returned no memory for \(label)") }
        return m
    }

    func primitive(_ pd: dnnl_primitive_desc_t, _ label: String) throws(KenningError) -> dnnl_primitive_t {
        var p: dnnl_primitive_t?
        try dnnlCheck(dnnl_primitive_create(&p, pd), "dnnl_primitive_create", label)
        guard let p else { throw .failure("oneDNN returned no primitive for \(label)") }
        return p
    }

    func reorder(from src: UnsafePointer<dnnl_memory_desc_t>, to dst: UnsafePointer<dnnl_memory_desc_t>, _ label: String) throws(KenningError) -> dnnl_primitive_t {
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, src, engine, dst, engine, nil), "dnnl_reorder_primitive_desc_create", label)
        guard let pd else { throw .failure("oneDNN returned no reorder for \(label)") }
        defer { dnnl_primitive_desc_destroy(pd) }
        return try primitive(pd, label)
    }

    func execute(_ p: dnnl_primitive_t, _ args: [(Int32, dnnl_memory_t)], _ label: String) throws(KenningError) {
        let a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
        try dnnlCheck(dnnl_primitive_execute(p, stream, Int32(a.count), a), "dnnl_primitive_execute", label)
    }

    func wait(_ label: String) throws(KenningError) {
        try dnnlCheck(dnnl_stream_wait(stream), "dnnl_stream_wait", label)
    }

    /// Post-op attribute for a fused activation (nil when there is none).
    func attributes(_ act: Activation, sum: Bool = false, _ label: String) throws(KenningError) -> dnnl_primitive_attr_t? {
        let (alg, alpha, beta): (dnnl_alg_kind_t, Float, Float)
        switch act {
        case .none:
            guard sum else { return nil }
            (alg, alpha, beta) = (dnnl_eltwise_linear, 1, 0)
        case .relu: (alg, alpha, beta) = (dnnl_eltwise_relu, 0, 0)
        case let .leakyRelu(a): (alg, alpha, beta) = (dnnl_eltwise_relu, a, 0)
        case let .clip(lo, hi):
            (alg, alpha, beta) = (dnnl_eltwise_clip, max(lo, -Float.greatestFiniteMagnitude), min(hi, Float.greatestFiniteMagnitude))
        case .sigmoid: (alg, alpha, beta) = (dnnl_eltwise_logistic, 0, 0)
        case .tanh: (alg, alpha, beta) = (dnnl_eltwise_tanh, 0, 0)
        }
        var attr: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create", label)
        var po: dnnl_post_ops_t?
        try dnnlCheck(dnnl_post_ops_create(&po), "dnnl_post_ops_create", label)
        defer { dnnl_post_ops_destroy(po) }
        if sum { try dnnlCheck(dnnl_post_ops_append_sum(po, 1), "dnnl_post_ops_append_sum", label) }
        if act != .none { try dnnlCheck(dnnl_post_ops_append_eltwise(po, 1, alg, alpha, beta), "dnnl_post_ops_append_eltwise", label) }
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, po), "dnnl_primitive_attr_set_post_ops", label)
        return attr
    }

    /// Fills oneDNN-owned memory with the bytes of `values`.
    func fill<T>(_ m: dnnl_memory_t, bytes values: [T], _ label: String) throws(KenningError) {
        var handle: UnsafeMutableRawPointer?
        try dnnlCheck(dnnl_memory_get_data_handle(m, &handle), "dnnl_memory_get_data_handle", label)
        guard let handle else { throw .failure("oneDNN memory without data in \(label)") }
        values.withUnsafeBytes { handle.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// Fills oneDNN-owned memory from `values`.
    func fill(_ m: dnnl_memory_t, _ values: [Float], _ label: String) throws(KenningError) {
        var handle: UnsafeMutableRawPointer?
        try dnnlCheck(dnnl_memory_get_data_handle(m, &handle), "dnnl_memory_get_data_handle", label)
        guard let handle else { throw .failure("oneDNN memory without data in \(label)") }
        values.withUnsafeBytes { handle.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}

/// Everything one convolution needs for one input shape: the primitive, its weights in the primitive's layout,
/// and reorders between the caller's NCHW tensors and the primitive's preferred (blocked) layouts.
final class OneDNNConvPlan {
    var objects: [dnnl_primitive_t] = []
    var memories: [dnnl_memory_t] = []
    /// OpenMP threads the primitive was planned for (and runs with).
    var threads = 1
    var conv: dnnl_primitive_t?
    var srcReorder: dnnl_primitive_t?
    var dstReorder: dnnl_primitive_t?
    /// Brings the residual (given in the caller's layout) into the primitive's destination before a sum post-op.
    var residualReorder: dnnl_primitive_t?
    var userSrc: dnnl_memory_t?, userDst: dnnl_memory_t?
    var convSrc: dnnl_memory_t?, convDst: dnnl_memory_t?, weights: dnnl_memory_t?, bias: dnnl_memory_t?

    deinit {
        for p in objects { dnnl_primitive_destroy(p) }
        for m in memories { dnnl_memory_destroy(m) }
    }
}

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
        let userW = try ctx.memory(&userWMD, allocate: true, label)
        plan.memories.append(userW)
        try ctx.fill(userW, spec.weights, label)
        let w = try ctx.memory(wMD, allocate: true, label)
        plan.memories.append(w)
        let wReorder = try ctx.reorder(from: &userWMD, to: wMD, label)
        defer { dnnl_primitive_destroy(wReorder) }
        try ctx.execute(wReorder, [(DNNL_ARG_FROM, userW), (DNNL_ARG_TO, w)], label)
        try ctx.wait(label)
        plan.weights = w
        if let bias = spec.bias {
            let b = try ctx.memory(&biasMD, allocate: true, label)
            plan.memories.append(b)
            try ctx.fill(b, bias, label)
            plan.bias = b
        }
        let userSrc = try ctx.memory(&userSrcMD, allocate: false, label)
        let userDst = try ctx.memory(&userDstMD, allocate: false, label)
        plan.memories += [userSrc, userDst]
        (plan.userSrc, plan.userDst) = (userSrc, userDst)
        if dnnl_memory_desc_equal(&userSrcMD, srcMD) == 0 {
            let m = try ctx.memory(srcMD, allocate: true, label)
            plan.memories.append(m)
            plan.convSrc = m
            let r = try ctx.reorder(from: &userSrcMD, to: srcMD, label)
            plan.objects.append(r)
            plan.srcReorder = r
        } else {
            plan.convSrc = userSrc
        }
        if dnnl_memory_desc_equal(&userDstMD, dstMD) == 0 {
            let m = try ctx.memory(dstMD, allocate: true, label)
            plan.memories.append(m)
            plan.convDst = m
            let r = try ctx.reorder(from: dstMD, to: &userDstMD, label)
            plan.objects.append(r)
            plan.dstReorder = r
            if spec.hasResidual {
                let back = try ctx.reorder(from: &userDstMD, to: dstMD, label)
                plan.objects.append(back)
                plan.residualReorder = back
            }
        } else {
            plan.convDst = userDst
        }
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
        let uw = try ctx.memory(&userW, allocate: true, label)
        plan.memories.append(uw)
        try ctx.fill(uw, spec.weights, label)
        if dnnl_memory_desc_equal(&userW, wMD) == 0 {
            let w = try ctx.memory(wMD, allocate: true, label)
            plan.memories.append(w)
            let r = try ctx.reorder(from: &userW, to: wMD, label)
            defer { dnnl_primitive_destroy(r) }
            try ctx.execute(r, [(DNNL_ARG_FROM, uw), (DNNL_ARG_TO, w)], label)
            try ctx.wait(label)
            plan.weights = w
        } else {
            plan.weights = uw
        }
        if let bias = spec.bias {
            let b = try ctx.memory(&biasMD, allocate: true, label)
            plan.memories.append(b)
            try ctx.fill(b, bias, label)
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
        let userW = try ctx.memory(&userWMD, allocate: true, label)
        plan.memories.append(userW)
        try ctx.fill(userW, bytes: spec.weights, label)
        let w = try ctx.memory(wMD, allocate: true, label)
        plan.memories.append(w)
        let wReorder = try ctx.reorder(from: &userWMD, to: wMD, label)  // also computes the s8 / zero-point compensation
        defer { dnnl_primitive_destroy(wReorder) }
        try ctx.execute(wReorder, [(DNNL_ARG_FROM, userW), (DNNL_ARG_TO, w)], label)
        try ctx.wait(label)
        plan.weights = w
        let b = try ctx.memory(&biasMD, allocate: true, label)
        plan.memories.append(b)
        try ctx.fill(b, bytes: spec.bias, label)
        plan.bias = b
        let userSrc = try ctx.memory(&userSrcMD, allocate: false, label)
        let userDst = try ctx.memory(&userDstMD, allocate: false, label)
        plan.memories += [userSrc, userDst]
        (plan.userSrc, plan.userDst) = (userSrc, userDst)
        if dnnl_memory_desc_equal(&userSrcMD, &srcMD) == 0 {
            let m = try ctx.memory(&srcMD, allocate: true, label)
            plan.memories.append(m)
            plan.convSrc = m
            let r = try ctx.reorder(from: &userSrcMD, to: &srcMD, label)
            plan.objects.append(r)
            plan.srcReorder = r
        } else {
            plan.convSrc = userSrc
        }
        if dnnl_memory_desc_equal(&userDstMD, &dstMD) == 0 {
            let m = try ctx.memory(&dstMD, allocate: true, label)
            plan.memories.append(m)
            plan.convDst = m
            let r = try ctx.reorder(from: &dstMD, to: &userDstMD, label)
            plan.objects.append(r)
            plan.dstReorder = r
        } else {
            plan.convDst = userDst
        }
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
        // x + 128 as u8 is x with its sign bit flipped.
        let shifted = [Int8](unsafeUninitializedCapacity: xs.count) { buf, n in
            xs.withUnsafeBufferPointer { src in for i in 0..<src.count { buf[i] = src[i] ^ Int8(bitPattern: 0x80) } }
            n = xs.count
        }
        return try ctx.with(threads: plan.threads) { try execute(shifted, plan, g) }
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
