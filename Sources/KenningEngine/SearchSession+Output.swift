import Foundation
import KenningBlocks
import KenningCore
import KenningSearch

/// Output: the result files, the Pareto file, the summary and the exit status.
extension SearchSession {

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
            if let baseline { pairs.append(("unoptimized", baseline.json)) }
            let perTarget = bestPerTarget()
            if !perTarget.isEmpty {
                pairs.append(("best_per_target", .object(perTarget.map { name, e in
                    (name, .object([("id", .int(e.id)), ("pipeline", e.pipeline), ("metrics", .object(e.metrics.map { ($0.0, .double($0.1)) })),
                                    ("target", e.target?["identity"] ?? .null)]))
                })))
            }
            try Files.writeJSON(.object(pairs), to: runner.options.outputPath)
        }
    }

    mutating func finish() throws(KenningError) -> Int32 {
        let rows = evaluations.sorted { $0.id < $1.id }.map { e in
            ResultRow(id: e.id, what: runner.describe(e.pipeline), metrics: e.metricMap, status: e.status)
        }
        let best = currentBest()
        let base = baseline.map { ResultRow(id: -1, what: "unoptimized: " + runner.describe($0.pipeline), metrics: $0.metricMap, status: $0.status) }
        print(ResultRow.table(rows, bestID: best?.id, metric: op.metric, extra: op.objectives.map(\.metric) + op.constraints.map(\.metric), baseline: base))
        let wall = monotonicSeconds() - start
        if op.objectives.count > 1 || !op.constraints.isEmpty {
            try writeParetoFile(best: best)
        }
        try Files.writeJSON(.object([
            ("strategy", .string(op.strategy.rawValue)), ("runs", .int(evaluations.count)), ("wall_s", .double(wall)), ("measured_s", .double(measuredSeconds)),
            ("overhead_fraction", .double(wall > 0 ? (wall - measuredSeconds) / wall : 0)), ("compiled_steps", .int(stats.compiled)),
            ("compile_s", .double(stats.compileSeconds)), ("cache_hits", .int(stats.cacheHits)), ("cache_saved_s", .double(stats.savedSeconds)),
            ("best", currentBest().map { .int($0.id) } ?? .null), ("ties", JSONValue(ties)),
            ("unoptimized", baseline.map(\.json) ?? .null),
            ("environment", Environment.fingerprint()),
            // What the report needs to explain the search: how it was asked for and what it optimized.
            ("command", JSONValue.array(CommandLine.arguments.enumerated().map { .string($0 == 0 ? "kenning" : $1) })),
            ("config_path", .string(runner.options.configPath)), ("metric", .string(op.metric)),
            ("objectives", .array(op.objectives.map { .object([("metric", .string($0.metric)), ("policy", .string($0.minimize ? "min" : "max"))]) })),
            ("constraints", .array(op.constraints.map { .string($0.description) })),
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
        for (name, e) in bestPerTarget() {
            runner.say("best on \(name): #\(e.id) \(runner.describe(e.pipeline)) with \(op.metric) = \(String(format: "%.6g", e.metricMap[op.metric] ?? .nan))")
        }
        runner.say("best pipeline: #\(best.id) \(runner.describe(best.pipeline)) with \(op.metric) = \(String(format: "%.6g", best.metricMap[op.metric] ?? .nan))"
            + (ties.isEmpty ? "" : "; statistically tied with #\(ties.map(String.init).joined(separator: ", #"))"))
        runner.say("wrote \(runner.options.outputPath), \(runner.path("_all_results.json")), \(runner.path("_<id>.json")) and the journal \(journal.path)")
        return 0
    }

    /// The pick on each target of a search over targets, in the order the targets first appear (empty without targets).
    func bestPerTarget() -> [(String, Evaluation)] {
        var names: [String] = []
        for e in evaluations.sorted(by: { $0.id < $1.id }) {
            if let n = e.pipeline["target_name"]?.stringValue, !names.contains(n) { names.append(n) }
        }
        return names.compactMap { name in
            select(evaluations.filter { feasible($0) && $0.pipeline["target_name"]?.stringValue == name && (finalists?.contains($0.id) ?? true) })
                .map { (name, $0) }
        }
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
