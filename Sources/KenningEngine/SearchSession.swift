import Foundation
import KenningBlocks
import KenningCore
import KenningSearch

/// The state of one search: evaluations so far, the journal, the cache, and the output files.
struct SearchSession {
    let runner: FineTuneRunner
    let op: OptimizationParameters
    let cache: ArtifactCache
    let runDir: String
    let journal: Journal
    let earlier: [Evaluation]
    let excluded: [Candidate]
    let reference: [[Double]]?
    let start: Double
    let total: Int
    let stats = SearchStats()
    var evaluations: [Evaluation] = []
    var measuredSeconds = 0.0
    var ties: [Int] = []
    /// Successive halving picks only among the runs of its last rung (measured with the largest budget).
    var finalists: Set<Int>?

    init(runner: FineTuneRunner, op: OptimizationParameters, cache: ArtifactCache, runDir: String, journal: Journal, earlier: [Evaluation],
         excluded: [Candidate], reference: [[Double]]?, start: Double, total: Int)
    {
        self.runner = runner
        self.op = op
        self.cache = cache
        self.runDir = runDir
        self.journal = journal
        self.earlier = earlier
        self.excluded = excluded
        self.reference = reference
        self.start = start
        self.total = total
    }

    var outOfTime: Bool { op.maxTime.map { monotonicSeconds() - start >= $0 } ?? false }

    // MARK: Strategies

    mutating func search(_ runnable: [Candidate]) throws(KenningError) {
        var strategy = makeStrategy(runnable)
        while let batch = strategy.next() {
            precompile(batch.map { runnable[$0.candidate] })
            for proposal in batch {
                if outOfTime {
                    runner.say("max_time reached; stopping the search")
                    finalists = strategy.finalists.map { Set($0.compactMap { runnable[$0].id }) }
                    return
                }
                let e = try evaluate(runnable[proposal.candidate], budget: proposal.budget)
                strategy.observe(proposal, Outcome(succeeded: e.status == .ok, cost: op.objectives.first.flatMap { $0.cost(e.metricMap) }))
            }
        }
        finalists = strategy.finalists.map { Set($0.compactMap { runnable[$0].id }) }
    }

    /// The configured strategy over `runnable` (indices into it), seeded and limited by `max_runs`.
    func makeStrategy(_ runnable: [Candidate]) -> any SearchStrategy {
        var rng = SplitMix64(seed: op.seed)
        let limit = min(op.maxRuns ?? runnable.count, runnable.count)
        switch op.strategy {
        case .grid:
            return GridStrategy(count: runnable.count, limit: limit)
        case .random:
            return GridStrategy(count: runnable.count, limit: limit, shuffledWith: &rng)
        case .tpe:
            return TPEStrategy(features: runnable.map { TPEStrategy.features(of: $0.pipeline) }, limit: limit, rng: rng)
        case .successiveHalving:
            var order = Array(runnable.indices)
            if limit < runnable.count { order.shuffle(using: &rng) }
            let base = runnable.first?.pipeline["measurement"]
            let s = MeasurementSettings(
                (try? ResolvedParameters.resolve(base, specs: MeasurementSettings.specs, blockName: "measurement"))
                    ?? ResolvedParameters(values: MeasurementSettings.specs.map { ($0.name, $0.defaultValue!) }))
            let full = SuccessiveHalving.Budget(warmupRuns: s.warmupRuns, minRuns: s.minRuns, minTime: s.minTime, maxTime: s.maxTime,
                                                evalFraction: s.evalFraction)
            return SuccessiveHalving(candidates: Array(order.prefix(limit)), eta: op.halvingRate, full: full, fullJSON: base)
        }
    }

    // MARK: Compilation (parallel, cached)

    /// Compiles every optimizer step the candidates need, each unique step once, `jobs` at a time.
    func precompile(_ list: [Candidate]) {
        var levels: [[(key: String, input: String, block: JSONValue, pipeline: JSONValue)]] = []
        var seen = Set<String>()
        for c in list {
            guard let chain = c.pipeline["optimizers"]?.arrayValue, let modelHash = modelHash(c.pipeline) else { continue }
            var input = modelHash
            for (depth, block) in chain.enumerated() {
                let key = ArtifactCache.key(inputHash: input, block: block, toolVersion: toolVersion(of: block))
                if seen.insert(key).inserted, cache.artifact(key) == nil {
                    while levels.count <= depth { levels.append([]) }
                    levels[depth].append((key, input, block, c.pipeline))
                }
                input = key
            }
        }
        let jobs = max(1, runner.options.jobs)
        // Compile steps only read the session and write their own cache entries; the counters are locked.
        nonisolated(unsafe) let session = self
        for level in levels {
            DispatchQueue.concurrentPerform(iterations: min(jobs, level.count)) { worker in
                var i = worker
                while i < level.count {
                    let step = level[i]
                    _ = session.compileStep(key: step.key, input: step.input, block: step.block, pipeline: step.pipeline)
                    i += jobs
                }
            }
        }
    }

    func modelHash(_ pipeline: JSONValue) -> String? {
        guard let path = pipeline["model_wrapper"]?["parameters"]?["model_path"]?.stringValue else { return nil }
        return ArtifactCache.fileHash(path)
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
        let wrapperModel = pipeline["model_wrapper"]!["parameters"]!["model_path"]!.stringValue!
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
        let tag = String(key.prefix(12))
        let scenarioPath = (runDir as NSString).appendingPathComponent("compile_\(tag).json")
        do { try Files.writeJSON(.object(step), to: scenarioPath) } catch { return error.description }
        let request = RunRequest(action: .optimize, scenarioPath: scenarioPath, inputModel: inputPath, inputFormat: inputFormat?.rawValue,
                                 verbosity: runner.options.verbosity,
                                 resultPath: (runDir as NSString).appendingPathComponent("compile_\(tag).result.json"))
        let t0 = monotonicSeconds()
        let result = isolated(request, logPath: (runDir as NSString).appendingPathComponent("compile_\(tag).log"))
        let seconds = monotonicSeconds() - t0
        var reason: String?
        switch result {
        case let .exited(0, _):
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
            let k = ArtifactCache.key(inputHash: input, block: block, toolVersion: toolVersion(of: block))
            if k == key { return previous }
            previous = outputFormat(of: block, kind: .optimizer)
            input = k
        }
        return previous
    }

    var childEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }

    /// Starts one isolated run: `[run wrapper] prlimit --as=LIMIT -- kenning run-request REQUEST`, within the time
    /// limit. The memory limit (address space) is set on the child by util-linux's `prlimit` before it execs kenning.
    func isolated(_ request: RunRequest, logPath: String) -> ChildProcess.Result {
        let requestPath = request.resultPath.replacingOccurrences(of: ".result.json", with: ".request.json")
        try? FileManager.default.removeItem(atPath: request.resultPath)
        do {
            try JSONEncoder().encode(request).write(to: URL(fileURLWithPath: requestPath), options: .atomic)
        } catch {
            return .launchFailed("cannot write the run request \(requestPath): \(error.localizedDescription)")
        }
        var command = runner.options.runWrapper
        if runner.options.memoryLimitMB > 0 {
            guard let prlimit = ["/usr/bin/prlimit", "/bin/prlimit"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
                return .launchFailed("prlimit (util-linux) is needed to apply --memory-limit; install util-linux")
            }
            command += [prlimit, "--as=\(runner.options.memoryLimitMB << 20)", "--"]
        }
        command += [runner.options.executable, "run-request", requestPath]
        return ChildProcess.run(executable: Self.resolve(command[0]), arguments: Array(command.dropFirst()), logPath: logPath,
                                timeout: runner.options.timeout, environment: childEnvironment)
    }

    /// A command name looked up on PATH (a path is kept as it is).
    static func resolve(_ name: String) -> String {
        guard !name.contains("/") else { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first(where: FileManager.default.isExecutableFile(atPath:)) ?? name
    }

    // MARK: One evaluation

    /// Puts this pipeline's artifacts where its blocks expect them; returns the cache hits or a compile error.
    func materialize(_ pipeline: JSONValue) -> (hits: Int, error: String?) {
        let chain = pipeline["optimizers"]?.arrayValue ?? []
        guard let modelPath = pipeline["model_wrapper"]?["parameters"]?["model_path"]?.stringValue, var input = modelHash(pipeline) else {
            return (0, "cannot read the model")
        }
        var hits = 0
        var lastKey: String?
        for block in chain {
            let key = ArtifactCache.key(inputHash: input, block: block, toolVersion: toolVersion(of: block))
            if cache.artifact(key) != nil {
                hits += 1
                let secondsFile = (cache.entryDirectory(key) as NSString).appendingPathComponent("model.seconds")
                if let s = (try? String(contentsOfFile: secondsFile, encoding: .utf8)).flatMap(Double.init) {
                    stats.add { $0.savedSeconds += s }
                }
            } else if let reason = compileStep(key: key, input: input, block: block, pipeline: pipeline) {
                return (hits, reason)
            }
            if let target = block["parameters"]?["compiled_model_path"]?.stringValue {
                do { try cache.materialize(key, as: target) } catch { return (hits, error.description) }
            }
            lastKey = key
            input = key
        }
        if let save = pipeline["runtime"]?["parameters"]?["save_model_path"]?.stringValue, !save.isEmpty {
            do {
                if let lastKey {
                    try cache.materialize(lastKey, as: save)
                } else {
                    try Files.copyReplacing(modelPath, to: save)
                }
            } catch {
                return (hits, error.description)
            }
        }
        stats.add { $0.cacheHits += hits }
        return (hits, nil)
    }

    func key(_ pipeline: JSONValue, budget: JSONValue?) -> String {
        ContentHash.hex(pipeline.serialized(indent: nil) + "|" + (budget?.serialized(indent: nil) ?? ""))
    }

    @discardableResult
    mutating func evaluate(_ c: Candidate, budget: JSONValue?) throws(KenningError) -> Evaluation {
        let id = c.id!
        var pipeline = c.pipeline
        if let budget { pipeline = pipeline.setting("measurement", to: budget) }
        let k = key(c.pipeline, budget: budget)
        if let done = earlier.first(where: { $0.id == id && key($0.pipeline, budget: $0.budget) == k }) {
            record(done, journaled: true)
            return done
        }
        let what = runner.describe(c.pipeline)
        let t0 = monotonicSeconds()
        var e = Evaluation(id: id, pipeline: c.pipeline, status: .failed)
        e.budget = budget
        let (hits, compileError) = materialize(c.pipeline)
        e.cacheHits = hits
        if let compileError {
            e.status = .compileError
            e.reason = compileError
        } else {
            e = measure(pipeline, into: e)
        }
        e.wall = monotonicSeconds() - t0
        measuredSeconds += e.window
        journal.append(e.json.setting("key", to: .string(k)))
        record(e, journaled: false)
        progress(e, what: what)
        return e
    }

    /// Whether a run's log shows an allocation failure under its memory limit. The one status still read from text:
    /// the Swift runtime and the C libraries report a failed allocation only as a message before the process stops.
    static func outOfMemory(_ log: String) -> Bool {
        log.contains("failed to allocate") || log.contains("Cannot allocate memory")
    }

    func measure(_ pipeline: JSONValue, into base: Evaluation, suffix: String = "") -> Evaluation {
        var e = base
        let id = e.id
        let scenarioPath = (runDir as NSString).appendingPathComponent("scenario_\(id)\(suffix).json")
        let resultPath = (runDir as NSString).appendingPathComponent("run_\(id)\(suffix).result.json")
        let logPath = (runDir as NSString).appendingPathComponent("run_\(id)\(suffix).log")
        let measurementsPath = suffix.isEmpty ? runner.path("_\(id).json") : (runDir as NSString).appendingPathComponent("measurements_\(id)\(suffix).json")
        do {
            try Files.writeJSON(pipeline, to: scenarioPath)
        } catch {
            e.reason = error.description
            return e
        }
        let tmpMeasurements = measurementsPath + ".partial"
        let result = isolated(RunRequest(action: .test, scenarioPath: scenarioPath, measurementsPath: tmpMeasurements,
                                         verbosity: runner.options.verbosity, resultPath: resultPath), logPath: logPath)
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        switch result {
        case .timedOut:
            e.status = .timeout
            e.reason = "no result within \(Int(runner.options.timeout)) s (log: \(logPath))"
            return e
        case let .signaled(sig):
            let oom = sig == SIGKILL || Self.outOfMemory(log)
            e.status = oom ? .oom : .crash
            e.reason = oom ? "the run ran out of memory (limit \(runner.options.memoryLimitMB) MB; log: \(logPath))"
                : "the run died with signal \(sig) (log: \(logPath))"
            return e
        case let .launchFailed(reason):
            e.reason = reason
            return e
        case let .exited(code, lastError):
            guard code == 0 else {
                let reported = ChildRun.result(at: resultPath)
                let errorCode = reported?.code ?? .unspecified
                if reported?.phase == "compile" {
                    e.status = .compileError
                } else if errorCode == .incompatiblePipeline {
                    e.status = .incompatible
                } else {
                    e.status = Self.outOfMemory(log) ? .oom : .failed
                }
                e.reason = (lastError ?? "exit code \(code)") + " (log: \(logPath))"
                return e
            }
        }
        guard let text = try? String(contentsOfFile: tmpMeasurements, encoding: .utf8), let m = try? JSONValue.parse(text) else {
            e.reason = "the run wrote no readable measurements"
            return e
        }
        try? FileManager.default.removeItem(atPath: measurementsPath)
        try? FileManager.default.moveItem(atPath: tmpMeasurements, toPath: measurementsPath)
        e.metrics = Metrics.compute(from: m)
        e.window = m["measurement_window"]?.doubleValue ?? 0
        if let steps = m["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue), steps.count > 1 {
            let (mean, median) = Bootstrap.latencyIntervals(steps)
            e.metrics += [("inferencetime_mean_ci_low", mean.low), ("inferencetime_mean_ci_high", mean.high),
                          ("inferencetime_median_ci_low", median.low), ("inferencetime_median_ci_high", median.high)]
        }
        if let reference, let outputs = m["output_samples"]?.arrayValue?.map({ $0.arrayValue?.compactMap(\.doubleValue) ?? [] }) {
            let diff = zip(reference, outputs).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 0
            e.metrics.append(("output_max_abs_diff", diff))
            let precision = m["model_precision"]?.stringValue ?? "float32"
            let tolerance = op.outputTolerance[precision] ?? op.outputTolerance["float32"]!
            if diff > tolerance || outputs.count != reference.count {
                e.status = .outputMismatch
                e.reason = String(format: "outputs differ from the unoptimized model's by %.3g (%@ tolerance %.3g)", diff, precision, tolerance)
                return e
            }
        }
        let missing = op.objectives.map(\.metric).filter { name in !e.metrics.contains { $0.0 == name } }
        e.status = missing.isEmpty ? .ok : .metricMissing
        if !missing.isEmpty { e.reason = "the run produced no \(missing.joined(separator: ", "))" }
        return e
    }

    mutating func record(_ e: Evaluation, journaled: Bool) {
        evaluations.removeAll { $0.id == e.id }
        evaluations.append(e)
        try? writeResults()
        if journaled { progress(e, what: runner.describe(e.pipeline) + " (from the journal)") }
    }

    func progress(_ e: Evaluation, what: String) {
        let n = evaluations.count
        let elapsed = monotonicSeconds() - start
        let eta = n > 0 ? elapsed / Double(n) * Double(max(0, total - n)) : 0
        let bestText = currentBest().map { b in
            " best #\(b.id) \(op.metric)=\(String(format: "%.6g", b.metricMap[op.metric] ?? .nan))"
        } ?? ""
        let m = e.metricMap
        let result = e.status == .ok
            ? String(format: "ok  %@=%@  accuracy=%.4f  mean=%.4f ms", op.metric, m[op.metric].map { String(format: "%.6g", $0) } ?? "-",
                     m["accuracy"] ?? .nan, (m["inferencetime_mean"] ?? .nan) * 1000)
            : "\(e.status.rawValue): \(e.reason ?? "")"
        let line = "[\(n)/\(total)] #\(e.id) \(what): \(result)"
        if runner.options.liveProgress {
            runner.say("\r\u{1B}[K" + line)
            FileHandle.standardError.write(Data(String(format: "  ETA %.0f s, cache %d hits%@\r", eta, stats.cacheHits, bestText).utf8))
        } else {
            runner.say(line + String(format: "  (ETA %.0f s, cache hits %d%@)", eta, stats.cacheHits, bestText))
        }
    }

    // MARK: Selection

    func feasible(_ e: Evaluation) -> Bool { e.status == .ok && op.constraints.allSatisfy { $0.holds(e.metricMap) } }

    func currentBest() -> Evaluation? { select(evaluations.filter { feasible($0) && (finalists?.contains($0.id) ?? true) }) }

    /// The pick among feasible runs by the selection policy.
    func select(_ pool: [Evaluation]) -> Evaluation? {
        let front = paretoFront(pool)
        guard !front.isEmpty else { return nil }
        if op.selection == "utopia", op.objectives.count > 1 {
            let costs = front.map { e in op.objectives.map { $0.cost(e.metricMap) ?? .infinity } }
            let lo = op.objectives.indices.map { d in costs.map { $0[d] }.min()! }
            let hi = op.objectives.indices.map { d in costs.map { $0[d] }.max()! }
            let distance = costs.map { c in
                op.objectives.indices.reduce(0.0) { acc, d in
                    let span = hi[d] - lo[d]
                    let x = span > 0 ? (c[d] - lo[d]) / span : 0
                    return acc + x * x
                }
            }
            return front[distance.indices.min { distance[$0] < distance[$1] }!]
        }
        return front.min { a, b in
            for o in op.objectives {
                let x = o.cost(a.metricMap) ?? .infinity, y = o.cost(b.metricMap) ?? .infinity
                if x != y { return x < y }
            }
            return a.id < b.id
        }
    }

    func paretoFront(_ pool: [Evaluation]) -> [Evaluation] {
        let usable = pool.filter { e in op.objectives.allSatisfy { $0.cost(e.metricMap) != nil } }
        let costs = usable.map { e in op.objectives.map { $0.cost(e.metricMap)! } }
        return Pareto.front(costs).map { usable[$0] }
    }

    // MARK: Ties

    /// Runs whose latency interval overlaps the pick's are measured again, interleaved, and the pick is made on the pooled samples.
    mutating func resolveTies() throws(KenningError) {
        guard let primary = op.objectives.first, primary.metric.hasPrefix("inferencetime"), op.remeasureRounds > 0 else { return }
        let statistic = primary.metric == "inferencetime_median" ? "median" : "mean"
        func interval(_ e: Evaluation) -> (Double, Double)? {
            let m = e.metricMap
            guard let lo = m["inferencetime_\(statistic)_ci_low"], let hi = m["inferencetime_\(statistic)_ci_high"] else { return nil }
            return (lo, hi)
        }
        guard let best = currentBest(), let bi = interval(best) else { return }
        let tied = evaluations.filter { e in
            e.id != best.id && feasible(e) && interval(e).map { $0.0 <= bi.1 && bi.0 <= $0.1 } == true
        }
        guard !tied.isEmpty else { return }
        let group = [best] + tied
        runner.say("\(tied.count) run(s) tie with #\(best.id) (overlapping 95% intervals of the \(statistic)): re-measuring #\(group.map { String($0.id) }.joined(separator: ", #")) interleaved, \(op.remeasureRounds) round(s)")
        var pooled: [Int: [Double]] = [:]
        for e in group {
            if let text = try? String(contentsOfFile: runner.path("_\(e.id).json"), encoding: .utf8), let m = try? JSONValue.parse(text) {
                pooled[e.id] = m["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            }
        }
        for round in 0..<op.remeasureRounds {
            for e in (round % 2 == 0 ? group : group.reversed()) {
                if outOfTime { break }
                _ = materialize(e.pipeline)
                let again = measure(e.budget.map { e.pipeline.setting("measurement", to: $0) } ?? e.pipeline, into: e, suffix: "_remeasure\(round)")
                measuredSeconds += again.window
                if again.status == .ok,
                   let text = try? String(contentsOfFile: (runDir as NSString).appendingPathComponent("measurements_\(e.id)_remeasure\(round).json"), encoding: .utf8),
                   let m = try? JSONValue.parse(text)
                {
                    pooled[e.id, default: []] += m["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue) ?? []
                }
            }
        }
        for (id, steps) in pooled where steps.count > 1 {
            guard let i = evaluations.firstIndex(where: { $0.id == id }) else { continue }
            let (mean, median) = Bootstrap.latencyIntervals(steps)
            let updated: [String: Double] = [
                "inferencetime_mean": Statistics.mean(steps), "inferencetime_std": Statistics.std(steps), "inferencetime_median": Statistics.median(steps),
                "inferencetime_min": steps.min()!, "inferencetime_max": steps.max()!, "inferencetime_p90": Statistics.percentile(steps, 90),
                "inferencetime_p99": Statistics.percentile(steps, 99), "inferencetime_mean_ci_low": mean.low, "inferencetime_mean_ci_high": mean.high,
                "inferencetime_median_ci_low": median.low, "inferencetime_median_ci_high": median.high,
            ]
            evaluations[i].metrics = evaluations[i].metrics.map { (k, v) in (k, updated[k] ?? v) }
            evaluations[i].metrics.append(("inferencetime_pooled_samples", Double(steps.count)))
        }
        if let newBest = currentBest(), let ni = interval(newBest) {
            ties = evaluations.filter { e in e.id != newBest.id && feasible(e) && interval(e).map { $0.0 <= ni.1 && ni.0 <= $0.1 } == true }.map(\.id)
        }
        try writeResults()
    }

    // MARK: Output

    func writeResults() throws(KenningError) {
        let entries = excluded.map { c in
            JSONValue.object([("pipeline", c.pipeline), ("status", .string(RunStatus.incompatible.rawValue)), ("reason", .string(c.exclusion!))])
        } + evaluations.sorted { $0.id < $1.id }.map(\.json)
        try Files.writeJSON(.array(entries), to: runner.path("_all_results.json"))
        if let best = currentBest() {
            var pairs: [(String, JSONValue)] = [("pipeline", best.pipeline), ("metrics", .object(best.metrics.map { ($0.0, .double($0.1)) }))]
            pairs.append(("id", .int(best.id)))
            pairs.append(("environment", Environment.fingerprint()))
            if !ties.isEmpty { pairs.append(("ties", JSONValue(ties))) }
            try Files.writeJSON(.object(pairs), to: runner.options.outputPath)
        }
    }

    mutating func finish() throws(KenningError) -> Int32 {
        let rows = evaluations.sorted { $0.id < $1.id }.map { e in
            ResultRow(id: e.id, what: runner.describe(e.pipeline), metrics: e.metricMap, status: e.status)
        }
        let best = currentBest()
        print(ResultRow.table(rows, bestID: best?.id, metric: op.metric))
        let wall = monotonicSeconds() - start
        if op.objectives.count > 1 || !op.constraints.isEmpty {
            try writeParetoFile(best: best)
        }
        try Files.writeJSON(.object([
            ("strategy", .string(op.strategy.rawValue)), ("runs", .int(evaluations.count)), ("wall_s", .double(wall)), ("measured_s", .double(measuredSeconds)),
            ("overhead_fraction", .double(wall > 0 ? (wall - measuredSeconds) / wall : 0)), ("compiled_steps", .int(stats.compiled)),
            ("compile_s", .double(stats.compileSeconds)), ("cache_hits", .int(stats.cacheHits)), ("cache_saved_s", .double(stats.savedSeconds)),
            ("best", currentBest().map { .int($0.id) } ?? .null), ("ties", JSONValue(ties)),
            ("environment", Environment.fingerprint()),
        ]), to: runner.path("_summary.json"))
        runner.say(String(format: "%d runs in %.1f s (%.1f s measuring); compiled %d step(s) in %.1f s, %d cache hit(s) saving %.1f s",
                          evaluations.count, wall, measuredSeconds, stats.compiled, stats.compileSeconds, stats.cacheHits, stats.savedSeconds))
        guard let best else {
            let ok = evaluations.filter { $0.status == .ok }
            if !ok.isEmpty, !op.constraints.isEmpty {
                runner.say("no run meets every constraint (\(op.constraints.map(\.description).joined(separator: ", "))); closest:")
                for e in closest(ok).prefix(3) {
                    let missed = op.constraints.filter { !$0.holds(e.metricMap) }.map { c in
                        "\(c.metric) = \(String(format: "%.6g", e.metricMap[c.metric] ?? .nan)) (wants \(c.relation.rawValue) \(c.bound))"
                    }
                    runner.say("  #\(e.id) \(runner.describe(e.pipeline)): \(missed.joined(separator: ", "))")
                }
            } else {
                runner.say("no pipeline finished with the metric \"\(op.metricAsWritten)\"; see \(runner.path("_all_results.json")) and the logs in \(runDir)")
            }
            return 1
        }
        runner.say("best pipeline: #\(best.id) \(runner.describe(best.pipeline)) with \(op.metric) = \(String(format: "%.6g", best.metricMap[op.metric] ?? .nan))"
            + (ties.isEmpty ? "" : "; statistically tied with #\(ties.map(String.init).joined(separator: ", #"))"))
        runner.say("wrote \(runner.options.outputPath), \(runner.path("_all_results.json")), \(runner.path("_<id>.json")) and the journal \(journal.path)")
        return 0
    }

    func closest(_ pool: [Evaluation]) -> [Evaluation] {
        pool.sorted { a, b in
            op.constraints.reduce(0) { $0 + $1.violation(a.metricMap) } < op.constraints.reduce(0) { $0 + $1.violation(b.metricMap) }
        }
    }

    func writeParetoFile(best: Evaluation?) throws(KenningError) {
        let feasibleRuns = evaluations.filter(feasible)
        let front = paretoFront(feasibleRuns)
        var pairs: [(String, JSONValue)] = [
            ("objectives", .array(op.objectives.map { .object([("metric", .string($0.metric)), ("policy", .string($0.minimize ? "min" : "max"))]) })),
            ("constraints", .array(op.constraints.map { .string($0.description) })),
            ("selection", .string(op.selection)),
            ("feasible", JSONValue(feasibleRuns.map(\.id).sorted())),
            ("front", .array(front.sorted { $0.id < $1.id }.map { e in
                .object([("id", .int(e.id)), ("metrics", .object(op.objectives.map { ($0.metric, .double(e.metricMap[$0.metric] ?? .nan)) }))])
            })),
            ("pick", best.map { .int($0.id) } ?? .null),
        ]
        if best == nil {
            pairs.append(("closest", JSONValue(closest(evaluations.filter { $0.status == .ok }).prefix(3).map(\.id))))
        }
        try Files.writeJSON(.object(pairs), to: runner.path("_pareto.json"))
    }
}
