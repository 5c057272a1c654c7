import KenningCore

/// The JSON Schema (draft 2020-12) of scenarios and fine-tune configs, built from the blocks' parameter declarations
/// (`kenning info --json-schema`), for editors and CI linters. A block key takes one block or, in a fine-tune
/// config, a list of candidate blocks whose parameters are lists of values; `optimizers` is always a list.
public enum ScenarioSchema {
    public static func document(registry: BlockRegistry) -> JSONValue {
        var defs: [(String, JSONValue)] = []
        func refs(_ kind: BlockKind) -> JSONValue {
            let entries = registry.entries(of: kind)
            for e in entries { defs.append((e.description.name, e.description.jsonSchema(orLists: true))) }
            return .object([("anyOf", .array(entries.map { .object([("$ref", .string("#/$defs/\($0.description.name)"))]) }))])
        }
        func oneOrList(_ block: JSONValue) -> JSONValue {
            .object([("anyOf", [block, .object([("type", "array"), ("items", block), ("minItems", 1)])])])
        }
        let wrapper = refs(.modelWrapper), dataset = refs(.dataset), optimizer = refs(.optimizer), runtime = refs(.runtime)
        let measurement = JSONValue.object([
            ("type", "object"),
            ("description", "Measurement settings of every run (swift-kenning)"),
            ("properties", .object(MeasurementSettings.specs.map { ($0.name, $0.jsonSchema(orList: false)) })),
            ("additionalProperties", false),
        ])
        return .object([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("$id", "https://swift-kenning.local/schema/scenario.json"),
            ("title", "swift-kenning scenario or fine-tune-optimizers config"),
            ("type", "object"),
            ("properties", .object([
                ("model_wrapper", oneOrList(wrapper)),
                ("dataset", oneOrList(dataset)),
                ("optimizers", .object([("type", "array"), ("items", optimizer)])),
                ("runtime", oneOrList(runtime)),
                ("measurement", measurement),
                ("optimization_parameters", optimizationParameters),
            ])),
            ("required", ["model_wrapper"]),
            ("additionalProperties", false),
            ("$defs", .object(defs)),
        ])
    }

    static var optimizationParameters: JSONValue {
        func enumOf(_ values: [String], _ description: String) -> JSONValue {
            .object([("enum", .array(values.map { .string($0) })), ("description", .string(description))])
        }
        func typed(_ type: String, _ description: String, _ extra: [(String, JSONValue)] = []) -> JSONValue {
            .object([("type", .string(type)), ("description", .string(description))] + extra)
        }
        let policy = enumOf(["min", "max"], "Minimize or maximize the metric")
        let objective = JSONValue.object([
            ("type", "object"),
            ("properties", .object([("metric", typed("string", "A measured metric")), ("policy", policy)])),
            ("required", ["metric"]),
            ("additionalProperties", false),
        ])
        let properties: [(String, JSONValue)] = [
            ("strategy", enumOf(OptimizationParameters.strategies, "How candidates are chosen")),
            ("optimizable", .object([("type", "array"), ("items", enumOf(OptimizationParameters.blockKeys, "A block key")),
                                     ("description", "The block keys whose lists are searched")])),
            ("metric", typed("string", "The metric to optimize (Kenning's keys and spellings)")),
            ("policy", policy),
            ("objectives", .object([("type", "array"), ("items", objective), ("description", "Several objectives (Pareto front)")])),
            ("constraints", .object([("type", "array"), ("items", typed("string", "e.g. accuracy >= 0.97")),
                                     ("description", "Feasibility rules")])),
            ("selection", enumOf(OptimizationParameters.selections, "How the pick is made on the front")),
            ("max_runs", typed("integer", "Budget in runs", [("minimum", 1)])),
            ("max_time", typed("number", "Budget in seconds", [("exclusiveMinimum", 0)])),
            ("seed", typed("integer", "Seed of the random choices", [("minimum", 0)])),
            ("halving_rate", typed("integer", "Successive halving's η", [("minimum", 2)])),
            ("output_tolerance", .object([("description", "Largest output difference from the unoptimized model, per precision"),
                                          ("anyOf", [.object([("type", "number"), ("exclusiveMinimum", 0)]),
                                                     .object([("type", "object"),
                                                              ("properties", .object(["float32", "float16", "int8"].map {
                                                                  ($0, .object([("type", "number"), ("exclusiveMinimum", 0)]))
                                                              })),
                                                              ("additionalProperties", false)])])])),
            ("remeasure_ties", .object([("description", "Rounds of interleaved re-measurement of tied runs"),
                                        ("anyOf", [.object([("type", "boolean")]), .object([("type", "integer"), ("minimum", 0)])])])),
            ("evaluate_unoptimized", typed("boolean", "Also measure the model wrapper's own model once, the baseline of every run's deltas", [])),
        ]
        return .object([("type", "object"), ("properties", .object(properties)), ("additionalProperties", false)])
    }
}
