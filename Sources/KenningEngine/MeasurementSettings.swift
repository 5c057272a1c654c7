import KenningCore

/// How inference is timed; recorded in every measurements file.
public struct MeasurementSettings: Sendable, Equatable {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let warmupRuns = ParameterKey<Int>("warmup_runs")
        static let minRuns = ParameterKey<Int>("min_runs")
        static let minTime = ParameterKey<Double>("min_time")
        static let maxTime = ParameterKey<Double>("max_time")
        static let evalFraction = ParameterKey<Double>("eval_fraction")
        static let preset = ParameterKey<String>("preset")
    }

    public static let specs: [ParameterSpec] = [
        ParameterSpec(Key.warmupRuns, .integer, default: 3, range: 0...100_000, help: "Inferences run first and kept out of the timing series"),
        ParameterSpec(Key.minRuns, .integer, default: 30, range: 1...10_000_000, help: "Timing continues until at least this many inferences"),
        ParameterSpec(Key.minTime, .number, default: 0.05, range: 0...86_400,
                      help: "…and at least this many seconds of wall-clock time since the first timed inference (MLPerf's min_duration)"),
        ParameterSpec(Key.maxTime, .number, default: 120.0, range: 0.001...86_400,
                      help: "Timing stops after this many seconds of wall-clock time even if min_runs is not met (the first pass over the test split always completes)"),
        ParameterSpec(Key.evalFraction, .number, default: 1.0, range: 0.0001...1,
                      help: "Fraction of the test split that is evaluated (quality metrics cover only that part; searches use less in early rounds)"),
        ParameterSpec(Key.preset, .choice(["default", "kenning"]), default: "default",
                      help: "kenning: time as Kenning does, one pass over the test split with the first inference included (warmup_runs 0, min_runs 1, min_time 0; fine-tune-optimizers re-measures no ties); keys given beside it still apply"),
    ]

    /// The settings a `measurement` object gives: its preset's values first, then its own keys.
    public static func resolve(_ json: JSONValue?) throws(KenningError) -> MeasurementSettings {
        var json = json ?? .object([])
        if json["preset"]?.stringValue == "kenning", case var .object(pairs) = json {
            for (key, value) in [("warmup_runs", JSONValue.int(0)), ("min_runs", .int(1)), ("min_time", .double(0))] where !pairs.contains(where: { $0.0 == key }) {
                pairs.append((key, value))
            }
            json = .object(pairs)
        }
        return MeasurementSettings(try ResolvedParameters.resolve(json, specs: specs, blockName: "measurement"))
    }

    public var warmupRuns: Int
    public var minRuns: Int
    public var minTime: Double
    public var maxTime: Double
    public var evalFraction: Double
    public var preset: String

    public init(_ p: ResolvedParameters) {
        warmupRuns = p[Key.warmupRuns]
        minRuns = p[Key.minRuns]
        minTime = p[Key.minTime]
        maxTime = p[Key.maxTime]
        evalFraction = p["eval_fraction"]?.doubleValue ?? 1.0
        preset = p["preset"]?.stringValue ?? "default"
    }

    public var json: JSONValue {
        .object([("warmup_runs", .int(warmupRuns)), ("min_runs", .int(minRuns)), ("min_time", .double(minTime)), ("max_time", .double(maxTime)),
                 ("eval_fraction", .double(evalFraction)), ("preset", .string(preset))])
    }
}
