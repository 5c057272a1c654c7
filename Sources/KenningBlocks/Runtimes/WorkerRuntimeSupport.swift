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
    /// Parameters the worker applies to its whole process (e.g. TVM's thread pool size): a pooled worker serves only
    /// runs that agree on them.
    let processParameters: [String]

    init(block: String, framework: String, formats: [ModelFormat], parameters: ResolvedParameters,
         processParameters: [String] = []) throws(KenningError) {
        try parameters.requireDefaults(Self.common([]).filter { $0.name == "llext_binary_path" }, block: block,
                                       why: "Kenning's Zephyr LLEXT runtimes run on boards this build does not target")
        self.block = block
        self.framework = framework
        self.formats = formats
        self.parameters = parameters
        self.processParameters = processParameters
    }

    static func common(_ extra: [ParameterSpec]) -> [ParameterSpec] {
        [ParameterSpec(CommonParameter.saveModelPath, .path, help: "Path of the model the runtime loads (the pipeline copies its optimized model here)")]
            + extra + [
                ParameterSpec(CommonParameter.batchSize, .integer, default: 1, range: 1...65536, help: "Batches smaller than this are zero-padded to it"),
                ParameterSpec(CommonParameter.disablePerformanceMeasurements, .boolean, default: false,
                              help: "Skip CPU and memory sampling during the session"),
                ParameterSpec("llext_binary_path", .path, default: .null, nullable: true,
                              help: "Kenning's Zephyr LLEXT runtime binary (not available here; must be null)"),
            ]
    }

    var saveModelPath: String? { parameters[CommonParameter.saveModelPath] }

    /// Only what the format chain cannot tell: the engine checks formats from the block descriptions, and may
    /// pass the pipeline's input model here rather than the compiled one.
    func incompatibility(with model: ModelArtifact) -> String? {
        if let reason = WorkerEnvironment.unavailableReason { return "\(block) needs its framework worker: \(reason) (run scripts/setup-frameworks)" }
        return nil
    }

    func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession {
        // No check of artifact.format here: the chain was checked from the block descriptions, and an engine step that
        // starts from a cached artifact may still label it with the wrapper's format. The worker reads the bytes.
        guard FileManager.default.isReadableFile(atPath: artifact.path) else {
            throw .badInput("cannot read the model \(artifact.path)", file: artifact.path, fix: "run `kenning optimize` first or fix save_model_path")
        }
        return try WorkerInferenceSession(framework: framework, runtimeType: block, parameters: parameters.json, io: artifact.io,
                                          model: .file(artifact.path), poolKey: poolKey)
    }

    /// The pool slot of this runtime's worker: the framework and the process-wide settings.
    var poolKey: String {
        let settings = processParameters.map { name in "\(name)=\(parameters[name]?.serialized(indent: nil) ?? "null")" }
        return String(([framework] + settings).joined(separator: "-").map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    func startAhead(poolFolder: String) -> (@Sendable () -> Void)? {
        guard WorkerEnvironment.unavailableReason == nil else { return nil }
        return WorkerPool.startAhead(framework: framework, key: poolKey, in: WorkerPool.Location(folder: poolFolder, owner: getpid()))
    }
}
