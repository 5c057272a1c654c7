import Foundation
import KenningBlocks
import KenningCore

/// `optimization_parameters` of a fine-tune config.
public struct OptimizationParameters: Sendable {
    public var strategy: String
    public var optimizable: [String]
    public var metric: String
    public var metricAsWritten: String
    public var policy: String

    static let blockKeys = ["model_wrapper", "dataset", "optimizers", "runtime"]

    public static func parse(_ doc: JSONValue) throws(KenningError) -> OptimizationParameters {
        guard case .object = doc else {
            throw .badInput("the config must be an object, got \(doc.typeName)", path: "$",
                            fix: "write {\"optimization_parameters\": …, \"model_wrapper\": …, …}")
        }
        guard let op = doc["optimization_parameters"] else {
            throw .badInput("the config has no \"optimization_parameters\"", path: "$",
                            fix: "add \"optimization_parameters\": {\"strategy\": \"grid_search\", \"optimizable\": [\"optimizers\", \"runtime\"], \"metric\": \"inferencetime_mean\", \"policy\": \"min\"}")
        }
        guard case let .object(pairs) = op else {
            throw .badInput("\"optimization_parameters\" must be an object", path: "$.optimization_parameters", fix: "see `kenning fine-tune-optimizers --help`")
        }
        var problems: [Problem] = []
        let known = ["strategy", "optimizable", "metric", "policy"]
        for (k, _) in pairs where !known.contains(k) {
            problems.append(Problem("unknown key \"\(k)\" in optimization_parameters", path: "$.optimization_parameters.\(k)",
                                    fix: nearestNames(to: k, in: known).first.map { "did you mean \"\($0)\"?" } ?? "allowed: \(known.joined(separator: ", "))"))
        }
        let strategy = op["strategy"]?.stringValue ?? "grid_search"
        if strategy != "grid_search" {
            problems.append(Problem("unknown optimization strategy \"\(strategy)\"", path: "$.optimization_parameters.strategy",
                                    fix: "use \"grid_search\""))
        }
        var optimizable: [String] = []
        if let list = op["optimizable"] {
            if let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) {
                optimizable = items.compactMap(\.stringValue)
                for (i, key) in optimizable.enumerated() {
                    if !blockKeys.contains(key) {
                        problems.append(Problem("\"\(key)\" cannot be optimized", path: "$.optimization_parameters.optimizable[\(i)]",
                                                fix: "optimizable keys are \(blockKeys.joined(separator: ", "))"))
                    } else if doc[key] == nil {
                        problems.append(Problem("\"\(key)\" is listed as optimizable but the config has no \"\(key)\"",
                                                path: "$.optimization_parameters.optimizable[\(i)]", fix: "add the \"\(key)\" alternatives or remove it from the list"))
                    }
                }
            } else {
                problems.append(Problem("\"optimizable\" must be a list of block keys", path: "$.optimization_parameters.optimizable",
                                        fix: "e.g. [\"optimizers\", \"runtime\"]"))
            }
        }
        let metricRaw = op["metric"]?.stringValue
        var metric = ""
        if let m = metricRaw {
            if let c = Metrics.canonicalName(m) {
                metric = c
            } else {
                let near = nearestNames(to: m, in: Metrics.allKeys + Array(Metrics.aliases.keys))
                problems.append(Problem("no run produces the metric \"\(m)\"", path: "$.optimization_parameters.metric",
                                        fix: (near.first.map { "did you mean \"\($0)\"? " } ?? "") + "metrics: \(Metrics.allKeys.joined(separator: ", "))"))
            }
        } else {
            problems.append(Problem("\"metric\" is missing", path: "$.optimization_parameters", fix: "add \"metric\": \"inferencetime_mean\" (or accuracy, …)"))
        }
        let policy = op["policy"]?.stringValue ?? "min"
        if policy != "min" && policy != "max" {
            problems.append(Problem("policy must be \"min\" or \"max\", got \(op["policy"]!.serialized(indent: nil))", path: "$.optimization_parameters.policy",
                                    fix: "use \"min\" for times and resource use, \"max\" for accuracy"))
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        return OptimizationParameters(strategy: strategy, optimizable: optimizable, metric: metric, metricAsWritten: metricRaw ?? metric, policy: policy)
    }
}

/// One expanded pipeline and what happened to it.
public struct Candidate: Sendable {
    public var pipeline: JSONValue
    public var id: Int?
    public var exclusion: String?
}

public struct FineTuneOptions: Sendable {
    public var configPath: String
    public var outputPath: String
    public var generateScenarios: String?
    public var verbosity: String
    public var timeout: Double
    public var executable: String

    public init(configPath: String, outputPath: String, generateScenarios: String?, verbosity: String, timeout: Double, executable: String) {
        self.configPath = configPath
        self.outputPath = outputPath
        self.generateScenarios = generateScenarios
        self.verbosity = verbosity
        self.timeout = timeout
        self.executable = executable
    }
}

/// `kenning fine-tune-optimizers`: expand the grid, drop incompatible pipelines, run each in its own process, pick the best.
public struct FineTuneRunner {
    public let options: FineTuneOptions
    public let registry: BlockRegistry
    public let say: @Sendable (String) -> Void

    public init(options: FineTuneOptions, registry: BlockRegistry = .builtIn, say: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.registry = registry
        self.say = say
    }

    /// Expands and checks the grid; every problem in the config is reported before anything runs.
    public func plan(_ doc: JSONValue, parameters op: OptimizationParameters) throws(KenningError) -> [Candidate] {
        guard case let .object(pairs) = doc else { throw .badInput("the config must be an object", path: "$", fix: "write a JSON/YAML object") }
        var problems: [Problem] = []
        for (key, _) in pairs where !OptimizationParameters.blockKeys.contains(key) && key != "optimization_parameters" && key != "measurement" {
            if Scenario.unsupportedKeys.contains(key) {
                problems.append(Problem("the \"\(key)\" block is not supported yet", path: "$.\(key)", fix: "remove it"))
            } else {
                problems.append(Problem("unknown top-level key \"\(key)\"", path: "$.\(key)",
                                        fix: nearestNames(to: key, in: OptimizationParameters.blockKeys + ["optimization_parameters", "measurement"]).first
                                            .map { "did you mean \"\($0)\"?" } ?? "remove it"))
            }
        }
        if doc["model_wrapper"] == nil { problems.append(Problem("the config has no \"model_wrapper\"", path: "$", fix: "add a model_wrapper block")) }
        var lists: [(String, [JSONValue])] = []
        for key in OptimizationParameters.blockKeys {
            guard let value = doc[key] else { continue }
            if op.optimizable.contains(key) {
                do {
                    let cands = try GridSearch.candidates(for: key, value: value, path: "$.\(key)")
                    // Validate every concrete block once, against the alternative it came from.
                    for (i, alt) in (value.arrayValue ?? []).enumerated() {
                        for block in try GridSearch.expand(alternative: alt, path: "$.\(key)[\(i)]") {
                            do {
                                _ = try BlockConfig.parse(block, kind: kind(of: key), path: "$.\(key)[\(i)]", registry: registry)
                            } catch {
                                for p in error.problems where !problems.contains(p) { problems.append(p) }
                            }
                        }
                    }
                    lists.append((key, cands))
                } catch {
                    problems += error.problems
                }
            } else {
                lists.append((key, [value]))
            }
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        var candidates: [Candidate] = []
        let keys = lists.map(\.0)
        for combo in GridSearch.product(lists.map(\.1)) {
            var pairs = Array(zip(keys, combo))
            if let m = doc["measurement"] { pairs.append(("measurement", m)) }
            candidates.append(Candidate(pipeline: .object(pairs), id: nil, exclusion: nil))
        }
        guard !candidates.isEmpty else {
            throw .badInput("the grid is empty", path: "$", fix: "give every optimizable parameter at least one value")
        }
        // Whole-chain compatibility, runtime included, before any work starts.
        var problemsByScenario: [Problem] = []
        var checkedModels: [String: ModelArtifact] = [:]
        var checkedDatasets = Set<String>()
        var next = 0
        for i in candidates.indices {
            let scenario: Scenario
            do {
                scenario = try Scenario.parse(candidates[i].pipeline, registry: registry)
            } catch {
                for p in error.problems where !problemsByScenario.contains(p) { problemsByScenario.append(p) }
                continue
            }
            do throws(KenningError) {
                let wrapperKey = scenario.modelWrapper.json.serialized(indent: nil)
                if checkedModels[wrapperKey] == nil {
                    let runner = PipelineRunner(scenario: scenario, configPath: nil, command: [], log: { _ in })
                    let built = try runner.build()
                    do {
                        checkedModels[wrapperKey] = try built.wrapper.artifact()
                    } catch {
                        throw error.under(scenario.modelWrapper.jsonPath)
                    }
                }
                if let ds = scenario.dataset, checkedDatasets.insert(ds.json.serialized(indent: nil)).inserted {
                    let runner = PipelineRunner(scenario: scenario, configPath: nil, command: [], log: { _ in })
                    _ = try runner.build().dataset
                }
            } catch {
                for p in error.problems where !problemsByScenario.contains(p) { problemsByScenario.append(p) }
                continue
            }
            if let reason = compatibility(scenario, model: checkedModels[scenario.modelWrapper.json.serialized(indent: nil)]!) {
                candidates[i].exclusion = reason
            } else {
                candidates[i].id = next
                candidates[i].pipeline = Self.prefixPaths(candidates[i].pipeline, id: next)
                next += 1
            }
        }
        if !problemsByScenario.isEmpty { throw KenningError(.badInput, problemsByScenario).inFile(options.configPath) }
        return candidates
    }

    func kind(of key: String) -> BlockKind {
        switch key {
        case "model_wrapper": return .modelWrapper
        case "dataset": return .dataset
        case "optimizers": return .optimizer
        default: return .runtime
        }
    }

    /// Why a pipeline cannot work (format chain, runtime formats, runtime op coverage), or nil.
    func compatibility(_ s: Scenario, model: ModelArtifact) -> String? {
        var format = model.format
        var producer = s.modelWrapper.entry.description.name
        for o in s.optimizers {
            let d = o.entry.description
            guard d.inputFormats.contains(format) else {
                return "\(d.name) does not accept \(format) (produced by \(producer)); it accepts \(d.inputFormats.map(\.rawValue).joined(separator: ", "))"
            }
            format = d.outputFormats.first ?? format
            producer = d.name
        }
        if let r = s.runtime {
            let d = r.entry.description
            guard d.inputFormats.contains(format) else {
                return "\(d.name) cannot run \(format) models (produced by \(producer)); it runs \(d.inputFormats.map(\.rawValue).joined(separator: ", "))"
            }
            if case let .runtime(make) = r.entry.maker, let runtime = try? make(r.parameters), let reason = runtime.incompatibility(with: model) {
                return reason
            }
        }
        return nil
    }

    /// Kenning's path namespacing: `<id>_` before the file name of every `compiled_model_path` and the runtime's `save_model_path`.
    public static func prefixPaths(_ pipeline: JSONValue, id: Int) -> JSONValue {
        func rewrite(_ block: JSONValue, key: String) -> JSONValue {
            guard let params = block["parameters"], let path = params[key]?.stringValue else { return block }
            return block.setting("parameters", to: params.setting(key, to: .string(Files.prefixed(path, id: id))))
        }
        var p = pipeline
        if let opts = p["optimizers"]?.arrayValue {
            p = p.setting("optimizers", to: .array(opts.map { rewrite($0, key: "compiled_model_path") }))
        }
        if let r = p["runtime"] { p = p.setting("runtime", to: rewrite(r, key: "save_model_path")) }
        return p
    }

    var outputBase: (dir: String, stem: String) {
        let ns = options.outputPath as NSString
        let dir = ns.deletingLastPathComponent
        return (dir.isEmpty ? "." : dir, (ns.lastPathComponent as NSString).deletingPathExtension)
    }

    func path(_ suffix: String) -> String {
        (outputBase.dir as NSString).appendingPathComponent(outputBase.stem + suffix)
    }

    /// Runs the whole search. Returns the process exit status (0 when a best pipeline was found).
    public func run() throws(KenningError) -> Int32 {
        let doc = try ConfigFile.load(options.configPath)
        let op: OptimizationParameters
        do {
            op = try OptimizationParameters.parse(doc)
        } catch {
            throw error.inFile(options.configPath)
        }
        let candidates: [Candidate]
        do {
            candidates = try plan(doc, parameters: op)
        } catch {
            throw error.inFile(options.configPath)
        }
        let runnable = candidates.filter { $0.id != nil }
        let excluded = candidates.filter { $0.exclusion != nil }
        say("\(candidates.count) pipelines in the grid, \(runnable.count) compatible, \(excluded.count) excluded")
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

        var results: [JSONValue] = excluded.map { c in
            .object([("pipeline", c.pipeline), ("status", "incompatible"), ("reason", .string(c.exclusion!))])
        }
        var rows: [ResultRow] = []
        var best: (metrics: [(String, Double)], pipeline: JSONValue, value: Double, id: Int)?
        for (n, c) in runnable.enumerated() {
            let id = c.id!
            let what = describe(c.pipeline)
            let outcome = runOne(c.pipeline, id: id, runDir: runDir)
            var entry: [(String, JSONValue)] = [("id", .int(id)), ("pipeline", c.pipeline)]
            switch outcome {
            case let .success(metrics, seconds):
                let value = metrics.first { $0.0 == op.metric }?.1
                entry.append(("metrics", .object(metrics.map { ($0.0, .double($0.1)) })))
                entry.append(("status", value == nil ? "metric_missing" : "ok"))
                entry.append(("wall_time", .double(seconds)))
                if let value {
                    let better = best.map { op.policy == "min" ? value < $0.value : value > $0.value } ?? true
                    if better { best = (metrics, c.pipeline, value, id) }
                }
                rows.append(ResultRow(id: id, what: what, metrics: Dictionary(metrics, uniquingKeysWith: { a, _ in a }), status: value == nil ? "metric_missing" : "ok"))
                say(String(format: "[%d/%d] %@: ok  %@=%@  accuracy=%.4f  mean=%.3f ms  (%.1f s)", n + 1, runnable.count, what, op.metric,
                           value.map { String(format: "%.6g", $0) } ?? "missing",
                           metrics.first { $0.0 == "accuracy" }?.1 ?? .nan, (metrics.first { $0.0 == "inferencetime_mean" }?.1 ?? .nan) * 1000, seconds))
            case let .failure(status, reason):
                entry.append(("status", .string(status)))
                entry.append(("reason", .string(reason)))
                rows.append(ResultRow(id: id, what: what, metrics: [:], status: status))
                say("[\(n + 1)/\(runnable.count)] \(what): \(status): \(reason)")
            }
            results.append(.object(entry))
            try Files.writeJSON(.array(results), to: path("_all_results.json"))
            if let best, best.id == id {
                try Files.writeJSON(.object([("pipeline", best.pipeline), ("metrics", .object(best.metrics.map { ($0.0, .double($0.1)) }))]),
                                    to: options.outputPath)
            }
        }
        print(ResultRow.table(rows, bestID: best?.id, metric: op.metric))
        guard let best else {
            say("no pipeline finished with the metric \"\(op.metricAsWritten)\"; see \(path("_all_results.json")) and the logs in \(runDir)")
            return 1
        }
        say("best pipeline: #\(best.id) \(describe(best.pipeline)) with \(op.metric) = \(String(format: "%.6g", best.value))")
        say("wrote \(options.outputPath), \(path("_all_results.json")) and \(runnable.count) run files \(path("_<id>.json"))")
        return 0
    }

    enum Outcome {
        case success([(String, Double)], Double)
        case failure(String, String)
    }

    func runOne(_ pipeline: JSONValue, id: Int, runDir: String) -> Outcome {
        let scenarioPath = (runDir as NSString).appendingPathComponent("scenario_\(id).json")
        let logPath = (runDir as NSString).appendingPathComponent("run_\(id).log")
        let measurementsPath = path("_\(id).json")
        do {
            try Files.writeJSON(pipeline, to: scenarioPath)
        } catch {
            return .failure("failed", error.description)
        }
        let t0 = monotonicSeconds()
        let result = ChildProcess.run(executable: options.executable,
                                      arguments: ["optimize", "test", "--json-cfg", scenarioPath, "--measurements", measurementsPath,
                                                  "--verbosity", options.verbosity],
                                      logPath: logPath, timeout: options.timeout)
        let seconds = monotonicSeconds() - t0
        switch result {
        case .timedOut: return .failure("timeout", "no result within \(Int(options.timeout)) s (log: \(logPath))")
        case let .signaled(sig): return .failure("crash", "the run died with signal \(sig) (log: \(logPath))")
        case let .exited(code, lastError):
            guard code == 0 else {
                return .failure(code == 2 ? "failed" : "failed", (lastError ?? "exit code \(code)") + " (log: \(logPath))")
            }
        case let .launchFailed(reason): return .failure("failed", reason)
        }
        guard let text = try? String(contentsOfFile: measurementsPath, encoding: .utf8), let m = try? JSONValue.parse(text) else {
            return .failure("failed", "the run wrote no readable measurements at \(measurementsPath)")
        }
        return .success(Metrics.compute(from: m), seconds)
    }

    func describe(_ pipeline: JSONValue) -> String {
        func label(_ block: JSONValue, _ kind: BlockKind) -> String {
            (try? BlockConfig.parse(block, kind: kind, path: "$", registry: registry).label) ?? (block["type"]?.stringValue ?? "?")
        }
        let opts = pipeline["optimizers"]?.arrayValue?.map { label($0, .optimizer) } ?? []
        let runtime = pipeline["runtime"].map { label($0, .runtime) } ?? "NativeRuntime"
        return (opts.isEmpty ? "" : opts.joined(separator: " → ") + " → ") + runtime
    }
}

/// One line of the final results table.
struct ResultRow {
    var id: Int
    var what: String
    var metrics: [String: Double]
    var status: String

    static func table(_ rows: [ResultRow], bestID: Int?, metric: String) -> String {
        let header = ["", "id", "pipeline", "accuracy", "mean ms", "p99 ms", "cpu %", "mem %", "status"]
        var lines: [[String]] = [header]
        for r in rows {
            func f(_ key: String, _ scale: Double, _ digits: Int) -> String {
                r.metrics[key].map { String(format: "%.\(digits)f", $0 * scale) } ?? "-"
            }
            lines.append([r.id == bestID ? "*" : "", String(r.id), r.what, f("accuracy", 1, 4), f("inferencetime_mean", 1000, 4),
                          f("inferencetime_p99", 1000, 4), f("session_utilization_cpus_percent_avg_mean", 1, 1),
                          f("session_utilization_mem_percent_mean", 1, 1), r.status])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        let text = lines.map { row in
            row.enumerated().map { c, cell in
                c == 2 || c == 8 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        return (text + ["(* = best by \(metric))"]).joined(separator: "\n")
    }
}
