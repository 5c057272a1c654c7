import Foundation
import KenningBlocks
import KenningCore
import KenningSearch

/// `optimization_parameters` of a fine-tune config: Kenning's keys plus search strategies, budgets, objectives and constraints.
public struct OptimizationParameters: Sendable {
    public static let strategies = StrategyKind.allCases.map(\.rawValue)
    public static let selections = ["lexicographic", "utopia"]

    public var strategy: StrategyKind
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
    /// Largest allowed difference between a run's outputs and the unoptimized model's, per precision; empty when the
    /// check is off (`"output_tolerance": false`).
    public var outputTolerance: [String: Double]
    public var remeasureRounds: Int
    /// Measure the model wrapper's own model once too (Kenning's --evaluate-unoptimized for a search), the baseline of
    /// every run's deltas in the results.
    public var evaluateUnoptimized: Bool = false

    static let blockKeys = ["model_wrapper", "dataset", "optimizers", "runtime"]
    static let knownKeys = ["strategy", "optimizable", "metric", "policy", "objectives", "constraints", "selection", "max_runs", "max_time",
                            "seed", "halving_rate", "output_tolerance", "remeasure_ties", "evaluate_unoptimized"]

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
            if v.boolValue == false {
                tolerance = [:]
            } else if let d = v.doubleValue, d > 0 {
                tolerance = tolerance.mapValues { _ in d }
            } else if let pairs = v.objectPairs, pairs.allSatisfy({ tolerance[$0.0] != nil && ($0.1.doubleValue ?? 0) > 0 }) {
                for (k, x) in pairs { tolerance[k] = x.doubleValue! }
            } else {
                problems.append(Problem("\"output_tolerance\" must be a positive number, an object of float32/float16/int8 tolerances, or false",
                                        path: "\(base).output_tolerance", fix: "e.g. 1e-3 or {\"float32\": 1e-3, \"int8\": 0.05}; false turns the output check off"))
            }
        }
        // Kenning re-measures nothing: its measurement preset keeps ties as they are unless remeasure_ties says otherwise.
        var rounds = doc["measurement"]?["preset"]?.stringValue == "kenning" ? 0 : 2
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
        var evaluateUnoptimized = false
        if let v = op["evaluate_unoptimized"] {
            if let b = v.boolValue { evaluateUnoptimized = b } else {
                problems.append(Problem("\"evaluate_unoptimized\" must be true or false", path: "\(base).evaluate_unoptimized", fix: "e.g. true"))
            }
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        var parsed = OptimizationParameters(strategy: StrategyKind(rawValue: strategy) ?? .grid, optimizable: optimizable, metric: metric, metricAsWritten: metricRaw ?? metric,
                                      policy: objectives.first.map { $0.minimize ? "min" : "max" } ?? policy, objectives: objectives,
                                      constraints: constraints, selection: selection, maxRuns: maxRuns, maxTime: maxTime, seed: seed,
                                      halvingRate: rate, outputTolerance: tolerance, remeasureRounds: rounds)
        parsed.evaluateUnoptimized = evaluateUnoptimized
        return parsed
    }
}
