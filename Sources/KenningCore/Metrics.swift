import Foundation

/// Metric computation from a measurements document (Kenning's `compute_*_metrics`), with the seed's key names.
public enum Metrics {
    /// Keys every successful classification run produces, in the seed's order plus the percentiles.
    public static let seedKeys = [
        "inferencetime_mean", "inferencetime_std", "inferencetime_median",
        "session_utilization_mem_percent_mean", "session_utilization_mem_percent_std", "session_utilization_mem_percent_median",
        "session_utilization_cpus_percent_avg_mean", "session_utilization_cpus_percent_avg_std",
        "session_utilization_cpus_percent_avg_median",
        "accuracy", "mean_precision", "mean_sensitivity", "g_mean", "top_5_accuracy",
    ]

    public static let extraKeys = ["inferencetime_min", "inferencetime_max", "inferencetime_p90", "inferencetime_p99",
                                   "compiled_model_size", "model_load_time", "peak_rss_bytes"]

    /// Fidelity to the unoptimized model (``OutputFidelity``), where a run was given its outputs (fine-tune-optimizers).
    public static let fidelityKeys = ["output_max_abs_diff", "output_max_rel_diff", "output_cosine_min", "output_argmax_agreement"]

    /// COCO's box mAP (AP@[.5:.95], AP50, AP75), where a detector ran on a detection dataset.
    public static let detectionKeys = ["map", "map50", "map75"]

    public static var allKeys: [String] { seedKeys + extraKeys + fidelityKeys + detectionKeys }

    /// Kenning's newer metric spellings, accepted in `metric`.
    public static let aliases: [String: String] = [
        "Accuracy": "accuracy", "Mean precision": "mean_precision", "Mean sensitivity": "mean_sensitivity",
        "G-mean": "g_mean", "Top-5 accuracy": "top_5_accuracy",
    ]

    /// Maps a user's metric name to ours, or nil when no run can produce it.
    public static func canonicalName(_ name: String) -> String? {
        if allKeys.contains(name) { return name }
        return aliases[name]
    }

    public static func compute(from m: JSONValue) -> [(String, Double)] {
        var out: [(String, Double)] = []
        let steps = m["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let sorted = steps.sorted()
        if !steps.isEmpty {
            out += [
                ("inferencetime_mean", Statistics.mean(steps)), ("inferencetime_std", Statistics.std(steps)),
                ("inferencetime_median", Statistics.percentile(sorted: sorted, 50)),
            ]
        }
        if let mem = m["session_utilization_mem_percent"]?.arrayValue?.compactMap(\.doubleValue), !mem.isEmpty {
            out += [
                ("session_utilization_mem_percent_mean", Statistics.mean(mem)),
                ("session_utilization_mem_percent_std", Statistics.std(mem)),
                ("session_utilization_mem_percent_median", Statistics.median(mem)),
            ]
        }
        if let cpus = m["session_utilization_cpus_percent"]?.arrayValue, !cpus.isEmpty {
            let avg = cpus.compactMap { sample -> Double? in
                guard let cores = sample.arrayValue?.compactMap(\.doubleValue), !cores.isEmpty else { return nil }
                return Statistics.mean(cores)
            }
            if !avg.isEmpty {
                out += [
                    ("session_utilization_cpus_percent_avg_mean", Statistics.mean(avg)),
                    ("session_utilization_cpus_percent_avg_std", Statistics.std(avg)),
                    ("session_utilization_cpus_percent_avg_median", Statistics.median(avg)),
                ]
            }
        }
        if let rows = m["eval_confusion_matrix"]?.arrayValue {
            let matrix = rows.map { $0.arrayValue?.map { $0.doubleValue ?? 0 } ?? [] }
            out += classification(confusion: matrix)
        } else if let sparse = m["eval_confusion_sparse"], let c = sparse["classes"]?.intValue, let entries = sparse["entries"]?.arrayValue {
            out += classification(classes: c, cells: entries.compactMap { e in
                guard let v = e.arrayValue?.compactMap(\.intValue), v.count == 3, (0..<c).contains(v[0]), (0..<c).contains(v[1]) else { return nil }
                return (v[0], v[1], Double(v[2]))
            })
        }
        if m["eval_confusion_matrix"] != nil || m["eval_confusion_sparse"] != nil {
            if let top5 = m["top_5_count"]?.doubleValue, let total = m["total"]?.doubleValue, total > 0 {
                out.append(("top_5_accuracy", top5 / total))
            }
        }
        if !steps.isEmpty {
            out += [
                ("inferencetime_min", sorted.first!), ("inferencetime_max", sorted.last!),
                ("inferencetime_p90", Statistics.percentile(sorted: sorted, 90)), ("inferencetime_p99", Statistics.percentile(sorted: sorted, 99)),
            ]
        }
        // The deployment's footprint: model file bytes, seconds to load it, peak resident bytes of the process running it.
        for (metric, key) in [("compiled_model_size", "compiled_model_size"), ("model_load_time", "model_load_seconds"),
                              ("peak_rss_bytes", "model_process_peak_rss_bytes")] {
            if let v = m[key]?.doubleValue { out.append((metric, v)) }
        }
        if let fidelity = OutputFidelity(json: m["fidelity"]) { out += fidelity.metrics }
        for key in detectionKeys { if let v = m["detection"]?[key]?.doubleValue, v >= 0 { out.append((key, v)) } }
        return out
    }

    /// Accuracy, mean precision, mean sensitivity and G-mean of a confusion matrix (rows = truth, ε = 1e-8).
    public static func classification(confusion m: [[Double]]) -> [(String, Double)] {
        var cells: [(Int, Int, Double)] = []
        for (t, row) in m.enumerated() { for (p, n) in row.enumerated() where n != 0 { cells.append((t, p, n)) } }
        return classification(classes: m.count, cells: cells)
    }

    /// The same from the matrix's non-zero cells (truth, prediction, count).
    public static func classification(classes c: Int, cells: [(Int, Int, Double)]) -> [(String, Double)] {
        guard c > 0 else { return [] }
        var diag = [Double](repeating: 0, count: c), rowSums = diag, colSums = diag
        var total = 0.0
        for (t, p, n) in cells {
            total += n
            rowSums[t] += n
            colSums[p] += n
            if t == p { diag[t] += n }
        }
        let eps = 1e-8
        let precision = (0..<c).map { diag[$0] / (colSums[$0] + eps) }
        let recall = (0..<c).map { diag[$0] / (rowSums[$0] + eps) }
        let gmean = recall.contains(0) ? 0 : pow(recall.reduce(1, *), 1 / Double(c))
        return [
            ("accuracy", total > 0 ? diag.reduce(0, +) / total : 0),
            ("mean_precision", Statistics.mean(precision)),
            ("mean_sensitivity", Statistics.mean(recall)),
            ("g_mean", gmean),
        ]
    }
}
