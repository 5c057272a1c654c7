import Foundation
import KenningBlocks
import KenningCore
import KenningWorkers
import KenningSearch

/// Compiling the optimizer steps the candidates need: in parallel, each unique step once, into the content-addressed cache.
extension SearchSession {

    /// Compiles every optimizer step the candidates need, each unique step once, `jobs` at a time.
    func precompile(_ list: [Candidate]) {
        var levels: [[(key: String, input: String, block: JSONValue, pipeline: JSONValue)]] = []
        var seen = Set<String>()
        for c in list {
            guard let chain = c.pipeline["optimizers"]?.arrayValue, let modelHash = modelHash(c.pipeline) else { continue }
            var input = modelHash
            for (depth, block) in chain.enumerated() {
                let key = stepKey(input: input, block: block, pipeline: c.pipeline)
                if seen.insert(key).inserted, cache.artifact(key) == nil {
                    while levels.count <= depth { levels.append([]) }
                    levels[depth].append((key, input, block, c.pipeline))
                }
                input = key
            }
        }
        let jobs = max(1, min(runner.options.jobs, executor.parallelism ?? runner.options.jobs))
        // Compile steps only read the session and write their own cache entries; the counters are locked.
        nonisolated(unsafe) let session = self
        for level in levels {
            // Steps on a target go one at a time after the host's (a target serves one client at a time).
            let host = level.filter { !Self.runsOnTarget($0.block) }
            DispatchQueue.concurrentPerform(iterations: min(jobs, host.count)) { worker in
                var i = worker
                while i < host.count {
                    let step = host[i]
                    _ = session.compileStep(key: step.key, input: step.input, block: step.block, pipeline: step.pipeline)
                    i += jobs
                }
            }
            for step in level where Self.runsOnTarget(step.block) {
                _ = compileStep(key: step.key, input: step.input, block: step.block, pipeline: step.pipeline)
            }
        }
    }

    /// Whether an optimizer block runs on the target (`location: target`).
    static func runsOnTarget(_ block: JSONValue) -> Bool {
        block["parameters"]?[CommonParameter.location.name]?.stringValue == "target"
    }

    /// The cache key of one optimizer step: its input, the block, the tools' versions and, for a step the target runs,
    /// the target (how it is reached), so two targets never share what each compiled.
    func stepKey(input: String, block: JSONValue, pipeline: JSONValue) -> String {
        var version = toolVersion(of: block)
        if Self.runsOnTarget(block) {
            version += "|target \(pipeline["protocol"]?.serialized(indent: nil) ?? "") \(pipeline["platform"]?.serialized(indent: nil) ?? "")"
        }
        return ArtifactCache.key(inputHash: input, block: block, toolVersion: version)
    }

    func modelHash(_ pipeline: JSONValue) -> String? {
        guard let path = pipeline["model_wrapper"]?["parameters"]?["model_path"]?.stringValue else { return nil }
        return ArtifactCache.fileHash(ResourceURI.resolve(path))
    }

    /// swift-kenning's version and the optimizer's framework version: a new compiler version never reuses an old artifact.
    func toolVersion(of block: JSONValue) -> String {
        let k = block.serialized(indent: nil)
        if let known = stats.add({ $0.versions[k] }) { return known }
        var version = KenningVersion.current
        if let config = try? BlockConfig.parse(block, kind: .optimizer, path: "$", registry: runner.registry),
           case let .optimizer(make) = config.entry.maker, let optimizer = try? make(config.parameters)
        {
            version += "|\(optimizer.framework.name) \(optimizer.framework.version)"
            if !optimizer.machineContext.isEmpty { version += "|\(optimizer.machineContext)" }
        }
        stats.add { $0.versions[k] = version }
        return version
    }

    /// The format a block produces, from its registry description (the model wrapper's format for the chain's input).
    func outputFormat(of block: JSONValue, kind: BlockKind) -> ModelFormat? {
        guard let type = block["type"]?.stringValue, let entry = try? runner.registry.resolve(type, kind: kind) else { return nil }
        return entry.description.outputFormats.first
    }

    /// Runs one optimizer in a child process, writing the cache entry; returns an error message on failure.
    func compileStep(key: String, input: String, block: JSONValue, pipeline: JSONValue) -> String? {
        if cache.artifact(key) != nil { return nil }
        let entry = cache.entryDirectory(key)
        let failed = entry + ".failed"
        if let reason = try? String(contentsOfFile: failed, encoding: .utf8) { return reason }
        let wrapperModel = ResourceURI.resolve(pipeline["model_wrapper"]!["parameters"]!["model_path"]!.stringValue!)
        let inputPath = cache.artifact(input) ?? wrapperModel
        let inputFormat: ModelFormat? = cache.artifact(input) == nil ? nil : previousFormat(before: key, pipeline: pipeline)
        let ext = ((block["parameters"]?["compiled_model_path"]?.stringValue ?? "model.onnx") as NSString).pathExtension
        let staging = entry + ".staging-\(getpid())-\(key.prefix(6))"
        try? FileManager.default.removeItem(atPath: staging)
        try? FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        var step: [(String, JSONValue)] = [("model_wrapper", pipeline["model_wrapper"]!)]
        if let d = pipeline["dataset"] { step.append(("dataset", d)) }
        let params = (block["parameters"] ?? .object([])).setting("compiled_model_path", to: .string((staging as NSString).appendingPathComponent("model.\(ext.isEmpty ? "bin" : ext)")))
        step.append(("optimizers", .array([block.setting("parameters", to: params)])))
        if Self.runsOnTarget(block) {
            for k in ["protocol", "platform"] { if let v = pipeline[k] { step.append((k, v)) } }
        }
        let tag = String(key.prefix(12))
        let scenarioPath = (runDir as NSString).appendingPathComponent("compile_\(tag).json")
        do { try Files.writeJSON(.object(step), to: scenarioPath) } catch { return error.description }
        let request = RunRequest(action: .optimize, scenarioPath: scenarioPath, inputModel: inputPath, inputFormat: inputFormat?.rawValue,
                                 verbosity: runner.options.verbosity,
                                 resultPath: (runDir as NSString).appendingPathComponent("compile_\(tag).result.json"))
        let t0 = monotonicSeconds()
        let result = isolated(request, requestPath: (runDir as NSString).appendingPathComponent("compile_\(tag).request.json"),
                              logPath: (runDir as NSString).appendingPathComponent("compile_\(tag).log"))
        let seconds = monotonicSeconds() - t0
        var reason: String?
        switch result {
        case .exited(0, _):
            try? "\(seconds)".write(toFile: (staging as NSString).appendingPathComponent("model.seconds"), atomically: true, encoding: .utf8)
            if rename(staging, entry) != 0 && cache.artifact(key) == nil {
                reason = "cannot store the compiled model in the cache \(entry)"
            }
        case let .exited(code, lastError): reason = lastError ?? "the compiler exited with code \(code)"
        case let .signaled(sig): reason = "the compiler died with signal \(sig)"
        case .timedOut: reason = "the compiler took longer than \(Int(runner.options.timeout)) s"
        case let .launchFailed(r): reason = r
        }
        try? FileManager.default.removeItem(atPath: staging)
        stats.add { $0.compiled += 1; $0.compileSeconds += seconds }
        if let reason { try? reason.write(toFile: failed, atomically: true, encoding: .utf8) }
        return reason
    }

    /// The output format of the optimizer step just before the step with `key` in this pipeline's chain.
    func previousFormat(before key: String, pipeline: JSONValue) -> ModelFormat? {
        guard let chain = pipeline["optimizers"]?.arrayValue, var input = modelHash(pipeline) else { return nil }
        var previous: ModelFormat?
        for block in chain {
            let k = stepKey(input: input, block: block, pipeline: pipeline)
            if k == key { return previous }
            previous = outputFormat(of: block, kind: .optimizer)
            input = k
        }
        return previous
    }

    /// The environment of a child run; measurement runs (`pooled`) also get the search's worker pool. OpenBLAS starts
    /// with one thread unless the user says otherwise: its idle pool otherwise spins for the first ~0.1 s of every run,
    /// beside the measurement (the native runtime's OpenBLAS backend still sets its own thread count).
    static func childEnvironment(pooled: Bool, workerPool: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["OPENBLAS_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] ?? "1"
        env[WorkerPool.folderVariable] = pooled ? workerPool : nil
        env[WorkerPool.ownerVariable] = pooled ? String(getpid()) : nil
        return env
    }

    /// Starts one isolated run on the search's executor. The request carries the memory limit (address space), which
    /// the run sets on itself before it reads anything else; `device` is the device a measurement needs.
    func isolated(_ request: RunRequest, requestPath: String, logPath: String, device: String? = nil) -> ChildProcess.Result {
        try? FileManager.default.removeItem(atPath: request.resultPath)
        var request = request
        request.memoryLimitBytes = runner.options.memoryLimitMB > 0 ? runner.options.memoryLimitMB << 20 : nil
        do {
            try JSONEncoder().encode(request).write(to: URL(fileURLWithPath: requestPath), options: .atomic)
        } catch {
            return .launchFailed("cannot write the run request \(requestPath): \(error.localizedDescription)")
        }
        return executor.execute(request, requestPath: requestPath, logPath: logPath, device: device)
    }

    /// A command name looked up on PATH (a path is kept as it is).
    static func resolve(_ name: String) -> String {
        guard !name.contains("/") else { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first(where: FileManager.default.isExecutableFile(atPath:)) ?? name
    }
}
