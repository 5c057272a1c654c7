import Foundation
import KenningBlocks
import KenningCore
import KenningReport
import KenningWorkers

extension FineTuneRunner {
    /// Runs the whole search. Returns the process exit status (0 when a pipeline was picked).
    public func run() throws(KenningError) -> Int32 {
        let start = monotonicSeconds()
        let doc = try ConfigFile.load(options.configPath)
        let op: OptimizationParameters
        let candidates: [Candidate]
        do {
            op = try OptimizationParameters.parse(doc)
            candidates = try plan(doc, parameters: op)
        } catch {
            throw error.inFile(options.configPath)
        }
        let runnable = candidates.filter { $0.id != nil }
        let excluded = candidates.filter { $0.exclusion != nil }
        say("\(candidates.count) pipelines in the grid, \(runnable.count) compatible, \(excluded.count) excluded; strategy \(op.strategy.rawValue)")
        for c in excluded { say("  excluded: \(describe(c.pipeline)): \(c.exclusion!)") }

        if let dir = options.generateScenarios {
            try Files.ensureWritableDirectory(dir, for: "scenario")
            for c in runnable {
                try Files.writeJSON(c.pipeline, to: (dir as NSString).appendingPathComponent("scenario_\(c.id!).json"))
            }
            say("wrote \(runnable.count) scenarios to \(dir)")
            return 0
        }
        try Files.ensureWritableDirectory(outputBase.dir, for: "output")
        let runDir = path("_runs")
        try Files.ensureWritableDirectory(runDir, for: "run")
        let cache = ArtifactCache(directory: options.cacheDirectory ?? (outputBase.dir as NSString).appendingPathComponent("kenning-cache"))
        try Files.ensureWritableDirectory(cache.directory, for: "cache")
        let journalPath = path("_journal.jsonl")
        let earlier = options.resume ? Journal.read(journalPath).compactMap(Evaluation.init(journal:)) : []
        let journal = try Journal(path: journalPath, resume: options.resume)
        if options.resume { say("resuming: \(earlier.count) finished runs in \(journalPath)") }

        // Measurement runs take turns on pooled framework workers (WorkerPool), stopped when the search ends. The first
        // candidate's worker starts now, beside the output gate's truth, rather than in its run.
        WorkerPool.adoptOrphans()
        let workerPool = SearchSession.workerPool(runDir: runDir)
        let workerReady = runnable.first { !earlier.map(\.id).contains($0.id) }.flatMap { startWorkerAhead($0.pipeline, poolFolder: workerPool) }
        defer {
            workerReady?()
            WorkerPool.shutdown(folder: workerPool)
        }
        let reference = op.outputTolerance.isEmpty ? nil : referenceOutputs(runnable.first?.pipeline, cache: cache)
        var session = SearchSession(runner: self, op: op, cache: cache, runDir: runDir, journal: journal, earlier: earlier,
                                    excluded: excluded, reference: reference, start: start, total: runnable.count,
                                    executor: try executor(runDir: runDir, journal: journal, workerPool: workerPool))
        if op.evaluateUnoptimized, let first = runnable.first { session.measureUnoptimized(first) }
        try session.search(runnable)
        try session.resolveTies()
        let status = try session.finish()
        if options.writeReport { writeReport() }
        return status
    }

    /// The executor `--executor` names: child processes here, or jobs on the Ray cluster (checked to answer first).
    func executor(runDir: String, journal: Journal, workerPool: String) throws(KenningError) -> any RunExecutor {
        guard options.executor == "ray" else {
            return LocalExecutor(command: options.runWrapper + [options.executable], timeout: options.timeout,
                                 environment: { SearchSession.childEnvironment(pooled: $0, workerPool: workerPool) })
        }
        guard let address = options.rayAddress, let url = URL(string: address), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw .badInput("--executor ray needs the Ray dashboard's address", fix: "add --ray-address http://HEAD:8265")
        }
        if let store = options.raySharedStore {
            let root = URL(fileURLWithPath: store).standardizedFileURL.path
            let cache = options.cacheDirectory ?? (outputBase.dir as NSString).appendingPathComponent("kenning-cache")
            for (what, path) in [("the output folder", outputBase.dir), ("the cache", cache), ("the working folder", FileManager.default.currentDirectoryPath)] {
                let full = URL(fileURLWithPath: path).standardizedFileURL.path
                guard root == "/" || full == root || full.hasPrefix(root + "/") else {
                    throw .badInput("\(what) \(full) is outside the shared store \(root) the cluster's nodes see",
                                    fix: "put --output and --cache-dir under \(root) and start the search from a folder inside it")
                }
            }
        }
        let client = RayJobsClient(address: url, token: ProcessInfo.processInfo.environment["RAY_AUTH_TOKEN"])
        try RayExecutor.check(client)
        say("runs go to the Ray cluster at \(address)\(options.rayDevice.map { " (measurements reserve device_\($0))" } ?? "")")
        return RayExecutor(client: client, kenning: options.rayKenning ?? options.executable, directory: FileManager.default.currentDirectoryPath,
                           timeout: options.timeout, runDir: runDir, resume: options.resume, journal: journal)
    }

    /// The search's report beside its output; a report that cannot be written costs a warning, never the results.
    func writeReport() {
        let t0 = monotonicSeconds()
        do {
            let doc = SearchReport.build(try SearchOutput.load(options.outputPath))
            let base = (options.outputPath as NSString).deletingPathExtension + "_report"
            try ReportFiles.write(doc, markdownPath: base + ".md", htmlPath: base + ".html")
            say(String(format: "report: %@.html (and %@.md), written in %.2f s", base, base, monotonicSeconds() - t0))
        } catch {
            say("warning: the search's report was not written: \(error.description)")
        }
    }

    /// Starts the framework worker `pipeline`'s runtime runs on (nil: none, or it cannot be built; its run will say why).
    func startWorkerAhead(_ pipeline: JSONValue, poolFolder: String) -> (@Sendable () -> Void)? {
        guard let scenario = try? Scenario.parse(pipeline, registry: registry), let config = scenario.runtime,
              case let .runtime(make) = config.entry.maker, let runtime = try? make(config.parameters) else { return nil }
        return runtime.startAhead(poolFolder: poolFolder)
    }

    /// Outputs of the unoptimized model on the first test samples the gate compares (`PipelineRunner.outputSampleCount`):
    /// computed in-process on the native runtime's reference kernels (the correctness oracle, bit-comparable with
    /// NativeRuntime's default backend) for models up to `oracleModelBytes`, and on the oneDNN backend (held to the
    /// reference kernels by the test suite; several times faster) for larger ones or when the reference run fails;
    /// kept in the artifact cache under the model's content hash, the wrapper and the dataset, so a later search reads them.
    /// Models up to this size get the gate's truth from the reference kernels.
    static let oracleModelBytes = 2 << 20

    func referenceOutputs(_ pipeline: JSONValue?, cache: ArtifactCache) -> [[Double]]? {
        guard let pipeline, var scenario = try? Scenario.parse(pipeline, registry: registry) else { return nil }
        let modelPath = scenario.modelWrapper.parameters[CommonParameter.modelPath.name]?.stringValue
        let key = modelPath.flatMap(ContentHash.file).map { model in
            ContentHash.hex("gate-truth|\(model)|\(scenario.modelWrapper.json.serialized(indent: nil))|\(scenario.dataset?.json.serialized(indent: nil) ?? "")")
        }
        let stored = key.map { (cache.directory as NSString).appendingPathComponent("gate-truth-\($0.prefix(24)).json") }
        if let stored, let data = FileManager.default.contents(atPath: stored),
           let cached = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), let rows = cached.arrayValue {
            return rows.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] }
        }
        scenario.optimizers = []
        scenario.measurement = MeasurementSettings(ResolvedParameters(values: [("warmup_runs", 0), ("min_runs", 1), ("min_time", 0.0), ("max_time", 600.0),
                                                                               ("eval_fraction", 1.0)]))
        func outputs(on backend: String) -> [JSONValue]? {
            // Every core: nothing is measured while the truth is computed (the first run's worker only starts beside it).
            let threads = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
            let native = ResolvedParameters(values: NativeRuntime.description.parameters.compactMap { s in s.defaultValue.map { (s.name, $0) } }
                .filter { $0.0 != "backend" && $0.0 != "num_threads" }
                + [("backend", .string(backend)), ("num_threads", .int(threads)), ("save_model_path", .string(""))])
            scenario.runtime = (try? registry.resolve("NativeRuntime", kind: .runtime)).map {
                BlockConfig(entry: $0, parameters: native, jsonPath: "$.runtime")
            }
            var runner = PipelineRunner(scenario: scenario, configPath: nil, command: [], log: { _ in })
            runner.outputValueCap = nil   // the truth keeps every value; runs compare against all of them
            let m = try? runner.run(optimize: false, test: true, measurementsPath: nil, sampleLimit: PipelineRunner.outputSampleCount)
            return m?["output_samples"]?.arrayValue
        }
        let size = modelPath.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int } ?? 0
        let order = size <= Self.oracleModelBytes ? ["reference", "onednn"] : ["onednn", "reference"]
        guard let rows = outputs(on: order[0]) ?? outputs(on: order[1]) else { return nil }
        if let stored { try? Files.writeJSON(.array(rows), to: stored) }
        return rows.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] }
    }
}
