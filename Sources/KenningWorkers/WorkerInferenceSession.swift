import Foundation
import KenningCore

/// An inference session whose model runs in a worker. Timing comes from the worker, never from the socket.
///
/// The worker is spoken to in its streaming mode: one DATA carries a chunk of input sets, one PROCESS runs each as
/// its own timed inference, one OUTPUT brings back every output with the times, so the protocol's round trips are
/// paid once per chunk rather than four times per inference.
public final class WorkerInferenceSession: InferenceSession {
    public let worker: FrameworkWorker
    public let io: IOSpec
    /// The worker runtime's own account of the session (its `session` entry).
    public private(set) var details: [(String, JSONValue)] = []

    private let runtime: (type: String, parameters: JSONValue)
    private var peakWorkerRSS = 0
    /// The model: its bytes, or the path of a local file the worker reads itself (no copy through the protocol).
    private let model: ModelSource
    private let compileTimeout: Double
    /// The inputs' way to a worker on this machine (a shared-memory file); nil when they travel in DATA messages.
    private let sharedInputs: SharedInputFile?
    /// The shared-memory file the inputs go through, when they do.
    public var sharedInputPath: String? { sharedInputs?.path }
    /// The input shapes the worker's model was loaded for (a symbolic batch dimension kept as -1); nil until loaded.
    private var loadedInputShapes: [[Int]]?
    /// Whether an input has a symbolic dimension besides the batch (the worker solves a batch dimension itself).
    private var needsInputShapes: Bool { io.inputs.contains { $0.shape.dropFirst().contains { $0 < 0 } } }

    /// Starts (or, in a search, adopts) a worker, sends the IO spec (with the runtime's parameters) and the model. A
    /// model whose inputs have symbolic dimensions is sent at the first run instead, with the inputs' real shapes in
    /// its IO spec (and sent again when they change), since the protocol's DATA carries bytes, not shapes.
    /// `poolKey` names the process-wide settings that keep a worker from serving another configuration.
    public init(framework: String, runtimeType: String, parameters: JSONValue, io: IOSpec, model: ModelSource,
                timeouts: WorkerTimeouts = WorkerTimeouts(), environment: [String: String]? = nil, poolKey: String? = nil,
                pool: WorkerPool.Location? = WorkerPool.current) throws(KenningError)
    {
        worker = try FrameworkWorker(framework: framework, timeouts: timeouts, environment: environment ?? [:], poolKey: poolKey, pool: pool)
        self.io = io
        self.runtime = (runtimeType, parameters)
        // A pooled worker may have started in another folder: a file is named by its absolute path.
        if case let .file(path) = model, !path.hasPrefix("/") {
            self.model = .file(((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path) as NSString).standardizingPath)
        } else {
            self.model = model
        }
        self.compileTimeout = timeouts.compile
        if case .file = model { sharedInputs = try SharedInputFile(slot: worker.poolSlot) } else { sharedInputs = nil }
        if !needsInputShapes { try load(inputShapes: io.inputs.map(\.shape)) }
    }

    deinit { worker.stop() }

    /// Sends the IO spec with `inputShapes` and the model.
    private func load(inputShapes: [[Int]]) throws(KenningError) {
        var concrete = io
        for i in concrete.inputs.indices where i < inputShapes.count { concrete.inputs[i].shape = inputShapes[i] }
        var spec = FrameworkWorker.ioSpecJSON(concrete, runtime: runtime).setting("stream", to: .bool(true))
        if let sharedInputs { spec = spec.setting("input_file", to: .string(sharedInputs.path)) }
        switch model {
        case let .bytes(bytes):
            try worker.uploadJSON(.ioSpec, spec)
            try worker.upload(.model, bytes, timeout: compileTimeout)
        case let .file(path):
            spec = spec.setting("model_file", to: .string(path))
            try worker.uploadJSON(.ioSpec, spec)
            try worker.upload(.model, [], timeout: compileTimeout)
        }
        loadedInputShapes = inputShapes
    }

    public func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor] {
        try runTimed([inputs])[0].outputs
    }

    public func runTimed(_ sets: [[Tensor]]) throws(KenningError) -> [TimedInference] {
        var out: [TimedInference] = []
        out.reserveCapacity(sets.count)
        var start = 0
        while start < sets.count {
            // A chunk: consecutive sets of the same shapes (the worker splits a DATA into equal parts).
            let shapes = sets[start].map(\.shape)
            var end = start + 1
            while end < sets.count, sets[end].map(\.shape) == shapes { end += 1 }
            out += try chunk(Array(sets[start..<end]))
            start = end
        }
        return out
    }

    private func chunk(_ sets: [[Tensor]]) throws(KenningError) -> [TimedInference] {
        if needsInputShapes {
            let shapes = zip(io.inputs, sets[0]).map { spec, t in spec.shape.first.map { $0 < 0 } == true ? [-1] + t.shape.dropFirst() : t.shape }
            if shapes != loadedInputShapes { try load(inputShapes: shapes) }
        }
        if let sharedInputs {
            var data: [UInt8] = []
            TensorBytes.append(&data, UInt32(sets.count))
            TensorBytes.append(&data, UInt64(try sharedInputs.write(sets, specs: io.inputs)))
            try worker.upload(.data, data)
        } else {
            var payload: [UInt8] = []
            TensorBytes.append(&payload, UInt32(sets.count))
            for inputs in sets { try TensorBytes.encode(inputs, specs: io.inputs, into: &payload) }
            try worker.upload(.data, payload)
        }
        try worker.upload(.process)
        let reply = try worker.download(.output)
        let received = monotonicNow()
        guard reply.count >= 4 else { throw malformed("it has \(reply.count) bytes") }
        let headerSize = Int(UInt32(littleEndian: reply.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        guard headerSize <= reply.count - 4, let header = try? JSONValue.parse(String(decoding: reply[4..<(4 + headerSize)], as: UTF8.self)),
              let steps = header["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue), steps.count == sets.count,
              let shapes = header["output_shapes"]?.arrayValue, shapes.count == sets.count
        else {
            throw malformed("its header does not describe \(sets.count) inference(s)")
        }
        if case let .object(pairs)? = header["session"] { details = pairs }
        // The worker's resident memory after the chunk, the largest seen (its own peak may be an earlier run's).
        peakWorkerRSS = max(peakWorkerRSS, worker.process.residentBytes ?? 0)
        if peakWorkerRSS > 0 { details = details.filter { $0.0 != "worker_rss_bytes" } + [("worker_rss_bytes", .int(peakWorkerRSS))] }
        // The worker's clock and ours may differ in origin: place its completion times so its last one is when its
        // reply arrived (at most one round trip late), keeping the intervals between them as it measured them.
        let stamps = header["target_inference_step_timestamp"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let shift = stamps.count == steps.count ? received - (stamps.last ?? 0) : 0
        var out: [TimedInference] = []
        var offset = 4 + headerSize
        for (i, inputs) in sets.enumerated() {
            let setShapes = shapes[i].arrayValue?.map { $0.arrayValue?.compactMap(\.intValue) ?? [] } ?? []
            let size = try TensorBytes.byteCount(specs: io.outputs, shapes: setShapes)
            guard offset + size <= reply.count else { throw malformed("its outputs are shorter than their shapes say") }
            let outputs = try TensorBytes.decode(Array(reply[offset..<(offset + size)]), specs: io.outputs,
                                                 batch: inputs.first?.shape.first ?? 1, shapes: setShapes)
            offset += size
            out.append(TimedInference(outputs: outputs, seconds: steps[i], finished: stamps.count == steps.count ? stamps[i] + shift : received))
        }
        guard offset == reply.count else { throw malformed("it has \(reply.count - offset) bytes after the outputs") }
        return out
    }

    private func malformed(_ what: String) -> KenningError {
        .failure("the \(worker.framework) worker's streamed OUTPUT is malformed: \(what)", fix: "see the worker log \(worker.process.logPath)")
    }

    private func monotonicNow() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
