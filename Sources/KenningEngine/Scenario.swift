import KenningCore

/// A single pipeline: model wrapper, dataset, optimizer chain, runtime.
public struct Scenario: Sendable {
    public var modelWrapper: BlockConfig
    public var dataset: BlockConfig?
    public var optimizers: [BlockConfig]
    public var runtime: BlockConfig?
    public var measurement: MeasurementSettings
    public var measurementJSON: JSONValue?
    /// Where the runtime runs when it is not this machine (Kenning's `protocol` block) and what that target is.
    public var protocolBlock: BlockConfig?
    public var platform: BlockConfig?
    /// The target's name in a search over several targets.
    public var targetName: String?

    /// Top-level keys a scenario may have; Kenning's keys we do not run yet are rejected with a clear message.
    public static let knownKeys = ["model_wrapper", "dataset", "optimizers", "runtime", "protocol", "platform", "target_name", "measurement",
                                   "optimization_parameters"]
    public static let unsupportedKeys = ["runtime_builder", "inference_loop", "report", "dataconverter", "automl"]

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
        let protocolBlock = block("protocol", .protocol)
        let platform = block("platform", .platform)
        var targetName: String?
        if let t = doc["target_name"], t != .null {
            if let s = t.stringValue { targetName = s } else {
                problems.append(Problem("\"target_name\" must be a string, got \(t.typeName)", path: "$.target_name", fix: "write \"target_name\": \"board-a\""))
            }
        }
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
                settings = try MeasurementSettings.resolve(m)
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
                        measurementJSON: doc["measurement"], protocolBlock: protocolBlock, platform: platform, targetName: targetName)
    }

    /// The scenario as Kenning's `build_cfg`: every block with full type and every parameter.
    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [("model_wrapper", modelWrapper.json)]
        if let dataset { pairs.append(("dataset", dataset.json)) }
        if !optimizers.isEmpty { pairs.append(("optimizers", .array(optimizers.map(\.json)))) }
        if let runtime { pairs.append(("runtime", runtime.json)) }
        if let protocolBlock { pairs.append(("protocol", protocolBlock.json)) }
        if let platform { pairs.append(("platform", platform.json)) }
        if let targetName { pairs.append(("target_name", .string(targetName))) }
        pairs.append(("measurement", measurement.json))
        return .object(pairs)
    }
}
