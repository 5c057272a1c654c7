import Foundation
import KenningCore

/// The report of a fine-tune search: what ran and where, the pick and why, every result, failures and exclusions,
/// latency distributions, quality against latency with the Pareto front, each grid parameter's effect, the search's
/// trajectory, and the leading runs in detail.
public enum SearchReport {
    public static func build(_ s: SearchOutput, command: String = "") -> ReportDocument {
        let ok = s.rows.filter { $0.status == "ok" && $0.id != nil }
        let objective = s.summary?["objectives"]?.arrayValue?.first
        let metric = objective?["metric"]?.stringValue ?? s.summary?["metric"]?.stringValue ?? "inferencetime_mean"
        let minimize = (objective?["policy"]?.stringValue ?? "min") == "min"
        let quality = ["accuracy", "map", "output_argmax_agreement", "output_cosine_min"].first { k in ok.contains { $0.metrics[k] != nil } }
        let pick = s.pickID
        let runs = Dictionary(ok.compactMap { r in r.id.flatMap { id in s.measurements(of: id).map { (id, $0) } } }, uniquingKeysWith: { a, _ in a })

        var doc = ReportDocument(title: "Search report: \((s.outputPath as NSString).lastPathComponent)")
        if let c = s.summary?["command"]?.arrayValue?.compactMap(\.stringValue), !c.isEmpty { doc.facts.append(("command", c.joined(separator: " "))) }
        else if !command.isEmpty { doc.facts.append(("command", command)) }
        if let cfg = s.summary?["config_path"]?.stringValue { doc.facts.append(("config", cfg)) }
        if let summary = s.summary {
            doc.facts.append(("strategy", summary["strategy"]?.stringValue ?? "?"))
            doc.facts.append(("search", "\(s.rows.count) pipelines: \(ok.count) ok, \(s.rows.filter { $0.status != "ok" && $0.id != nil }.count) not ok, "
                              + "\(s.rows.filter { $0.id == nil }.count) excluded"))
            doc.facts.append(("wall time", "\(Format.seconds(summary["wall_s"]?.doubleValue)), of which measuring \(Format.seconds(summary["measured_s"]?.doubleValue))"))
            doc.facts.append(("compilation", "\(summary["compiled_steps"]?.intValue ?? 0) steps in \(Format.seconds(summary["compile_s"]?.doubleValue)), "
                              + "\(summary["cache_hits"]?.intValue ?? 0) cache hits"))
        }
        doc.facts.append(("objective", "\(minimize ? "minimize" : "maximize") \(metric)"))
        if let cons = s.summary?["constraints"]?.arrayValue?.compactMap(\.stringValue), !cons.isEmpty { doc.facts.append(("constraints", cons.joined(separator: ", "))) }
        if let env = s.summary?["environment"] ?? s.best?["environment"] { doc.facts += MachineFacts.facts(env) }
        if let first = pick.flatMap({ runs[$0] }) ?? runs.values.first {
            if let v = first.doc["versions"]?.objectPairs { doc.facts.append(("versions", v.map { "\($0.0) \($0.1.stringValue ?? $0.1.serialized(indent: nil))" }.joined(separator: ", "))) }
            if let m = first.doc["measurement_settings"]?.objectPairs { doc.facts.append(("measurement", m.map { "\($0.0)=\($0.1.serialized(indent: nil))" }.joined(separator: ", "))) }
        }

        doc.sections.append(pickSection(s, metric: metric, quality: quality))
        doc.sections.append(resultsSection(s, quality: quality))
        if s.rows.contains(where: { $0.status != "ok" }) { doc.sections.append(failureSection(s)) }
        if !runs.isEmpty { doc.sections.append(distributionSection(ok, runs: runs, pick: pick)) }
        if let quality, ok.count > 1 { doc.sections.append(tradeOffSection(s, ok: ok, quality: quality, pick: pick)) }
        if let effects = effectSection(ok, metric: metric, quality: quality) { doc.sections.append(effects) }
        if ok.count > 1 { doc.sections.append(trajectorySection(s, metric: metric, minimize: minimize)) }
        // The pick and the runs after it, in detail.
        let leading = ok.sorted { a, b in
            let x = a.metrics[metric] ?? .infinity, y = b.metrics[metric] ?? .infinity
            return minimize ? x < y : x > y
        }.compactMap(\.id)
        let detailed = (pick.map { [$0] } ?? []) + leading.filter { $0 != pick }.prefix(2)
        for id in detailed {
            guard let r = runs[id] else { continue }
            let blocks = RunSections.blocks(r, id: "run-\(id)", types: RunSections.types(of: r))
            let row = s.rows.first { $0.id == id }
            doc.sections.append(ReportSection(id: "run-\(id)", title: "Run #\(id)\(id == pick ? " (the pick)" : ""): \(label(row?.pipeline ?? r.doc["build_cfg"] ?? .null))",
                                              blocks: blocks))
        }
        return doc
    }

    static func label(_ pipeline: JSONValue) -> String {
        RunMeasurements.describe(pipeline) + (pipeline["target_name"]?.stringValue.map { " @ \($0)" } ?? "")
    }

    static func pickSection(_ s: SearchOutput, metric: String, quality: String?) -> ReportSection {
        var blocks: [ReportBlock] = []
        if let pick = s.pickID, let row = s.rows.first(where: { $0.id == pick }) {
            var text = "#\(pick) \(label(row.pipeline)): \(ComparisonSections.label(metric)) \(ComparisonSections.value(metric, row.metrics[metric]))"
            if let quality, quality != metric { text += ", \(ComparisonSections.label(quality)) \(ComparisonSections.value(quality, row.metrics[quality]))" }
            if let lo = row.metrics["inferencetime_mean_ci_low"], let hi = row.metrics["inferencetime_mean_ci_high"] {
                text += "; mean latency 95% CI \(Format.ms(lo))–\(Format.ms(hi))"
            }
            blocks.append(.paragraph(text + "."))
            if let ties = s.summary?["ties"]?.arrayValue?.compactMap(\.intValue), !ties.isEmpty {
                blocks.append(.paragraph("Statistically tied with " + ties.map { "#\($0)" }.joined(separator: ", ")
                                         + ": their latency intervals overlap the pick's, so the pick among them is by the tie rule, not by a measured difference."))
            }
            if let base = s.summary?["unoptimized"], let metrics = base["metrics"]?.objectPairs {
                let m = Dictionary(metrics.compactMap { k, v in v.doubleValue.map { (k, $0) } }, uniquingKeysWith: { a, _ in a })
                var line = "The unoptimized model, measured the same way: \(ComparisonSections.label(metric)) \(ComparisonSections.value(metric, m[metric]))"
                if let quality, quality != metric { line += ", \(ComparisonSections.label(quality)) \(ComparisonSections.value(quality, m[quality]))" }
                if let a = m[metric], let b = row.metrics[metric], b > 0, metric.hasPrefix("inferencetime") { line += String(format: " (the pick is %.2f× faster)", a / b) }
                blocks.append(.paragraph(line + "."))
            }
            if let perTarget = s.best?["best_per_target"]?.objectPairs {
                blocks.append(.list(perTarget.map { name, e in "best on \(name): #\(e["id"]?.intValue ?? -1) \(label(e["pipeline"] ?? .null))" }))
            }
        } else {
            blocks.append(.paragraph("No pipeline met the objective and constraints; see the results and failures below."))
        }
        return ReportSection(id: "pick", title: "The pick", blocks: blocks)
    }

    static func resultsSection(_ s: SearchOutput, quality: String?) -> ReportSection {
        var keys = ["inferencetime_mean", "inferencetime_median", "inferencetime_p99"]
        if let quality { keys.append(quality) }
        keys += ["session_utilization_cpus_percent_avg_mean", "peak_rss_bytes", "compiled_model_size"]
        let header = ["id", "pipeline", "status"] + keys.map(ComparisonSections.label) + ["mean latency 95% CI"]
        var highlighted: Set<Int> = []
        let rows: [[ReportTable.Cell]] = s.rows.enumerated().map { i, r in
            if r.id != nil, r.id == s.pickID { highlighted.insert(i) }
            let ci = r.metrics["inferencetime_mean_ci_low"].flatMap { lo in r.metrics["inferencetime_mean_ci_high"].map { "\(Format.ms(lo))–\(Format.ms($0))" } } ?? "–"
            return [ReportTable.Cell(r.id.map { "#\($0)" } ?? "–", sortKey: r.id.map(Double.init) ?? -1), ReportTable.Cell(label(r.pipeline)), ReportTable.Cell(r.status)]
                + keys.map { ReportTable.Cell(ComparisonSections.value($0, r.metrics[$0]), sortKey: r.metrics[$0] ?? .infinity) } + [ReportTable.Cell(ci)]
        }
        return ReportSection(id: "results", title: "Results", blocks: [
            .paragraph("Every pipeline of the grid; click a column to sort. The pick is highlighted."),
            .table(ReportTable(header: header, rows: rows, highlighted: highlighted)),
        ])
    }

    static func failureSection(_ s: SearchOutput) -> ReportSection {
        let bad = s.rows.filter { $0.status != "ok" }
        var counts: [String: Int] = [:]
        for r in bad { counts[r.status, default: 0] += 1 }
        return ReportSection(id: "failures", title: "Failures and exclusions", blocks: [
            .paragraph(counts.keys.sorted().map { "\(counts[$0]!) \($0)" }.joined(separator: ", ")
                       + ". Excluded pipelines (incompatible) never ran: the rule that excluded them is the reason."),
            .table(ReportTable(header: ["id", "pipeline", "class", "reason"], rows: bad.map { r in
                [ReportTable.Cell(r.id.map { "#\($0)" } ?? "–", sortKey: r.id.map(Double.init) ?? -1), ReportTable.Cell(label(r.pipeline)),
                 ReportTable.Cell(r.status), ReportTable.Cell(r.reason ?? "")]
            })),
        ])
    }

    static func distributionSection(_ ok: [SearchOutput.Row], runs: [Int: RunMeasurements], pick: Int?) -> ReportSection {
        let rows = ok.compactMap { r -> BoxPlot.Row? in
            guard let id = r.id, let m = runs[id], !m.steps.isEmpty else { return nil }
            let ci = r.metrics["inferencetime_median_ci_low"].flatMap { lo in r.metrics["inferencetime_median_ci_high"].map { (lo * 1000, $0 * 1000) } }
            return BoxPlot.Row(label: "#\(id) \(label(r.pipeline))", sorted: m.steps.map { $0 * 1000 }.sorted(), ci: ci, highlight: id == pick)
        }.sorted { BoxPlot.percentile($0.sorted, 50) < BoxPlot.percentile($1.sorted, 50) }
        return ReportSection(id: "latency", title: "Latency distributions", blocks: [
            .paragraph("Each run's measured inferences, fastest median first. A narrow box and close p90/p99 ticks mean a steady latency; the bar under a box is the 95% confidence interval of its median."),
            .figure(ReportFigure(id: "latency-distributions", caption: "Latency per pipeline: p25–p75 box, median, p90 and p99, CI of the median",
                                 svg: BoxPlot(title: "Latency per pipeline", valueLabel: "latency (ms)", rows: rows).svg())),
        ])
    }

    static func tradeOffSection(_ s: SearchOutput, ok: [SearchOutput.Row], quality: String, pick: Int?) -> ReportSection {
        let usable = ok.filter { $0.metrics["inferencetime_mean"] != nil && $0.metrics[quality] != nil }
        let chains = usable.map { r in (r.pipeline["optimizers"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue.map(RunMeasurements.short) }
            .joined(separator: " → ") }.map { $0.isEmpty ? "no optimizer" : $0 }
        var names: [String] = []
        for c in chains where !names.contains(c) { names.append(c) }
        let points = usable.enumerated().map { i, r in
            ScatterPlot.Point(x: r.metrics["inferencetime_mean"]! * 1000, y: r.metrics[quality]!, size: r.metrics["compiled_model_size"],
                              series: names.firstIndex(of: chains[i])!, label: "#\(r.id!) \(label(r.pipeline)): \(Format.ms(r.metrics["inferencetime_mean"])), "
                                  + "\(ComparisonSections.label(quality)) \(Format.significant(r.metrics[quality]!))", highlight: r.id == pick)
        }
        // The front: no other run is both faster and at least as good.
        let order = points.indices.sorted { points[$0].x < points[$1].x || (points[$0].x == points[$1].x && points[$0].y > points[$1].y) }
        var front: [Int] = []
        var bestY = -Double.infinity
        for i in order where points[i].y > bestY { front.append(i); bestY = points[i].y }
        var xLimits: [(Double, String)] = [], yLimits: [(Double, String)] = []
        for c in s.summary?["constraints"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            let parts = c.split(separator: " ").map(String.init)
            guard parts.count == 3, let v = Double(parts[2]) else { continue }
            if parts[0] == quality { yLimits.append((v, c)) }
            if parts[0] == "inferencetime_mean" { xLimits.append((v * 1000, c)) }
        }
        let plot = ScatterPlot(title: "\(ComparisonSections.label(quality).capitalizedFirst) against mean latency", xLabel: "mean latency (ms)",
                               yLabel: ComparisonSections.label(quality), points: points, seriesNames: names, front: front,
                               xLimits: xLimits, yLimits: yLimits, sizeLabel: "model size")
        let frontIDs = front.map { "#\(usable[$0].id!)" }.joined(separator: ", ")
        return ReportSection(id: "trade-off", title: "Quality against latency", blocks: [
            .paragraph("Up and to the left is better. The dashed step line is the Pareto front (\(frontIDs)): for every other run one of these is both faster and at least as good. Marker size is the model file's size; colour and shape the optimizer chain."),
            .figure(ReportFigure(id: "quality-latency", caption: "\(ComparisonSections.label(quality).capitalizedFirst) against mean latency, Pareto front dashed, the pick ringed",
                                 svg: plot.svg())),
        ])
    }

    /// The grid's parameters as `name → value` for one pipeline: the optimizer chain, each block's settings (paths left
    /// out), the runtime and the target.
    static func parameters(_ p: JSONValue) -> [(String, String)] {
        let short = RunMeasurements.short
        func settings(_ block: JSONValue, prefix: String) -> [(String, String)] {
            (block["parameters"]?.objectPairs ?? []).filter { !$0.0.hasSuffix("_path") }.map { ("\(prefix).\($0.0)", $0.1.stringValue ?? $0.1.serialized(indent: nil)) }
        }
        let chain = (p["optimizers"]?.arrayValue ?? []).map { short($0["type"]?.stringValue) }
        var out: [(String, String)] = [("optimizers", chain.isEmpty ? "none" : chain.joined(separator: " → "))]
        for o in p["optimizers"]?.arrayValue ?? [] { out += settings(o, prefix: short(o["type"]?.stringValue)) }
        if let rt = p["runtime"] {
            out.append(("runtime", short(rt["type"]?.stringValue)))
            out += settings(rt, prefix: short(rt["type"]?.stringValue))
        }
        if let t = p["target_name"]?.stringValue { out.append(("target", t)) }
        return out
    }

    static func effectSection(_ ok: [SearchOutput.Row], metric: String, quality: String?) -> ReportSection? {
        let params = ok.map { Dictionary(parameters($0.pipeline), uniquingKeysWith: { a, _ in a }) }
        var names: [String] = []
        for p in ok.map({ parameters($0.pipeline).map(\.0) }).joined() where !names.contains(p) { names.append(p) }
        var blocks: [ReportBlock] = [
            .paragraph("For each grid parameter with more than one value: the median over the runs with that value (bar) and their range (line). "
                       + "Other parameters vary inside each bar, so a bar is that value's typical effect, not a controlled comparison."),
        ]
        var any = false
        for name in names {
            var values: [String] = []
            for p in params { if let v = p[name], !values.contains(v) { values.append(v) } }
            guard values.count > 1 else { continue }
            any = true
            func group(_ key: String, scale: Double) -> BarPlot.Group {
                var medians: [Double?] = [], ranges: [(low: Double, high: Double)?] = []
                for v in values {
                    let xs = zip(ok, params).filter { $0.1[name] == v }.compactMap { $0.0.metrics[key] }.map { $0 * scale }
                    medians.append(xs.isEmpty ? nil : Statistics.median(xs))
                    ranges.append(xs.isEmpty ? nil : (xs.min()!, xs.max()!))
                }
                return BarPlot.Group(label: ComparisonSections.label(key), values: medians, ranges: ranges)
            }
            let latency = group("inferencetime_mean", scale: 1000)
            blocks.append(.figure(ReportFigure(id: "effect-\(Format.anchor(name))", caption: "Mean latency by \(name)",
                                               svg: BarPlot(title: "Mean latency by \(name)", valueLabel: "mean latency (ms)", categories: values, groups: [latency]).svg())))
            if let quality {
                let q = group(quality, scale: 1)
                let spread = q.ranges.compactMap { $0 }.flatMap { [$0.low, $0.high] }
                if let lo = spread.min(), let hi = spread.max(), hi - lo > 1e-9 {
                    blocks.append(.figure(ReportFigure(id: "effect-\(Format.anchor(name))-quality", caption: "\(ComparisonSections.label(quality).capitalizedFirst) by \(name)",
                                                       svg: BarPlot(title: "\(ComparisonSections.label(quality).capitalizedFirst) by \(name)",
                                                                    valueLabel: ComparisonSections.label(quality), categories: values, groups: [q]).svg())))
                } else if let lo = spread.min() {
                    blocks.append(.paragraph("\(ComparisonSections.label(quality).capitalizedFirst) is \(Format.significant(lo, digits: 5)) for every value of \(name)."))
                }
            }
        }
        return any ? ReportSection(id: "effects", title: "What each parameter did", blocks: blocks) : nil
    }

    static func trajectorySection(_ s: SearchOutput, metric: String, minimize: Bool) -> ReportSection {
        let byID = Dictionary(s.rows.compactMap { r in r.id.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        let order: [(Int, Double)] = s.journal.isEmpty ? s.rows.compactMap { r in r.id.map { ($0, r.wallTime ?? 0) } } : s.journal
        var clock = 0.0, best: Double?
        var bestSeries: [(x: Double, y: Double)] = [], each: [(x: Double, y: Double)] = []
        let scale = metric.hasPrefix("inferencetime") ? 1000.0 : 1
        for (id, wall) in order {
            clock += wall
            guard let row = byID[id], row.status == "ok", let v = row.metrics[metric] else { continue }
            each.append((clock, v * scale))
            if best == nil || (minimize ? v < best! : v > best!) { best = v }
            bestSeries.append((clock, best! * scale))
        }
        let yLabel = ComparisonSections.label(metric) + (scale == 1000 ? " (ms)" : "")
        return ReportSection(id: "trajectory", title: "The search's trajectory", blocks: [
            .paragraph("Each run's \(ComparisonSections.label(metric)) when it finished (markers) and the best so far (steps), against the search's cumulative run time. "
                       + "A flat best-so-far line early on means later runs did not improve on it."),
            .figure(ReportFigure(id: "trajectory", caption: "Best \(ComparisonSections.label(metric)) so far against run time (strategy \(s.summary?["strategy"]?.stringValue ?? "?"))",
                                 svg: LinePlot(title: "Best so far", xLabel: "cumulative run time (s)", yLabel: yLabel,
                                               series: [.init(label: "best so far", points: bestSeries, step: true),
                                                        .init(label: "each run", points: each, markers: true, line: false)]).svg())),
        ])
    }
}

extension String {
    /// The first letter upper-cased, unless the word is an abbreviation written with a lower-case start (mAP).
    var capitalizedFirst: String {
        dropFirst().first?.isUppercase == true ? self : prefix(1).uppercased() + dropFirst()
    }
}
