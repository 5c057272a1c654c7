import KenningCore

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
