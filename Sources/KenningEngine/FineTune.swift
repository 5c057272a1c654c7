import Foundation
import KenningBlocks
import KenningCore

/// `optimization_parameters` of a fine-tune config: Kenning's keys plus search strategies, budgets, objectives and constraints.
public struct OptimizationParameters: Sendable {
    public static let strategies = ["grid_search", "random_search", "tpe", "successive_halving"]
    public static let selections = ["lexicographic", "utopia"]

    public var strategy: String
    public var optimizable: [String]
    public var metric: String
    public var metricAsWritten: String
    public var policy: String
    public var objectives: [Objective]
    public var constraints: [Constraint]
    public var selection: String
    public var maxRuns: Int?
    public var maxTime: Double?
    public var seed: UInt64
    public var halvingRate: Int
    /// Largest allowed difference between a run's outputs and the unoptimized model's, per precision.
    public var outputTolerance: [String: Double]
    public var remeasureRounds: Int

    static let blockKeys = ["model_wrapper", "dataset", "optimizers", "runtime"]
    static let knownKeys = ["strategy", "optimizable", "metric", "policy", "objectives", "constraints", "selection", "max_runs", "max_time",
                            "seed", "halving_rate", "output_tolerance", "remeasure_ties"]

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
        let base = "$.optimization_parameters"
        var problems: [Problem] = []
        for (k, _) in pairs where !knownKeys.contains(k) {
            problems.append(Problem("unknown key \"\(k)\" in optimization_parameters", path: "\(base).\(k)",
                                    fix: nearestNames(to: k, in: knownKeys).first.map { "did you mean \"\($0)\"?" } ?? "allowed: \(knownKeys.joined(separator: ", "))"))
        }
        let strategy = op["strategy"]?.stringValue ?? "grid_search"
        if !strategies.contains(strategy) {
            problems.append(Problem("unknown optimization strategy \"\(strategy)\"", path: "\(base).strategy",
                                    fix: (nearestNames(to: strategy, in: strategies).first.map { "did you mean \"\($0)\"? " } ?? "") + "use one of \(strategies.joined(separator: ", "))"))
        }
        var optimizable: [String] = []
        if let list = op["optimizable"] {
            if let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) {
                optimizable = items.compactMap(\.stringValue)
                for (i, key) in optimizable.enumerated() {
                    if !blockKeys.contains(key) {
                        problems.append(Problem("\"\(key)\" cannot be optimized", path: "\(base).optimizable[\(i)]",
                                                fix: "optimizable keys are \(blockKeys.joined(separator: ", "))"))
                    } else if doc[key] == nil {
                        problems.append(Problem("\"\(key)\" is listed as optimizable but the config has no \"\(key)\"",
                                                path: "\(base).optimizable[\(i)]", fix: "add the \"\(key)\" alternatives or remove it from the list"))
                    }
                }
            } else {
                problems.append(Problem("\"optimizable\" must be a list of block keys", path: "\(base).optimizable", fix: "e.g. [\"optimizers\", \"runtime\"]"))
            }
        }
        func metricName(_ m: String, path: String) -> String? {
            if let c = Metrics.canonicalName(m) { return c }
            let near = nearestNames(to: m, in: Metrics.allKeys + Array(Metrics.aliases.keys))
            problems.append(Problem("no run produces the metric \"\(m)\"", path: path,
                                    fix: (near.first.map { "did you mean \"\($0)\"? " } ?? "") + "metrics: \(Metrics.allKeys.joined(separator: ", "))"))
            return nil
        }
        func policyValue(_ v: JSONValue?, path: String) -> String {
            let p = v?.stringValue ?? "min"
            if p != "min" && p != "max" {
                problems.append(Problem("policy must be \"min\" or \"max\", got \(v!.serialized(indent: nil))", path: path,
                                        fix: "use \"min\" for times and resource use, \"max\" for accuracy"))
            }
            return p
        }
        var objectives: [Objective] = []
        let metricRaw = op["metric"]?.stringValue
        var metric = ""
        let policy = policyValue(op["policy"], path: "\(base).policy")
        if let m = metricRaw {
            if let c = metricName(m, path: "\(base).metric") {
                metric = c
                objectives.append(Objective(metric: c, minimize: policy == "min"))
            }
        }
        if let list = op["objectives"] {
            if let items = list.arrayValue {
                for (i, item) in items.enumerated() {
                    guard let m = item["metric"]?.stringValue else {
                        problems.append(Problem("an objective needs a \"metric\"", path: "\(base).objectives[\(i)]",
                                                fix: "write {\"metric\": \"accuracy\", \"policy\": \"max\"}"))
                        continue
                    }
                    let p = policyValue(item["policy"], path: "\(base).objectives[\(i)].policy")
                    if let c = metricName(m, path: "\(base).objectives[\(i)].metric"), !objectives.contains(where: { $0.metric == c }) {
                        objectives.append(Objective(metric: c, minimize: p == "min"))
                    }
                }
            } else {
                problems.append(Problem("\"objectives\" must be a list", path: "\(base).objectives",
                                        fix: "e.g. [{\"metric\": \"inferencetime_mean\", \"policy\": \"min\"}, {\"metric\": \"accuracy\", \"policy\": \"max\"}]"))
            }
        }
        if metricRaw == nil && objectives.isEmpty {
            problems.append(Problem("\"metric\" is missing", path: base, fix: "add \"metric\": \"inferencetime_mean\" (or accuracy, …)"))
        }
        if metric.isEmpty, let first = objectives.first { metric = first.metric }
        var constraints: [Constraint] = []
        if let list = op["constraints"] {
            if let items = list.arrayValue {
                for (i, item) in items.enumerated() {
                    guard let text = item.stringValue else {
                        problems.append(Problem("a constraint must be a string like \"accuracy >= 0.97\"", path: "\(base).constraints[\(i)]", fix: "quote it"))
                        continue
                    }
                    do {
                        constraints.append(try Constraint.parse(text, path: "\(base).constraints[\(i)]"))
                    } catch {
                        problems += error.problems
                    }
                }
            } else {
                problems.append(Problem("\"constraints\" must be a list of strings", path: "\(base).constraints", fix: "e.g. [\"accuracy >= 0.97\"]"))
            }
        }
        let selection = op["selection"]?.stringValue ?? "lexicographic"
        if !selections.contains(selection) {
            problems.append(Problem("unknown selection policy \"\(selection)\"", path: "\(base).selection", fix: "use \(selections.joined(separator: " or "))"))
        }
        func positive(_ key: String, integer: Bool) -> JSONValue? {
            guard let v = op[key], v != .null else { return nil }
            if integer ? (v.intValue ?? 0) >= 1 : (v.doubleValue ?? 0) > 0 { return v }
            problems.append(Problem("\"\(key)\" must be a positive \(integer ? "integer" : "number"), got \(v.serialized(indent: nil))",
                                    path: "\(base).\(key)", fix: "give a value above 0 or remove it"))
            return nil
        }
        let maxRuns = positive("max_runs", integer: true)?.intValue
        let maxTime = positive("max_time", integer: false)?.doubleValue
        let rate = positive("halving_rate", integer: true)?.intValue ?? 3
        if rate < 2 { problems.append(Problem("\"halving_rate\" must be at least 2", path: "\(base).halving_rate", fix: "use 2, 3 or 4")) }
        var tolerance = ["float32": 1e-3, "float16": 1e-2, "int8": 5e-2]
        if let v = op["output_tolerance"] {
            if let d = v.doubleValue, d > 0 {
                tolerance = tolerance.mapValues { _ in d }
            } else if let pairs = v.objectPairs, pairs.allSatisfy({ tolerance[$0.0] != nil && ($0.1.doubleValue ?? 0) > 0 }) {
                for (k, x) in pairs { tolerance[k] = x.doubleValue! }
            } else {
                problems.append(Problem("\"output_tolerance\" must be a positive number or an object of float32/float16/int8 tolerances",
                                        path: "\(base).output_tolerance", fix: "e.g. 1e-3 or {\"float32\": 1e-3, \"int8\": 0.05}"))
            }
        }
        var rounds = 2
        if let v = op["remeasure_ties"] {
            if let b = v.boolValue { rounds = b ? 2 : 0 } else if let i = v.intValue, i >= 0 { rounds = i } else {
                problems.append(Problem("\"remeasure_ties\" must be true, false or a number of rounds", path: "\(base).remeasure_ties", fix: "e.g. 2"))
            }
        }
        var seed: UInt64 = 1234
        if let v = op["seed"] {
            if let i = v.intValue { seed = UInt64(bitPattern: Int64(i)) } else {
                problems.append(Problem("\"seed\" must be an integer", path: "\(base).seed", fix: "e.g. 1234"))
            }
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        return OptimizationParameters(strategy: strategy, optimizable: optimizable, metric: metric, metricAsWritten: metricRaw ?? metric,
                                      policy: objectives.first.map { $0.minimize ? "min" : "max" } ?? policy, objectives: objectives,
                                      constraints: constraints, selection: selection, maxRuns: maxRuns, maxTime: maxTime, seed: seed,
                                      halvingRate: rate, outputTolerance: tolerance, remeasureRounds: rounds)
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
    public var jobs: Int = 1
    public var resume: Bool = false
    public var cacheDirectory: String?
    public var memoryLimitMB: Int = 8192
    public var liveProgress: Bool = false

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
        var runtimeVerdicts: [String: String?] = [:]
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
            if let reason = compatibility(scenario, model: checkedModels[scenario.modelWrapper.json.serialized(indent: nil)]!,
                                          runtimeVerdicts: &runtimeVerdicts) {
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
    /// `runtimeVerdicts` remembers each (runtime, model) answer: a runtime's check may read the whole model.
    func compatibility(_ s: Scenario, model: ModelArtifact, runtimeVerdicts: inout [String: String?]) -> String? {
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
            let key = r.json.serialized(indent: nil) + "|" + model.path
            if runtimeVerdicts[key] == nil {
                if case let .runtime(make) = r.entry.maker, let runtime = try? make(r.parameters) {
                    runtimeVerdicts[key] = .some(runtime.incompatibility(with: model))
                } else {
                    runtimeVerdicts[key] = .some(nil)
                }
            }
            if let reason = runtimeVerdicts[key] ?? nil { return reason }
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
    var status: RunStatus

    static func table(_ rows: [ResultRow], bestID: Int?, metric: String) -> String {
        let header = ["", "id", "pipeline", "accuracy", "mean ms", "p99 ms", "cpu %", "mem %", "status"]
        var lines: [[String]] = [header]
        for r in rows {
            func f(_ key: String, _ scale: Double, _ digits: Int) -> String {
                r.metrics[key].map { String(format: "%.\(digits)f", $0 * scale) } ?? "-"
            }
            lines.append([r.id == bestID ? "*" : "", String(r.id), r.what, f("accuracy", 1, 4), f("inferencetime_mean", 1000, 4),
                          f("inferencetime_p99", 1000, 4), f("session_utilization_cpus_percent_avg_mean", 1, 1),
                          f("session_utilization_mem_percent_mean", 1, 1), r.status.rawValue])
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
