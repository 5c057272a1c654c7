import Foundation
import KenningBlocks
import KenningCore

/// One line of the final results table.
struct ResultRow {
    var id: Int
    var what: String
    var metrics: [String: Double]
    var status: RunStatus

    /// Metrics shown in every table; `extra` ones (those a search's objectives and constraints name) get a column each.
    static let standard: Set<String> = ["accuracy", "inferencetime_mean", "inferencetime_p99", "session_utilization_cpus_percent_avg_mean",
                                        "session_utilization_mem_percent_mean"]

    /// With a `baseline` (the unoptimized model), it comes first and every run shows its change from it: the mean
    /// latency in percent and the accuracy in points.
    static func table(_ rows: [ResultRow], bestID: Int?, metric: String, extra: [String] = [], baseline: ResultRow? = nil) -> String {
        let added = extra.filter { !standard.contains($0) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let deltas = baseline == nil ? [] : ["Δ mean %", "Δ accuracy"]
        let header = ["", "id", "pipeline", "accuracy", "mean ms", "p99 ms", "cpu %", "mem %"] + added + deltas + ["status"]
        var lines: [[String]] = [header]
        for r in (baseline.map { [$0] } ?? []) + rows {
            func f(_ key: String, _ scale: Double, _ digits: Int) -> String {
                r.metrics[key].map { String(format: "%.\(digits)f", $0 * scale) } ?? "-"
            }
            func delta(_ key: String, percent: Bool) -> String {
                guard let b = baseline?.metrics[key], let v = r.metrics[key], r.id >= 0 else { return "-" }
                return percent ? (b > 0 ? String(format: "%+.1f", (v / b - 1) * 100) : "-") : String(format: "%+.4f", v - b)
            }
            lines.append([r.id == bestID ? "*" : "", r.id >= 0 ? String(r.id) : "u", r.what, f("accuracy", 1, 4), f("inferencetime_mean", 1000, 4),
                          f("inferencetime_p99", 1000, 4), f("session_utilization_cpus_percent_avg_mean", 1, 1),
                          f("session_utilization_mem_percent_mean", 1, 1)]
                         + added.map { key in r.metrics[key].map { String(format: "%.6g", $0) } ?? "-" }
                         + (baseline == nil ? [] : [delta("inferencetime_mean", percent: true), delta("accuracy", percent: false)])
                         + [r.status.rawValue])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        let text = lines.map { row in
            row.enumerated().map { c, cell in
                c == 2 || c == header.count - 1 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        return (text + ["(* = best by \(metric))"]).joined(separator: "\n")
    }
}
