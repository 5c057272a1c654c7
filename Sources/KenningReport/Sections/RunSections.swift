import Foundation
import KenningCore

/// The sections about one measurements file: performance (latency over time and its spread, CPU and memory),
/// classification (confusion matrix, metrics), detection (mAP), fidelity to the unoptimized model.
enum RunSections {
    /// The report types a file supports, deduced from its keys as Kenning does.
    static func types(of run: RunMeasurements) -> Set<String> {
        var t: Set<String> = []
        if !run.steps.isEmpty { t.insert("performance") }
        if run.confusion != nil { t.insert("classification") }
        if run.doc["detection"] != nil || (run.doc.objectPairs ?? []).contains(where: { $0.0.hasPrefix("eval_gtcount") }) { t.insert("detection") }
        return t
    }

    static func blocks(_ run: RunMeasurements, id: String, types: Set<String>) -> [ReportBlock] {
        var out: [ReportBlock] = []
        let m = run.metrics
        if types.contains("performance"), !run.steps.isEmpty {
            let source = run.stepSource == "target" ? "timed where the model ran" : "round trips seen by the client (the target kept no times)"
            out.append(.table(ReportTable(header: ["latency", "value"], rows: [
                ("first inference", run.steps.first), ("mean", m["inferencetime_mean"]), ("median", m["inferencetime_median"]),
                ("std (population)", m["inferencetime_std"]), ("min", m["inferencetime_min"]), ("p90", m["inferencetime_p90"]),
                ("p99", m["inferencetime_p99"]), ("max", m["inferencetime_max"]),
            ].map { [ReportTable.Cell($0.0), ReportTable.Cell(Format.ms($0.1), sortKey: $0.1)] } + [
                [ReportTable.Cell("inferences"), ReportTable.Cell("\(run.steps.count)", sortKey: Double(run.steps.count))],
                [ReportTable.Cell("source"), ReportTable.Cell(source)],
            ], sortable: false)))
            out.append(.figure(ReportFigure(id: "\(id)-latency", caption: "\(run.name): each inference's latency in the order it ran",
                                            svg: LinePlot(title: "Latency over time — \(run.name)", xLabel: "time since the first inference (s)",
                                                          yLabel: "latency (ms)", series: [.init(label: run.name, points: zip(run.stepTimes, run.steps).map { ($0, $1 * 1000) })],
                                                          yZero: true).svg())))
            let ci = m["inferencetime_median_ci_low"].flatMap { lo in m["inferencetime_median_ci_high"].map { (lo * 1000, $0 * 1000) } }
            out.append(.figure(ReportFigure(id: "\(id)-spread", caption: "\(run.name): the spread of latency (p50, p90, p99)",
                                            svg: BoxPlot(title: "Latency distribution — \(run.name)", valueLabel: "latency (ms)",
                                                         rows: [.init(label: run.name, sorted: run.steps.map { $0 * 1000 }.sorted(), ci: ci)]).svg())))
            if !run.cpu.isEmpty || !run.memory.isEmpty {
                var series: [LinePlot.Series] = []
                if !run.cpu.isEmpty { series.append(.init(label: "CPU, mean over cores (%)", points: run.cpu.map { ($0.t, $0.percent) }, markers: run.cpu.count < 40)) }
                if !run.memory.isEmpty { series.append(.init(label: "memory in use (%)", points: run.memory.map { ($0.t, $0.percent) }, markers: run.memory.count < 40)) }
                out.append(.figure(ReportFigure(id: "\(id)-resources", caption: "\(run.name): CPU and memory while it ran",
                                                svg: LinePlot(title: "CPU and memory — \(run.name)", xLabel: "time (s)", yLabel: "percent",
                                                              series: series, yZero: true).svg())))
                out.append(.table(ReportTable(header: ["resource", "mean", "std", "median"], rows: [
                    ("CPU, mean over cores (%)", "session_utilization_cpus_percent_avg"), ("memory in use (%)", "session_utilization_mem_percent"),
                ].compactMap { label, key in
                    m["\(key)_mean"].map { mean in
                        [ReportTable.Cell(label), ReportTable.Cell(Format.percent(mean), sortKey: mean),
                         ReportTable.Cell(Format.percent(m["\(key)_std"]), sortKey: m["\(key)_std"]),
                         ReportTable.Cell(Format.percent(m["\(key)_median"]), sortKey: m["\(key)_median"])]
                    }
                }, sortable: false)))
            }
        }
        if types.contains("classification"), let confusion = run.confusion {
            out.append(.table(metricTable(m, keys: [("accuracy", "Accuracy"), ("mean_precision", "Mean precision"), ("mean_sensitivity", "Mean sensitivity"),
                                                    ("g_mean", "G-mean"), ("top_5_accuracy", "Top-5 accuracy")])))
            let names = run.classNames.count == confusion.count ? run.classNames : confusion.indices.map { "\($0)" }
            out.append(.figure(ReportFigure(id: "\(id)-confusion", caption: "\(run.name): confusion matrix (rows: truth, columns: prediction)",
                                            svg: HeatMap(title: "Confusion matrix — \(run.name)", rowLabel: "truth", columnLabel: "prediction",
                                                         labels: names, matrix: confusion).svg())))
        }
        if types.contains("detection"), m["map"] != nil {
            out.append(.table(metricTable(m, keys: [("map", "mAP@[.5:.95]"), ("map50", "mAP@.5"), ("map75", "mAP@.75")])))
            if let curve = run.doc["detection"]?["map_per_threshold"]?.arrayValue?.compactMap({ $0.arrayValue?.compactMap(\.doubleValue) }),
               curve.count > 1 {
                out.append(.figure(ReportFigure(id: "\(id)-map-threshold", caption: "\(run.name): mAP@.5 of the detections above each score threshold",
                                                svg: LinePlot(title: "mAP against score threshold — \(run.name)", xLabel: "score threshold",
                                                              yLabel: "mAP@.5", series: [.init(label: run.name, points: curve.map { ($0[0], $0[1]) }, markers: true)],
                                                              yZero: true).svg())))
            }
        }
        let fidelity = [("output_argmax_agreement", "top-1 agreement"), ("output_cosine_min", "lowest cosine similarity"),
                        ("output_max_abs_diff", "largest absolute difference"), ("output_max_rel_diff", "largest relative difference")]
        if fidelity.contains(where: { m[$0.0] != nil }) {
            out.append(.paragraph("Fidelity to the unoptimized model's outputs on the same samples:"))
            out.append(.table(metricTable(m, keys: fidelity)))
        }
        return out
    }

    static func metricTable(_ m: [String: Double], keys: [(String, String)]) -> ReportTable {
        ReportTable(header: ["metric", "value"], rows: keys.compactMap { key, label in
            m[key].map { [ReportTable.Cell(label), ReportTable.Cell(Format.significant($0, digits: 5), sortKey: $0)] }
        }, sortable: false)
    }
}
