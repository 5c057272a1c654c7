import Foundation
import KenningCore

/// An inference session whose model runs in a worker. Timing comes from the worker (STATS), never from the socket.
public final class WorkerInferenceSession: InferenceSession {
    public let worker: FrameworkWorker
    public let io: IOSpec
    public private(set) var lastInferenceSeconds: Double?
    /// The worker runtime's own account of the session (its `session` entry in STATS).
    public private(set) var details: [(String, JSONValue)] = []

    private let runtime: (type: String, parameters: JSONValue)
    private let modelBytes: [UInt8]
    private let compileTimeout: Double
    /// The input shapes the worker's model was loaded for (a symbolic batch dimension kept as -1); nil until loaded.
    private var loadedInputShapes: [[Int]]?
    /// Whether an input has a symbolic dimension besides the batch (the worker solves a batch dimension itself).
    private var needsInputShapes: Bool { io.inputs.contains { $0.shape.dropFirst().contains { $0 < 0 } } }

    /// Starts a worker, sends the IO spec (with the runtime's parameters) and the model. A model whose inputs have
    /// symbolic dimensions is sent at the first run instead, with the inputs' real shapes in its IO spec (and sent
    /// again when they change), since the protocol's DATA carries bytes, not shapes.
    public init(framework: String, runtimeType: String, parameters: JSONValue, io: IOSpec, modelBytes: [UInt8],
                timeouts: WorkerTimeouts = WorkerTimeouts(), environment: [String: String]? = nil) throws(KenningError)
    {
        worker = try FrameworkWorker(framework: framework, timeouts: timeouts, environment: environment ?? [:])
        self.io = io
        self.runtime = (runtimeType, parameters)
        self.modelBytes = modelBytes
        self.compileTimeout = timeouts.compile
        if !needsInputShapes { try load(inputShapes: io.inputs.map(\.shape)) }
    }

    deinit { worker.stop() }

    /// Sends the IO spec with `inputShapes` and the model.
    private func load(inputShapes: [[Int]]) throws(KenningError) {
        var concrete = io
        for i in concrete.inputs.indices where i < inputShapes.count { concrete.inputs[i].shape = inputShapes[i] }
        try worker.uploadJSON(.ioSpec, FrameworkWorker.ioSpecJSON(concrete, runtime: runtime))
        try worker.upload(.model, modelBytes, timeout: compileTimeout)
        loadedInputShapes = inputShapes
    }

    public func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor] {
        lastInferenceSeconds = nil
        if needsInputShapes {
            let shapes = zip(io.inputs, inputs).map { spec, t in spec.shape.first.map { $0 < 0 } == true ? [-1] + t.shape.dropFirst() : t.shape }
            if shapes != loadedInputShapes { try load(inputShapes: shapes) }
        }
        try worker.upload(.data, TensorBytes.encode(inputs, specs: io.inputs))
        try worker.upload(.process)
        let bytes = try worker.download(.output)
        let stats = try worker.download(.stats)
        guard let json = try? JSONValue.parse(String(decoding: stats, as: UTF8.self)),
              let steps = json["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue), !steps.isEmpty else {
            throw .failure("the \(worker.framework) worker's STATS has no target_inference_step", fix: "see the worker log \(worker.process.logPath)")
        }
        lastInferenceSeconds = steps.reduce(0, +)
        if let session = json["session"], case let .object(pairs) = session { details = pairs }
        let shapes = json["output_shapes"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.intValue) ?? [] }
        return try TensorBytes.decode(bytes, specs: io.outputs, batch: inputs.first?.shape.first ?? 1, shapes: shapes)
    }
}
