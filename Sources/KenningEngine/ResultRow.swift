import Foundation
import KenningBlocks
import KenningCore

/// One line of the final results table.
struct ResultRow {
    var id: Int
    var what: String
    var metrics: [String: Double]
    var status: RunStatus

    static func table(_ rows: [ResultRow], bestID: Int?, metric: String) -> String {
        let header = ["", "id", "pipeline", "accuracy", "mean ms", "p99 ms", "cpu %", "mem %", "status"]
        var lines: [[String]] = [header]
        for r in rows {
            func f(_ key: String, _ scale: Double, _ digits: Int) -> String {
                r.metrics[key].map { String(format: "%.\(digits)f", $0 * scale) } ?? "-"
            }
            lines.append([r.id == bestID ? "*" : "", String(r.id), r.what, f("accuracy", 1, 4), f("inferencetime_mean", 1000, 4),
                          f("inferencetime_p99", 1000, 4), f("session_utilization_cpus_percent_avg_mean", 1, 1),
                          f("session_utilization_mem_percent_mean", 1, 1), r.status.rawValue])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        let text = lines.map { row in
            row.enumerated().map { c, cell in
                c == 2 || c == 8 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        return (text + ["(* = best by \(metric))"]).joined(separator: "\n")
    }
}
