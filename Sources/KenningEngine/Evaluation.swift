import Foundation
import KenningBlocks
import KenningCore

/// One measured (or failed) evaluation of a pipeline.
struct Evaluation {
    var id: Int
    var pipeline: JSONValue
    var status: RunStatus
    var reason: String?
    var metrics: [(String, Double)] = []
    var budget: JSONValue?
    var window: Double = 0
    var wall: Double = 0
    var cacheHits = 0
    var fromJournal = false

    var metricMap: [String: Double] { Dictionary(metrics, uniquingKeysWith: { a, _ in a }) }

    var json: JSONValue {
        var pairs: [(String, JSONValue)] = [("id", .int(id)), ("pipeline", pipeline), ("status", .string(status.rawValue))]
        if let reason { pairs.append(("reason", .string(reason))) }
        if !metrics.isEmpty { pairs.append(("metrics", .object(metrics.map { ($0.0, .double($0.1)) }))) }
        if let budget { pairs.append(("measurement", budget)) }
        pairs.append(("measurement_window", .double(window)))
        pairs.append(("wall_time", .double(wall)))
        pairs.append(("cache_hits", .int(cacheHits)))
        return .object(pairs)
    }

    init(id: Int, pipeline: JSONValue, status: RunStatus, reason: String? = nil) {
        self.id = id
        self.pipeline = pipeline
        self.status = status
        self.reason = reason
    }

    init?(journal r: JSONValue) {
        guard let id = r["id"]?.intValue, let pipeline = r["pipeline"], let status = r["status"]?.stringValue else { return nil }
        self.init(id: id, pipeline: pipeline, status: RunStatus(recorded: status), reason: r["reason"]?.stringValue)
        metrics = r["metrics"]?.objectPairs?.compactMap { k, v in v.doubleValue.map { (k, $0) } } ?? []
        budget = r["measurement"]
        window = r["measurement_window"]?.doubleValue ?? 0
        wall = r["wall_time"]?.doubleValue ?? 0
        cacheHits = r["cache_hits"]?.intValue ?? 0
        fromJournal = true
    }
}

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
        say("\(candidates.count) pipelines in the grid, \(runnable.count) compatible, \(excluded.count) excluded; strategy \(op.strategy)")
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

        let reference = referenceOutputs(runnable.first?.pipeline)
        var session = SearchSession(runner: self, op: op, cache: cache, runDir: runDir, journal: journal, earlier: earlier,
                                    excluded: excluded, reference: reference, start: start, total: runnable.count)
        try session.search(runnable)
        try session.resolveTies()
        return try session.finish()
    }

    /// Outputs of the unoptimized model on the first test samples, computed in-process with the reference backend (the gate's truth).
    func referenceOutputs(_ pipeline: JSONValue?) -> [[Double]]? {
        guard let pipeline, var scenario = try? Scenario.parse(pipeline, registry: registry) else { return nil }
        scenario.optimizers = []
        scenario.runtime = nil
        scenario.measurement = MeasurementSettings(ResolvedParameters(values: [("warmup_runs", 0), ("min_runs", 1), ("min_time", 0.0), ("max_time", 600.0),
                                                                               ("eval_fraction", 1.0)]))
        let runner = PipelineRunner(scenario: scenario, configPath: nil, command: [], log: { _ in })
        guard let m = try? runner.run(optimize: false, test: true, measurementsPath: nil) else { return nil }
        return m["output_samples"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] }
    }
}
