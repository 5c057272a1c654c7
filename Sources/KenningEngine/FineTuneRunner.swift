import Foundation
import KenningBlocks
import KenningCore

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
        let targetKeys = ["protocol", "platform", "targets"]
        for (key, _) in pairs where !OptimizationParameters.blockKeys.contains(key) && key != "optimization_parameters" && key != "measurement"
            && !targetKeys.contains(key) {
            if Scenario.unsupportedKeys.contains(key) {
                problems.append(Problem("the \"\(key)\" block is not supported yet", path: "$.\(key)", fix: "remove it"))
            } else {
                problems.append(Problem("unknown top-level key \"\(key)\"", path: "$.\(key)",
                                        fix: nearestNames(to: key, in: OptimizationParameters.blockKeys + targetKeys + ["optimization_parameters", "measurement"]).first
                                            .map { "did you mean \"\($0)\"?" } ?? "remove it"))
            }
        }
        let targets = SearchTarget.parse(doc, registry: registry, problems: &problems)
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
                            let location = Problem("an optimizer with location \"target\" needs a target, and the config names none",
                                                   path: "$.\(key)[\(i)].parameters.location",
                                                   fix: "add a \"protocol\" block or a \"targets\" list reaching a `kenning server`, or set location to \"host\"")
                            if targets == nil, SearchSession.runsOnTarget(block), !problems.contains(location) { problems.append(location) }
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
                // A fixed block is checked here too, so its problems are reported with the optimizable blocks' ones.
                let blocks: [(JSONValue, String)] = value.arrayValue.map { list in list.enumerated().map { ($1, "$.\(key)[\($0)]") } }
                    ?? [(value, "$.\(key)")]
                for (block, path) in blocks {
                    do {
                        _ = try BlockConfig.parse(block, kind: kind(of: key), path: path, registry: registry)
                    } catch {
                        for p in error.problems where !problems.contains(p) { problems.append(p) }
                    }
                }
                lists.append((key, [value]))
            }
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        var candidates: [Candidate] = []
        let keys = lists.map(\.0)
        for combo in GridSearch.product(lists.map(\.1)) {
            var pairs = Array(zip(keys, combo))
            if let m = doc["measurement"] { pairs.append(("measurement", m)) }
            let pipeline = JSONValue.object(pairs)
            // Each candidate on each target that takes its runtime, the targets varying fastest.
            for target in targets ?? [] where target.takes(runtime: pipeline["runtime"]) {
                candidates.append(Candidate(pipeline: target.apply(to: pipeline), id: nil, exclusion: nil))
            }
            if targets == nil { candidates.append(Candidate(pipeline: pipeline, id: nil, exclusion: nil)) }
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
            + (pipeline["target_name"]?.stringValue.map { " @ \($0)" } ?? "")
    }
}
