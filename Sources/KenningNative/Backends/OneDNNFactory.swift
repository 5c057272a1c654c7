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

    /// oneDNN's int8 convolution where it is exact here: always with VNNI, with 7-bit weights without it.
    func qconv(_ spec: QConvSpec, inputChannelsLast: Bool, outputChannelsLast: Bool, strict: Bool,
               fallback: @escaping () throws -> XNNPACKQConv) throws -> (operator: any PlannedOperator, provider: String)? {
        guard spec.maxAbsWeight <= LibraryISA.oneDNNWeightLimit else {
            if strict { throw NativeSession.oneDNNInt8Refusal(spec.label, maxAbsWeight: spec.maxAbsWeight) }
            return nil
        }
        return (OneDNNQConv(spec, self, inputChannelsLast: inputChannelsLast, outputChannelsLast: outputChannelsLast, fallback: fallback),
                "onednn-int8")
    }

    func normalization(_ node: Node, constants: [Tensor?], opset: Int) -> (any PlannedOperator)? {
        OneDNNNormalization(node: node, constants: constants, opset: opset, self)
    }

    func channelsLastPool(_ node: Node) -> (any PlannedOperator)? {
        ["MaxPool", "AveragePool"].contains(NativeOps.key(node)) ? OneDNNPool(node: node, self) : nil
    }

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
        let eltwise = Self.eltwise(act)
        guard sum || !eltwise.isEmpty else { return nil }
        var attr: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create", label)
        var po: dnnl_post_ops_t?
        try dnnlCheck(dnnl_post_ops_create(&po), "dnnl_post_ops_create", label)
        defer { dnnl_post_ops_destroy(po) }
        if sum { try dnnlCheck(dnnl_post_ops_append_sum(po, 1), "dnnl_post_ops_append_sum", label) }
        for (alg, alpha, beta) in eltwise {
            try dnnlCheck(dnnl_post_ops_append_eltwise(po, 1, alg, alpha, beta), "dnnl_post_ops_append_eltwise", label)
        }
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, po), "dnnl_primitive_attr_set_post_ops", label)
        return attr
    }

    /// The eltwise post-ops (algorithm, alpha, beta) that compute `act`.
    static func eltwise(_ act: Activation) -> [(dnnl_alg_kind_t, Float, Float)] {
        switch act {
        case .none: return []
        case .relu: return [(dnnl_eltwise_relu, 0, 0)]
        case let .leakyRelu(a): return [(dnnl_eltwise_relu, a, 0)]
        case let .clip(lo, hi): return [(dnnl_eltwise_clip, max(lo, -Float.greatestFiniteMagnitude), min(hi, Float.greatestFiniteMagnitude))]
        case .sigmoid: return [(dnnl_eltwise_logistic, 0, 0)]
        case .tanh: return [(dnnl_eltwise_tanh, 0, 0)]
        // oneDNN 2.6 has no hard sigmoid: alpha · x + beta, then clipped to [0, 1].
        case let .hardSigmoid(a, b): return [(dnnl_eltwise_linear, a, b), (dnnl_eltwise_clip, 0, 1)]
        case .hardSwish: return [(dnnl_eltwise_hardswish, 0, 0)]
        case .gelu: return [(dnnl_eltwise_gelu_erf, 0, 0)]
        case .silu: return [(dnnl_eltwise_swish, 1, 0)]
        case let .scaled(inner, scale, shift): return eltwise(inner) + [(dnnl_eltwise_linear, scale, shift)]
        }
    }

    /// Fills oneDNN-owned memory with the bytes of `values`.
    func fill<T>(_ m: dnnl_memory_t, bytes values: [T], _ label: String) throws(KenningError) {
        var handle: UnsafeMutableRawPointer?
        try dnnlCheck(dnnl_memory_get_data_handle(m, &handle), "dnnl_memory_get_data_handle", label)
        guard let handle else { throw .failure("oneDNN memory without data in \(label)") }
        values.withUnsafeBytes { handle.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}
