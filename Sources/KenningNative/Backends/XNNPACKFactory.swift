import CXNNPACK
import KenningCore

/// XNNPACK operators (NHWC): convolutions (grouped and depthwise included) and fully connected layers.
/// Activations stay channels-last between operators; the session converts only where an NCHW-only kernel reads them.
final class XNNPACKFactory: OperatorFactory {
    let pool: pthreadpool_t?
    let threads: Int

    init(threads: Int) throws(KenningError) {
        _ = try LibraryISA.features()
        try xnnCheck(xnn_status(rawValue: XNNPACKLibrary.status), "xnn_initialize", "the session")
        self.threads = threads
        pool = threads > 1 ? pthreadpool_create(threads) : nil
        if threads > 1, pool == nil { throw .failure("pthreadpool_create(\(threads)) failed", fix: "use num_threads 1") }
    }

    deinit { if let pool { pthreadpool_destroy(pool) } }

    func prepareRun() {}

    var prefersChannelsLast: Bool { true }

    func conv(_ spec: ConvSpec, inputChannelsLast: Bool, outputChannelsLast: Bool) throws -> (any PlannedOperator)? {
        XNNPACKConv(spec, self, inputChannelsLast: inputChannelsLast, outputChannelsLast: outputChannelsLast)
    }

    func dense(_ spec: DenseSpec) throws -> (any PlannedOperator)? { try XNNPACKDense(spec, self) }

    /// Output range for activations XNNPACK applies itself; others are applied afterwards.
    static func clamp(_ a: Activation) -> (Float, Float, Activation) {
        switch a {
        case .relu: return (0, .infinity, .none)
        case let .clip(lo, hi): return (lo, hi, .none)
        default: return (-.infinity, .infinity, a)
        }
    }
}
