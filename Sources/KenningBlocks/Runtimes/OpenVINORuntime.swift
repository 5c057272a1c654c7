import Foundation
import KenningCore
import KenningWorkers

/// OpenVINO on the CPU, in a worker; runs IR bundles from OpenVINOCompiler, and ONNX directly.
public struct OpenVINORuntime: Runtime {
    public static let description = BlockDescription(
        kind: .runtime, name: "OpenVINORuntime",
        summary: "Runs OpenVINO IR (from OpenVINOCompiler) or ONNX models with OpenVINO on the CPU, in a framework worker process",
        parameters: WorkerRuntimeSupport.common([
            ParameterSpec("device", .choice(["CPU"]), default: "CPU", help: "OpenVINO device"),
            ParameterSpec("performance_hint", .choice(["LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT", "none"]), default: "LATENCY",
                          help: "OpenVINO's PERFORMANCE_HINT (none = leave unset)"),
            ParameterSpec("num_threads", .integer, default: 0, range: 0...256, help: "INFERENCE_NUM_THREADS (0 = OpenVINO decides)"),
            ParameterSpec("inference_precision", .choice(["f32", "bf16", "f16", "default"]), default: "f32",
                          help: "INFERENCE_PRECISION_HINT; \"default\" leaves OpenVINO's choice, which is bf16 on some x86 CPUs (outputs then differ by ~1e-2)"),
        ]),
        inputFormats: [.openvino, .onnx])

    let support: WorkerRuntimeSupport
    public var inputFormats: [ModelFormat] { support.formats }
    public var saveModelPath: String? { support.saveModelPath }
    public var framework: FrameworkInfo { frameworkInfo("openvino", package: "openvino") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = try WorkerRuntimeSupport(block: "OpenVINORuntime", framework: "openvino", formats: [.openvino, .onnx], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
    public func startAhead(poolFolder: String) -> (@Sendable () -> Void)? { support.startAhead(poolFolder: poolFolder) }
}
