import Foundation
import KenningCore
import KenningWorkers

/// The version of a framework package as installed by `scripts/setup-frameworks` (recorded in measurements).
func frameworkInfo(_ name: String, package: String) -> FrameworkInfo {
    FrameworkInfo(name: name, version: WorkerEnvironment.versions[package] ?? "not installed")
}

/// What every worker-backed runtime shares: Kenning's base runtime parameters, the format check and the load.
struct WorkerRuntimeSupport: Sendable {
    let block: String
    let framework: String
    let formats: [ModelFormat]
    let parameters: ResolvedParameters

    static func common(_ extra: [ParameterSpec]) -> [ParameterSpec] {
        [ParameterSpec("save_model_path", .path, help: "Path of the model the runtime loads (the pipeline copies its optimized model here)")]
            + extra + [
                ParameterSpec("batch_size", .integer, default: 1, range: 1...65536, help: "Batches smaller than this are zero-padded to it"),
                ParameterSpec("disable_performance_measurements", .boolean, default: false,
                              help: "Skip CPU and memory sampling during the session"),
            ]
    }

    var saveModelPath: String? { parameters.string("save_model_path") }

    /// Only what the format chain cannot tell: the engine checks formats from the block descriptions, and may
    /// pass the pipeline's input model here rather than the compiled one.
    func incompatibility(with model: ModelArtifact) -> String? {
        if let reason = WorkerEnvironment.unavailableReason { return "\(block) needs its framework worker: \(reason) (run scripts/setup-frameworks)" }
        return nil
    }

    func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession {
        // No check of artifact.format here: the chain was checked from the block descriptions, and an engine step that
        // starts from a cached artifact may still label it with the wrapper's format. The worker reads the bytes.
        guard let data = FileManager.default.contents(atPath: artifact.path) else {
            throw .badInput("cannot read the model \(artifact.path)", file: artifact.path, fix: "run `kenning optimize` first or fix save_model_path")
        }
        return try WorkerInferenceSession(framework: framework, runtimeType: block, parameters: parameters.json, io: artifact.io,
                                          modelBytes: [UInt8](data))
    }
}

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
        support = WorkerRuntimeSupport(block: "ONNXRuntime", framework: "onnxruntime", formats: [.onnx], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
}

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
        support = WorkerRuntimeSupport(block: "OpenVINORuntime", framework: "openvino", formats: [.openvino, .onnx], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
}

/// IREE's runtime (a .vmfb module from IREECompiler), in a worker.
public struct IREERuntime: Runtime {
    public static let description = BlockDescription(
        kind: .runtime, name: "IREERuntime", kenningModule: "kenning.runtimes.iree",
        summary: "Runs IREE modules (.vmfb) on the local CPU driver, in a framework worker process",
        parameters: WorkerRuntimeSupport.common([
            ParameterSpec("driver", .choice(["local-sync", "local-task"]), default: "local-sync",
                          help: "IREE HAL driver: local-sync runs on the calling thread, local-task on IREE's task pool"),
            ParameterSpec("function", .string, default: "main", help: "Exported function to call (IREECompiler names it main)"),
        ]),
        inputFormats: [.iree])

    let support: WorkerRuntimeSupport
    public var inputFormats: [ModelFormat] { support.formats }
    public var saveModelPath: String? { support.saveModelPath }
    public var framework: FrameworkInfo { frameworkInfo("iree", package: "iree-base-runtime") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = WorkerRuntimeSupport(block: "IREERuntime", framework: "iree", formats: [.iree], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
}

/// Apache TVM's Relax virtual machine (a library from TVMCompiler), in a worker.
public struct TVMRuntime: Runtime {
    public static let description = BlockDescription(
        kind: .runtime, name: "TVMRuntime", kenningModule: "kenning.runtimes.tvm",
        summary: "Runs TVM-compiled libraries with the Relax virtual machine, in a framework worker process",
        parameters: WorkerRuntimeSupport.common([
            ParameterSpec("target_device_context", .choice(["cpu"]), default: "cpu", help: "TVM device the model runs on"),
            ParameterSpec("target_device_context_id", .integer, default: 0, range: 0...64, help: "Index of that device"),
            ParameterSpec("runtime_use_vm", .boolean, default: true, help: "Use the virtual machine (the only executor TVM 0.27 has)"),
            ParameterSpec("num_threads", .integer, default: 0, range: 0...256, help: "TVM_NUM_THREADS for the worker (0 = TVM decides)"),
        ]),
        inputFormats: [.tvm])

    let support: WorkerRuntimeSupport
    public var inputFormats: [ModelFormat] { support.formats }
    public var saveModelPath: String? { support.saveModelPath }
    public var framework: FrameworkInfo { frameworkInfo("tvm", package: "apache-tvm") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        guard p.bool("runtime_use_vm") else {
            throw .badInput("TVMRuntime: runtime_use_vm false (the graph executor) does not exist in TVM 0.27", path: "$.parameters.runtime_use_vm",
                            fix: "remove it or set it to true")
        }
        support = WorkerRuntimeSupport(block: "TVMRuntime", framework: "tvm", formats: [.tvm], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
}

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
        support = WorkerRuntimeSupport(block: "TFLiteRuntime", framework: "tflite", formats: [.tflite], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
}
