import Foundation
import KenningBlocks
import KenningCore

/// One measured (or failed) evaluation of a pipeline.
struct Evaluation {
    var id: Int
    var pipeline: JSONValue
    var status: RunStatus
    var reason: String?
    var metrics: [(String, Double)] = []
    var budget: JSONValue?
    var window: Double = 0
    var wall: Double = 0
    var cacheHits = 0
    var fromJournal = false
    /// The target that measured the run: its name in the config and what it reported about itself.
    var target: JSONValue?

    var metricMap: [String: Double] { Dictionary(metrics, uniquingKeysWith: { a, _ in a }) }

    var json: JSONValue {
        var pairs: [(String, JSONValue)] = [("id", .int(id)), ("pipeline", pipeline), ("status", .string(status.rawValue))]
        if let reason { pairs.append(("reason", .string(reason))) }
        if !metrics.isEmpty { pairs.append(("metrics", .object(metrics.map { ($0.0, .double($0.1)) }))) }
        if let budget { pairs.append(("measurement", budget)) }
        pairs.append(("measurement_window", .double(window)))
        pairs.append(("wall_time", .double(wall)))
        pairs.append(("cache_hits", .int(cacheHits)))
        if let target { pairs.append(("target", target)) }
        return .object(pairs)
    }

    init(id: Int, pipeline: JSONValue, status: RunStatus, reason: String? = nil) {
        self.id = id
        self.pipeline = pipeline
        self.status = status
        self.reason = reason
    }

    init?(journal r: JSONValue) {
        guard let id = r["id"]?.intValue, let pipeline = r["pipeline"], let status = r["status"]?.stringValue else { return nil }
        self.init(id: id, pipeline: pipeline, status: RunStatus(recorded: status), reason: r["reason"]?.stringValue)
        metrics = r["metrics"]?.objectPairs?.compactMap { k, v in v.doubleValue.map { (k, $0) } } ?? []
        budget = r["measurement"]
        window = r["measurement_window"]?.doubleValue ?? 0
        wall = r["wall_time"]?.doubleValue ?? 0
        cacheHits = r["cache_hits"]?.intValue ?? 0
        target = r["target"]
        fromJournal = true
    }
}
