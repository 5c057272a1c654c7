import Foundation
import KenningBlocks
import KenningCore
import KenningModel

/// Consecutive `location: target` optimizers, run by the target's server as one batch (Kenning's flow): OPTIMIZERS
/// with the previous block's model type and IO spec, UNOPTIMIZED_MODEL with its bytes, then OPTIMIZE_MODEL, whose
/// answer — the compiled model — is written to the batch's last `compiled_model_path`.
struct RemoteOptimization {
    let batch: [(config: BlockConfig, block: any Optimizer)]
    let proto: any TargetProtocol

    /// The compiled artifact and the OPTIMIZE_MODEL round trip in seconds (Kenning's `protocol_model_optimization`).
    func run(_ artifact: ModelArtifact, log: (String) -> Void) throws(KenningError) -> (ModelArtifact, Double) {
        guard let last = batch.last else { return (artifact, 0) }
        guard let model = FileManager.default.contents(atPath: artifact.path) else {
            throw .failure("cannot read \(artifact.path) to send it to the target", fix: "check the previous optimizer's compiled_model_path")
        }
        let request = JSONValue.object([
            ("prev_block", .object([("model_path", .string(artifact.path)), ("model_type", .string(artifact.format.rawValue)),
                                    ("io_spec", artifact.io.json)])),
            ("optimizers", .array(batch.map(\.config.json))),
        ])
        log("optimizing on the target \(proto.link) with \(batch.map(\.config.label).joined(separator: " → "))")
        let client = try TargetClient(proto)
        defer { client.close() }
        try client.upload(.optimizers, Array(request.serialized(indent: nil).utf8))
        try client.upload(.unoptimizedModel, Array(model))
        let t0 = monotonicSeconds()
        let compiled = try client.download(.optimizeModel)
        let seconds = monotonicSeconds() - t0
        let path = last.block.compiledModelPath
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(compiled).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .badInput("cannot write the target's compiled model to \(path): \(error.localizedDescription)",
                            path: "\(last.config.jsonPath).parameters.compiled_model_path", fix: "choose a writable compiled_model_path")
        }
        var out = ModelArtifact(path: path, format: last.block.outputFormat, io: artifact.io)
        // The target answers with bytes only: the model's own signature gives its IO where the format declares one.
        switch out.format {
        case .tflite: if let io = try? TFLite.ioSpec(path: path) { out.io = io }
        case .onnx: if let io = try? ONNX.signature(path: path).io { out.io = io }
        default: break
        }
        try IOSpecFile.write(out.io, nextTo: path, quantization: nil)
        return (out, seconds)
    }
}
