import Foundation
import KenningCore

/// An inference session whose model runs in a worker. Timing comes from the worker (STATS), never from the socket.
public final class WorkerInferenceSession: InferenceSession {
    public let worker: FrameworkWorker
    public let io: IOSpec
    public private(set) var lastInferenceSeconds: Double?

    /// Starts a worker, sends the IO spec (with the runtime's parameters) and the model.
    public init(framework: String, runtimeType: String, parameters: JSONValue, io: IOSpec, modelBytes: [UInt8],
                timeouts: WorkerTimeouts = WorkerTimeouts(), environment: [String: String]? = nil) throws(KenningError)
    {
        worker = try FrameworkWorker(framework: framework, timeouts: timeouts, environment: environment ?? [:])
        self.io = io
        try worker.uploadJSON(.ioSpec, FrameworkWorker.ioSpecJSON(io, runtime: (runtimeType, parameters)))
        try worker.upload(.model, modelBytes, timeout: timeouts.compile)
    }

    deinit { worker.stop() }

    public func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor] {
        lastInferenceSeconds = nil
        try worker.upload(.data, TensorBytes.encode(inputs, specs: io.inputs))
        try worker.upload(.process)
        let bytes = try worker.download(.output)
        let stats = try worker.download(.stats)
        guard let json = try? JSONValue.parse(String(decoding: stats, as: UTF8.self)),
              let steps = json["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue), !steps.isEmpty else {
            throw .failure("the \(worker.framework) worker's STATS has no target_inference_step", fix: "see the worker log \(worker.process.logPath)")
        }
        lastInferenceSeconds = steps.reduce(0, +)
        return try TensorBytes.decode(bytes, specs: io.outputs, batch: inputs.first?.shape.first ?? 1)
    }
}
