import Foundation
import KenningCore
import KenningWorkers

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
        support = try WorkerRuntimeSupport(block: "IREERuntime", framework: "iree", formats: [.iree], parameters: p)
    }

    public func incompatibility(with model: ModelArtifact) -> String? { support.incompatibility(with: model) }
    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession { try support.load(artifact) }
    public func startAhead(poolFolder: String) -> (@Sendable () -> Void)? { support.startAhead(poolFolder: poolFolder) }
}
