import Foundation
import KenningCore
import KenningWorkers

/// TensorFlow Lite through LiteRT's interpreter, in a worker.
public struct TFLiteRuntime: Runtime {
    public static let description = BlockDescription(
        kind: .runtime, name: "TFLiteRuntime", kenningModule: "kenning.runtimes.tflite",
        summary: "Runs .tflite models with the LiteRT (ai-edge-litert) interpreter, in a framework worker process",
        parameters: WorkerRuntimeSupport.common([
            ParameterSpec("delegates_list", .stringList, default: .null, nullable: true, help: "Paths of TFLite delegate libraries to load"),
            ParameterSpec("num_threads", .integer, default: 4, range: 1...256, help: "Interpreter threads"),
            ParameterSpec("use_xnnpack", .boolean, default: true, help: "Apply LiteRT's default XNNPACK delegate (false = built-in kernels only)"),
        ]),
        inputFormats: [.tflite])

    let support: WorkerRuntimeSupport
    public var inputFormats: [ModelFormat] { support.formats }
    public var saveModelPath: String? { support.saveModelPath }
    public var framework: FrameworkInfo { frameworkInfo("tflite", package: "ai-edge-litert") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = try WorkerRuntimeSupport(block: "TFLiteRuntime", framework: "tflite", formats: [.tflite], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
    public func startAhead(poolFolder: String) -> (@Sendable () -> Void)? { support.startAhead(poolFolder: poolFolder) }
}
