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
            if let limit = request.memoryLimitBytes { try limitAddressSpace(to: limit) }
            keepFreedMemory()
            try PipelineRunner.runScenario(configPath: request.scenarioPath, optimize: request.action == .optimize,
                                           test: request.action == .test, measurementsPath: request.measurementsPath,
                                           inputModel: request.inputModel, inputFormat: request.inputFormat.map { ModelFormat(rawValue: $0) },
                                           referenceOutputsPath: request.referenceOutputsPath,
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

    /// Caps this process's address space (RLIMIT_AS): past it an allocation fails, and the run ends as out of memory.
    static func limitAddressSpace(to bytes: Int) throws(KenningError) {
        var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
        guard setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0 else {
            throw .failure("cannot set the memory limit of \(bytes >> 20) MB: \(String(cString: strerror(errno)))")
        }
    }

    /// Keeps memory this run frees for its next allocations instead of returning it to the system and faulting it in
    /// again: a chunk of large inputs (MBs of images) is made and freed over and over, and malloc's defaults would
    /// map and unmap it each time. Peak memory is unchanged.
    static func keepFreedMemory() {
        // glibc's mallopt (not in Swift's Glibc module): M_TRIM_THRESHOLD is -1, M_MMAP_THRESHOLD -3.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, 64 << 20)
        _ = mallopt(-1, 256 << 20)
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
