import Foundation
import KenningCore
import KenningWorkers

/// ONNX Runtime (CPU execution provider) in a worker.
public struct ONNXRuntime: Runtime {
    public static let description = BlockDescription(
        kind: .runtime, name: "ONNXRuntime", kenningModule: "kenning.runtimes.onnx",
        summary: "Runs ONNX models with ONNX Runtime, in a framework worker process",
        parameters: WorkerRuntimeSupport.common([
            ParameterSpec("execution_providers", .stringList, default: ["CPUExecutionProvider"],
                          help: "ONNX Runtime execution providers, in order of preference"),
            ParameterSpec("intra_op_num_threads", .integer, default: 0, range: 0...256, help: "Threads inside one operator (0 = ONNX Runtime decides)"),
            ParameterSpec("inter_op_num_threads", .integer, default: 0, range: 0...256, help: "Threads across operators (0 = ONNX Runtime decides)"),
            ParameterSpec("graph_optimization_level", .choice(["disable", "basic", "extended", "all"]), default: "all",
                          help: "ONNX Runtime's graph optimization level at session creation"),
        ]),
        inputFormats: [.onnx])

    let support: WorkerRuntimeSupport
    public var inputFormats: [ModelFormat] { support.formats }
    public var saveModelPath: String? { support.saveModelPath }
    public var framework: FrameworkInfo { frameworkInfo("onnxruntime", package: "onnxruntime") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = try WorkerRuntimeSupport(block: "ONNXRuntime", framework: "onnxruntime", formats: [.onnx], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
    public func startAhead(poolFolder: String) -> (@Sendable () -> Void)? { support.startAhead(poolFolder: poolFolder) }
}
