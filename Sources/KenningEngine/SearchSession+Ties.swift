import Foundation
import KenningBlocks
import KenningCore
import KenningSearch

/// Ties: runs whose latency intervals overlap the best one's are measured again, interleaved, and pooled.
extension SearchSession {
    /// At most this many runs are re-measured: the pick and its closest rivals.
    static let maxFinalists = 3
    /// Re-measurement stops once it has taken this share of the search's measurement time.
    static let maxTieShare = 0.2

    /// Runs whose latency interval overlaps the pick's are measured again, interleaved, and the pick is made on the pooled samples.
    mutating func resolveTies() throws(KenningError) {
        guard let primary = op.objectives.first, primary.metric.hasPrefix("inferencetime"), op.remeasureRounds > 0 else { return }
        let statistic = primary.metric == "inferencetime_median" ? "median" : "mean"
        func interval(_ e: Evaluation) -> (Double, Double)? {
            let m = e.metricMap
            guard let lo = m["inferencetime_\(statistic)_ci_low"], let hi = m["inferencetime_\(statistic)_ci_high"] else { return nil }
            return (lo, hi)
        }
        guard let best = currentBest(), let bi = interval(best) else { return }
        let overlapping = evaluations.filter { e in
            e.id != best.id && feasible(e) && interval(e).map { $0.0 <= bi.1 && bi.0 <= $0.1 } == true
        }
        guard !overlapping.isEmpty else { return }
        // The closest rivals first (by their own value of the objective).
        let value = { (e: Evaluation) in e.metricMap[primary.metric] ?? .infinity }
        let tied = Array(overlapping.sorted { abs(value($0) - value(best)) < abs(value($1) - value(best)) }.prefix(Self.maxFinalists - 1))
        let group = [best] + tied
        let budget = Self.maxTieShare * measuredSeconds
        runner.say("\(overlapping.count) run(s) tie with #\(best.id) (overlapping 95% intervals of the \(statistic)): re-measuring #\(group.map { String($0.id) }.joined(separator: ", #")) interleaved, up to \(op.remeasureRounds) round(s) within \(String(format: "%.2f", budget)) s")
        var spent = 0.0
        var pooled: [Int: [Double]] = [:]
        for e in group {
            if let text = try? String(contentsOfFile: runner.path("_\(e.id).json"), encoding: .utf8), let m = try? JSONValue.parse(text) {
                pooled[e.id] = m["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            }
        }
        rounds: for round in 0..<op.remeasureRounds {
            // A round is the group's windows again: start one only if it fits what is left of the budget.
            let roundCost = group.reduce(0.0) { $0 + $1.window }
            if spent + roundCost > budget { break rounds }
            for e in (round % 2 == 0 ? group : group.reversed()) {
                if outOfTime { break rounds }
                _ = materialize(e.pipeline)
                let again = measure(e.budget.map { e.pipeline.setting("measurement", to: $0) } ?? e.pipeline, into: e, suffix: "_remeasure\(round)")
                measuredSeconds += again.window
                spent += again.window
                if again.status == .ok,
                   let text = try? String(contentsOfFile: (runDir as NSString).appendingPathComponent("measurements_\(e.id)_remeasure\(round).json"), encoding: .utf8),
                   let m = try? JSONValue.parse(text)
                {
                    pooled[e.id, default: []] += m["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue) ?? []
                }
            }
        }
        for (id, steps) in pooled where steps.count > 1 {
            guard let i = evaluations.firstIndex(where: { $0.id == id }) else { continue }
            let (mean, median) = Bootstrap.latencyIntervals(steps)
            let updated: [String: Double] = [
                "inferencetime_mean": Statistics.mean(steps), "inferencetime_std": Statistics.std(steps), "inferencetime_median": Statistics.median(steps),
                "inferencetime_min": steps.min()!, "inferencetime_max": steps.max()!, "inferencetime_p90": Statistics.percentile(steps, 90),
                "inferencetime_p99": Statistics.percentile(steps, 99), "inferencetime_mean_ci_low": mean.low, "inferencetime_mean_ci_high": mean.high,
                "inferencetime_median_ci_low": median.low, "inferencetime_median_ci_high": median.high,
            ]
            evaluations[i].metrics = evaluations[i].metrics.map { (k, v) in (k, updated[k] ?? v) }
            evaluations[i].metrics.append(("inferencetime_pooled_samples", Double(steps.count)))
        }
        if let newBest = currentBest(), let ni = interval(newBest) {
            ties = evaluations.filter { e in e.id != newBest.id && feasible(e) && interval(e).map { $0.0 <= ni.1 && ni.0 <= $0.1 } == true }.map(\.id)
        }
        try writeResults()
    }
}
