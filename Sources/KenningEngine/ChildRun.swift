import Foundation
import KenningBlocks
import KenningCore
import Synchronization

/// The child side of an isolated run: decode a `RunRequest`, run it, write a `RunResult`.
public enum ChildRun {
    /// Runs `request` and writes its result file. Returns the error (already recorded in the result), if any.
    public static func execute(_ request: RunRequest, log: @escaping @Sendable (String) -> Void) -> KenningError? {
        let phase = Mutex("load")
        var failure: KenningError?
        do {
            try PipelineRunner.runScenario(configPath: request.scenarioPath, optimize: request.action == .optimize,
                                           test: request.action == .test, measurementsPath: request.measurementsPath,
                                           inputModel: request.inputModel, inputFormat: request.inputFormat.map { ModelFormat(rawValue: $0) },
                                           command: ["kenning", request.action.rawValue, "--json-cfg", request.scenarioPath],
                                           log: log, onPhase: { p in phase.withLock { $0 = p } })
        } catch {
            failure = error
        }
        let result = RunResult(phase: phase.withLock { $0 }, error: failure)
        do {
            let data = try JSONEncoder().encode(result)
            try data.write(to: URL(fileURLWithPath: request.resultPath), options: .atomic)
        } catch {
            return failure ?? .failure("cannot write the run's result \(request.resultPath): \(error.localizedDescription)")
        }
        return failure
    }

    /// Reads a request file written by the parent.
    public static func request(at path: String) throws(KenningError) -> RunRequest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badInput("cannot read the run request \(path)", file: path, fix: "this command is started by fine-tune-optimizers")
        }
        do {
            return try JSONDecoder().decode(RunRequest.self, from: data)
        } catch {
            throw .badInput("malformed run request: \(error)", file: path, fix: "this command is started by fine-tune-optimizers")
        }
    }

    /// Reads a child's result file (nil when the child wrote none).
    static func result(at path: String) -> RunResult? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(RunResult.self, from: $0) }
    }
}
