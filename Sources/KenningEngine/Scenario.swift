import KenningCore

/// One block of a scenario: its registry entry, validated parameters, and where it was written.
public struct BlockConfig: Sendable {
    public let entry: BlockEntry
    public let parameters: ResolvedParameters
    public let jsonPath: String

    /// The block as Kenning serializes it: full dotted `type` and every parameter.
    public var json: JSONValue {
        .object([("type", .string(entry.description.dottedName)), ("parameters", parameters.json)])
    }

    /// Short human label: `NativeRuntime(num_threads=2)` with only non-default, non-path parameters.
    public var label: String {
        let interesting = parameters.values.filter { name, value in
            guard let spec = entry.description.parameters.first(where: { $0.name == name }) else { return false }
            return spec.type != .path && spec.defaultValue != value
        }
        let args = interesting.map { "\($0.0)=\($0.1.serialized(indent: nil).replacingOccurrences(of: "\"", with: ""))" }
        return entry.description.name + (args.isEmpty ? "" : "(" + args.joined(separator: ", ") + ")")
    }

    public static func parse(_ value: JSONValue, kind: BlockKind, path: String, registry: BlockRegistry) throws(KenningError) -> BlockConfig {
        guard case let .object(pairs) = value else {
            throw .badInput("\(kind.displayName) block must be an object {\"type\": …, \"parameters\": {…}}, got \(value.typeName)", path: path,
                            fix: "write it as {\"type\": \"Name\", \"parameters\": {…}}")
        }
        var problems: [Problem] = []
        for (key, _) in pairs where key != "type" && key != "parameters" {
            problems.append(Problem("unknown key \"\(key)\" in a \(kind.displayName) block", path: "\(path).\(key)",
                                    fix: "a block has only \"type\" and \"parameters\""))
        }
        guard let type = value["type"]?.stringValue else {
            problems.append(Problem("\(kind.displayName) block has no \"type\"", path: path,
                                    fix: "add \"type\": one of `kenning list \(kind.rawValue)`"))
            throw KenningError(.badInput, problems)
        }
        let entry: BlockEntry
        do {
            entry = try registry.resolve(type, kind: kind)
        } catch {
            throw KenningError(.badInput, problems + error.under(path).problems)
        }
        let params: ResolvedParameters
        do {
            params = try ResolvedParameters.resolve(value["parameters"], specs: entry.description.parameters, blockName: entry.description.name)
        } catch {
            throw KenningError(.badInput, problems + error.under(path).problems)
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        return BlockConfig(entry: entry, parameters: params, jsonPath: path)
    }
}

/// How inference is timed; recorded in every measurements file.
public struct MeasurementSettings: Sendable, Equatable {
    public static let specs: [ParameterSpec] = [
        ParameterSpec("warmup_runs", .integer, default: 10, range: 0...100_000, help: "Inferences run first and kept out of the timing series"),
        ParameterSpec("min_runs", .integer, default: 200, range: 1...10_000_000, help: "Timing continues until at least this many inferences"),
        ParameterSpec("min_time", .number, default: 1.0, range: 0...86_400, help: "…and at least this many seconds of timed inference"),
        ParameterSpec("max_time", .number, default: 120.0, range: 0.001...86_400, help: "Timing stops after this many seconds even if min_runs is not met"),
        ParameterSpec("eval_fraction", .number, default: 1.0, range: 0.0001...1,
                      help: "Fraction of the test split that is evaluated (quality metrics cover only that part; searches use less in early rounds)"),
    ]

    public var warmupRuns: Int
    public var minRuns: Int
    public var minTime: Double
    public var maxTime: Double
    public var evalFraction: Double

    public init(_ p: ResolvedParameters) {
        warmupRuns = p.int("warmup_runs")
        minRuns = p.int("min_runs")
        minTime = p.double("min_time")
        maxTime = p.double("max_time")
        evalFraction = p["eval_fraction"]?.doubleValue ?? 1.0
    }

    public var json: JSONValue {
        .object([("warmup_runs", .int(warmupRuns)), ("min_runs", .int(minRuns)), ("min_time", .double(minTime)), ("max_time", .double(maxTime)),
                 ("eval_fraction", .double(evalFraction))])
    }
}

/// A single pipeline: model wrapper, dataset, optimizer chain, runtime.
public struct Scenario: Sendable {
    public var modelWrapper: BlockConfig
    public var dataset: BlockConfig?
    public var optimizers: [BlockConfig]
    public var runtime: BlockConfig?
    public var measurement: MeasurementSettings
    public var measurementJSON: JSONValue?

    /// Top-level keys a scenario may have; Kenning's keys we do not run yet are rejected with a clear message.
    public static let knownKeys = ["model_wrapper", "dataset", "optimizers", "runtime", "measurement", "optimization_parameters"]
    public static let unsupportedKeys = ["protocol", "platform", "runtime_builder", "inference_loop", "report", "dataconverter", "automl"]

    public static func parse(_ doc: JSONValue, registry: BlockRegistry) throws(KenningError) -> Scenario {
        guard case let .object(pairs) = doc else {
            throw .badInput("a scenario must be a JSON/YAML object, got \(doc.typeName)", path: "$", fix: "write {\"model_wrapper\": …, \"runtime\": …}")
        }
        var problems: [Problem] = []
        for (key, _) in pairs {
            if unsupportedKeys.contains(key) {
                problems.append(Problem("the \"\(key)\" block is not supported yet", path: "$.\(key)",
                                        fix: "remove it; swift-kenning runs pipelines on this machine only for now"))
            } else if !knownKeys.contains(key) {
                let near = nearestNames(to: key, in: knownKeys + unsupportedKeys).first
                problems.append(Problem("unknown top-level key \"\(key)\"", path: "$.\(key)",
                                        fix: near.map { "did you mean \"\($0)\"?" } ?? "allowed keys: \(knownKeys.joined(separator: ", "))"))
            }
        }
        func block(_ key: String, _ kind: BlockKind) -> BlockConfig? {
            guard let v = doc[key], v != .null else { return nil }
            do {
                return try BlockConfig.parse(v, kind: kind, path: "$.\(key)", registry: registry)
            } catch {
                problems += error.problems
                return nil
            }
        }
        let wrapper = block("model_wrapper", .modelWrapper)
        if doc["model_wrapper"] == nil {
            problems.append(Problem("the scenario has no \"model_wrapper\"", path: "$", fix: "add a model_wrapper block with the model's path"))
        }
        let dataset = block("dataset", .dataset)
        let runtime = block("runtime", .runtime)
        var optimizers: [BlockConfig] = []
        if let opts = doc["optimizers"], opts != .null {
            if let list = opts.arrayValue {
                for (i, o) in list.enumerated() {
                    do {
                        optimizers.append(try BlockConfig.parse(o, kind: .optimizer, path: "$.optimizers[\(i)]", registry: registry))
                    } catch {
                        problems += error.problems
                    }
                }
            } else {
                problems.append(Problem("\"optimizers\" must be a list of optimizer blocks, got \(opts.typeName)", path: "$.optimizers",
                                        fix: "write \"optimizers\": [{\"type\": …, \"parameters\": {…}}]"))
            }
        }
        var settings = MeasurementSettings(ResolvedParameters(values: MeasurementSettings.specs.map { ($0.name, $0.defaultValue!) }))
        if let m = doc["measurement"] {
            do {
                settings = MeasurementSettings(try ResolvedParameters.resolve(m, specs: MeasurementSettings.specs, blockName: "measurement"))
            } catch {
                problems += error.problems.map { p in
                    var p = p
                    p.path = p.path.map { $0.replacingOccurrences(of: "$.parameters", with: "$.measurement") }
                    return p
                }
            }
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        return Scenario(modelWrapper: wrapper!, dataset: dataset, optimizers: optimizers, runtime: runtime, measurement: settings,
                        measurementJSON: doc["measurement"])
    }

    /// The scenario as Kenning's `build_cfg`: every block with full type and every parameter.
    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [("model_wrapper", modelWrapper.json)]
        if let dataset { pairs.append(("dataset", dataset.json)) }
        if !optimizers.isEmpty { pairs.append(("optimizers", .array(optimizers.map(\.json)))) }
        if let runtime { pairs.append(("runtime", runtime.json)) }
        pairs.append(("measurement", measurement.json))
        return .object(pairs)
    }
}
