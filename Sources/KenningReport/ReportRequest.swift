import Foundation
import KenningCore

/// What `kenning report` was asked (Kenning's options plus `--search`), checked and carried out.
public struct ReportRequest: Sendable {
    public var measurements: [String] = []
    public var search: String?
    public var reportPath: String?
    /// nil: no HTML; "": the HTML beside the Markdown; otherwise a folder for it.
    public var toHTML: String?
    public var modelNames: [String] = []
    public var comparisonOnly = false
    public var reportTypes: [String] = []
    public var mainQualityMetric = "accuracy"
    public var saveSummary = false
    public var skipUnoptimizedModel = false
    public var command = ""

    public init() {}

    /// Kenning's metric names (and ours) for `--main-quality-metric`.
    static let qualityNames: [String: String] = [
        "acc": "accuracy", "accuracy": "accuracy", "Accuracy": "accuracy", "mean_precision": "mean_precision", "Mean precision": "mean_precision",
        "mean_sensitivity": "mean_sensitivity", "Mean sensitivity": "mean_sensitivity", "g_mean": "g_mean", "G-mean": "g_mean",
        "top_5_accuracy": "top_5_accuracy", "Top-5 accuracy": "top_5_accuracy", "map": "map", "mAP": "map", "map50": "map50",
        "output_argmax_agreement": "output_argmax_agreement", "output_cosine_min": "output_cosine_min",
    ]

    /// Writes the report; returns the files written.
    public func run() throws(KenningError) -> [String] {
        guard (search == nil) != measurements.isEmpty else {
            throw .badInput(search == nil ? "kenning report needs measurements to report on" : "--search and --measurements were both given",
                            fix: "give --measurements A.json [B.json …], or --search OUT.json for a fine-tune output")
        }
        let doc: ReportDocument
        var markdown = reportPath
        if let search {
            let output = try SearchOutput.load(search)
            doc = SearchReport.build(output, command: command)
            if markdown == nil { markdown = (search as NSString).deletingPathExtension + "_report.md" }
        } else {
            guard reportPath != nil else {
                throw .badInput("kenning report needs --report-path", fix: "add --report-path report.md (the HTML goes beside it with --to-html)")
            }
            guard modelNames.isEmpty || modelNames.count == measurements.count else {
                throw .badInput("\(modelNames.count) --model-names for \(measurements.count) measurements files",
                                fix: "give one name per measurements file, in the same order, or none")
            }
            let unknown = reportTypes.filter { !MeasurementsReport.knownTypes.contains($0) }
            guard unknown.isEmpty else {
                throw .badInput("unknown report type \(unknown.map { "\"\($0)\"" }.joined(separator: ", "))",
                                fix: "choose from \(MeasurementsReport.knownTypes.joined(separator: ", "))")
            }
            guard let quality = Self.qualityNames[mainQualityMetric] else {
                throw .badInput("unknown --main-quality-metric \"\(mainQualityMetric)\"",
                                fix: "choose one of \(Set(Self.qualityNames.values).sorted().joined(separator: ", "))")
            }
            var runs: [RunMeasurements] = []
            for (i, path) in measurements.enumerated() {
                let run = try RunMeasurements.load(path: path, name: i < modelNames.count ? modelNames[i] : nil)
                runs.append(run)
                // Kenning adds the unoptimized model as one more to compare, unless told not to.
                if !skipUnoptimizedModel, let nested = run.doc["__unoptimized__"], nested.objectPairs != nil {
                    runs.append(RunMeasurements(doc: nested, path: path + " (__unoptimized__)", name: "\(run.name) (unoptimized)"))
                }
            }
            doc = MeasurementsReport.build(runs, options: .init(types: reportTypes.isEmpty ? nil : Set(reportTypes), comparisonOnly: comparisonOnly,
                                                                mainQualityMetric: quality, command: command))
            if saveSummary, let reportPath {
                let path = (reportPath as NSString).deletingPathExtension + ".summary.json"
                try ReportFiles.save(MeasurementsReport.summary(runs).serialized(indent: 2) + "\n", to: path)
            }
        }
        var html: String?
        if let toHTML, let markdown {
            let name = ((markdown as NSString).lastPathComponent as NSString).deletingPathExtension + ".html"
            html = toHTML.isEmpty ? (markdown as NSString).deletingPathExtension + ".html" : (toHTML as NSString).appendingPathComponent(name)
        } else if search != nil, let markdown {
            html = (markdown as NSString).deletingPathExtension + ".html"
        }
        return try ReportFiles.write(doc, markdownPath: markdown, htmlPath: html)
    }
}
