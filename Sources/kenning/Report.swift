import ArgumentParser
import Foundation
import KenningCore
import KenningReport

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a report (Markdown with SVG figures, and a self-contained HTML page) of measurements files or of a fine-tune search.",
        discussion: """
        One measurements file gives its performance, classification, detection and fidelity sections; several also get \
        Kenning's comparison (latency series, distributions, resources, quality against latency). --search OUT.json \
        rebuilds a fine-tune search's report (OUT_report.md and OUT_report.html) from its results and journal. Chains as \
        in Kenning: `kenning test report --json-cfg S --measurements M.json --report-path R.md`.
        """)

    @Option(parsing: .upToNextOption, help: "Measurements files (ours or Kenning's)")
    var measurements: [String] = []

    @Option(help: "A fine-tune output (--output of fine-tune-optimizers) to report on")
    var search: String?

    @Option(name: .customLong("report-path"), help: "The Markdown report to write (figures go to <name>_img/ beside it)")
    var reportPath: String?

    @Option(name: .customLong("to-html"), help: "Also write the HTML page: beside the report, or into this folder (--to-html alone: beside)")
    var toHTML: String?

    @Option(name: .customLong("model-names"), parsing: .upToNextOption, help: "A name per measurements file, in order")
    var modelNames: [String] = []

    @Flag(name: .customLong("comparison-only"), help: "Only the comparison sections (several files)")
    var comparisonOnly = false

    @Option(name: .customLong("report-types"), parsing: .upToNextOption, help: "performance, classification, detection (default: what every file has)")
    var reportTypes: [String] = []

    @Option(name: .customLong("main-quality-metric"), help: "Metric on the quality axis of comparisons (acc, mAP, G-mean, …)")
    var mainQualityMetric = "accuracy"

    @Flag(name: .customLong("save-summary"), help: "Also write <report>.summary.json (per file: name, scenario, metrics)")
    var saveSummary = false

    @Flag(name: .customLong("skip-unoptimized-model"), help: "Leave out the __unoptimized__ run nested in a file")
    var skipUnoptimizedModel = false

    @Flag(name: .customLong("only-png-images"), help: "Kenning's PNG-only figures (refused: figures are SVG)")
    var onlyPNGImages = false

    func run() throws {
        if onlyPNGImages {
            throw KenningError.badInput("--only-png-images is not available: every figure is SVG, inline in the HTML and as files beside the Markdown",
                                        fix: "drop --only-png-images; browsers and Markdown viewers show SVG")
        }
        var request = ReportRequest()
        request.measurements = measurements
        request.search = search
        request.reportPath = reportPath
        request.toHTML = toHTML
        request.modelNames = modelNames
        request.comparisonOnly = comparisonOnly
        request.reportTypes = reportTypes
        request.mainQualityMetric = mainQualityMetric
        request.saveSummary = saveSummary
        request.skipUnoptimizedModel = skipUnoptimizedModel
        request.command = CommandLine.arguments.map { ($0 as NSString).lastPathComponent == "kenning" ? "kenning" : $0 }.joined(separator: " ")
        for path in try request.run() { print("wrote \(path)") }
    }
}
