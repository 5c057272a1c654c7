import Foundation
import KenningCore

/// Kenning's comparison of several measurements files: latency series overlaid, their distributions, mean resource
/// use, the quality metric against latency with model size as the bubble, and a metrics table.
enum ComparisonSections {
    static func sections(_ runs: [RunMeasurements], types: Set<String>, qualityMetric: String) -> [ReportSection] {
        var out: [ReportSection] = []
        let timed = runs.filter { !$0.steps.isEmpty }
        if types.contains("performance"), timed.count > 1 {
            var blocks: [ReportBlock] = []
            blocks.append(.figure(ReportFigure(id: "comparison-latency-series", caption: "Each file's latency over its run, overlaid",
                                               svg: LinePlot(title: "Latency over time", xLabel: "time since the first inference (s)", yLabel: "latency (ms)",
                                                             series: timed.map { .init(label: $0.name, points: zip($0.stepTimes, $0.steps).map { ($0, $1 * 1000) }) },
                                                             yLog: true).svg())))
            blocks.append(.figure(ReportFigure(id: "comparison-latency-violin", caption: "Latency distributions side by side (violins: how often each latency occurs)",
                                               svg: ViolinPlot(title: "Latency distributions", valueLabel: "latency (ms)",
                                                               rows: timed.map { .init(label: $0.name, sorted: $0.steps.map { $0 * 1000 }.sorted()) }).svg())))
            blocks.append(.figure(ReportFigure(id: "comparison-latency-spread", caption: "The same as boxes: p50, p90, p99 and the CI of the median",
                                               svg: BoxPlot(title: "Latency percentiles", valueLabel: "latency (ms)", rows: timed.map { r in
                                                   .init(label: r.name, sorted: r.steps.map { $0 * 1000 }.sorted(),
                                                         ci: r.metrics["inferencetime_median_ci_low"].flatMap { lo in r.metrics["inferencetime_median_ci_high"].map { (lo * 1000, $0 * 1000) } })
                                               }).svg())))
            let resources = [("mean CPU (%)", "session_utilization_cpus_percent_avg_mean"), ("mean memory (%)", "session_utilization_mem_percent_mean")]
            if runs.contains(where: { r in resources.contains { r.metrics[$0.1] != nil } }) {
                blocks.append(.figure(ReportFigure(id: "comparison-resources", caption: "Mean resource use per file",
                                                   svg: BarPlot(title: "Resource use", valueLabel: "percent", categories: resources.map(\.0),
                                                                groups: runs.map { r in .init(label: r.name, values: resources.map { r.metrics[$0.1] }) }).svg())))
            }
            out.append(ReportSection(id: "comparison-performance", title: "Performance comparison", blocks: blocks))
        }
        let quality = runs.filter { $0.metrics[qualityMetric] != nil && $0.metrics["inferencetime_mean"] != nil }
        if quality.count > 1 {
            let plot = ScatterPlot(title: "\(label(qualityMetric)) against latency", xLabel: "mean latency (ms)", yLabel: label(qualityMetric),
                                   points: quality.enumerated().map { i, r in
                                       .init(x: r.metrics["inferencetime_mean"]! * 1000, y: r.metrics[qualityMetric]!, size: r.metrics["compiled_model_size"],
                                             series: i, label: "\(r.name): \(Format.ms(r.metrics["inferencetime_mean"])), \(Format.significant(r.metrics[qualityMetric]!))")
                                   }, seriesNames: quality.map(\.name), sizeLabel: "model size")
            out.append(ReportSection(id: "comparison-quality", title: "Quality against latency",
                                     blocks: [.figure(ReportFigure(id: "comparison-quality-latency", caption: "Bubbles: \(label(qualityMetric)) against mean latency, size by the model's size",
                                                                   svg: plot.svg()))]))
        }
        let keys = ["inferencetime_mean", "inferencetime_median", "inferencetime_p99", "accuracy", "mean_precision", "mean_sensitivity", "g_mean",
                    "top_5_accuracy", "map", "map50", "output_argmax_agreement", "session_utilization_cpus_percent_avg_mean",
                    "session_utilization_mem_percent_mean", "compiled_model_size"].filter { k in runs.contains { $0.metrics[k] != nil } }
        out.append(ReportSection(id: "comparison-metrics", title: "Metrics per file", blocks: [
            .table(ReportTable(header: ["file", "pipeline"] + keys.map(label), rows: runs.map { r in
                [ReportTable.Cell(r.name), ReportTable.Cell(r.pipeline)] + keys.map { k in ReportTable.Cell(value(k, r.metrics[k]), sortKey: r.metrics[k]) }
            })),
        ]))
        return out
    }

    /// A metric's name as a column or axis says it.
    static func label(_ key: String) -> String {
        let names = ["inferencetime_mean": "mean latency", "inferencetime_median": "median latency", "inferencetime_p99": "p99 latency",
                     "inferencetime_p90": "p90 latency", "accuracy": "accuracy", "mean_precision": "mean precision",
                     "mean_sensitivity": "mean sensitivity", "g_mean": "G-mean", "top_5_accuracy": "top-5 accuracy", "map": "mAP",
                     "map50": "mAP@.5", "map75": "mAP@.75", "output_argmax_agreement": "top-1 agreement with the unoptimized model",
                     "output_cosine_min": "lowest output cosine", "session_utilization_cpus_percent_avg_mean": "mean CPU",
                     "session_utilization_mem_percent_mean": "mean memory", "compiled_model_size": "model size", "peak_rss_bytes": "peak RSS"]
        return names[key] ?? key
    }

    /// A metric's value as a cell shows it.
    static func value(_ key: String, _ v: Double?) -> String {
        guard let v else { return "–" }
        if key.hasPrefix("inferencetime") { return Format.ms(v) }
        if key.hasPrefix("session_utilization") { return Format.percent(v) }
        if key == "compiled_model_size" || key == "peak_rss_bytes" { return Format.bytes(v) }
        return Format.significant(v, digits: 4)
    }
}
