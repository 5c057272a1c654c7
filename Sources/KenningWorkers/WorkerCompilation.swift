import Foundation
import KenningCore

/// Compilation as worker requests: IO_SPEC, calibration DATA, OPTIMIZERS, UNOPTIMIZED_MODEL, OPTIMIZE_MODEL.
public enum WorkerCompilation {
    /// Runs optimizer `type` with `parameters` in a `framework` worker; the worker writes the artifact at the
    /// parameters' `compiled_model_path` (the host writes the returned bytes when the worker could not).
    @discardableResult
    public static func compile(framework: String, type: String, parameters: JSONValue, model: [UInt8], io: IOSpec,
                               calibration: [[Tensor]] = [], timeouts: WorkerTimeouts = WorkerTimeouts()) throws(KenningError) -> [UInt8]
    {
        let worker = try FrameworkWorker(framework: framework, timeouts: timeouts)
        defer { worker.stop() }
        try worker.uploadJSON(.ioSpec, FrameworkWorker.ioSpecJSON(io))
        for batch in calibration { try worker.upload(.data, TensorBytes.encode(batch, specs: io.inputs)) }
        try worker.uploadJSON(.optimizers, .object([("optimizers", .array([.object([("type", .string(type)), ("parameters", parameters)])]))]))
        try worker.upload(.unoptimizedModel, model, timeout: timeouts.compile)
        return try worker.download(.optimizeModel, timeout: timeouts.compile)
    }
}
