import Foundation
import KenningCore
import KenningWorkers

/// Apache TVM's Relax virtual machine (a library from TVMCompiler), in a worker.
public struct TVMRuntime: Runtime {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let runtimeUseVM = ParameterKey<Bool>("runtime_use_vm")
    }

    public static let description = BlockDescription(
        kind: .runtime, name: "TVMRuntime", kenningModule: "kenning.runtimes.tvm",
        summary: "Runs TVM-compiled libraries with the Relax virtual machine, in a framework worker process",
        parameters: WorkerRuntimeSupport.common([
            ParameterSpec("target_device_context", .choice(["cpu"]), default: "cpu", help: "TVM device the model runs on"),
            ParameterSpec("target_device_context_id", .integer, default: 0, range: 0...64, help: "Index of that device"),
            ParameterSpec(Key.runtimeUseVM, .boolean, default: true, help: "Use the virtual machine (the only executor TVM 0.27 has)"),
            ParameterSpec("num_threads", .integer, default: 0, range: 0...256, help: "TVM_NUM_THREADS for the worker (0 = TVM decides)"),
        ]),
        inputFormats: [.tvm])

    let support: WorkerRuntimeSupport
    public var inputFormats: [ModelFormat] { support.formats }
    public var saveModelPath: String? { support.saveModelPath }
    public var framework: FrameworkInfo { frameworkInfo("tvm", package: "apache-tvm") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        guard p[Key.runtimeUseVM] else {
            throw .badInput("TVMRuntime: runtime_use_vm false (the graph executor) does not exist in TVM 0.27", path: "$.parameters.runtime_use_vm",
                            fix: "remove it or set it to true")
        }
        support = try WorkerRuntimeSupport(block: "TVMRuntime", framework: "tvm", formats: [.tvm], parameters: p,
                                           processParameters: ["num_threads"])
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
    public func startAhead(poolFolder: String) -> (@Sendable () -> Void)? { support.startAhead(poolFolder: poolFolder) }
}
