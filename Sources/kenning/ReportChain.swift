/// Kenning's chained form `kenning [optimize] test report …`: the pipeline's arguments and the report's, split.
/// The report reads the measurements the pipeline wrote (`--measurements`).
struct ReportChain {
    var pipeline: [String]
    var report: [String]

    /// Report options and how many values each takes (-1: values up to the next option).
    static let reportOptions: [String: Int] = [
        "--report-path": 1, "--to-html": -1, "--model-names": -1, "--report-types": -1, "--main-quality-metric": 1,
        "--comparison-only": 0, "--save-summary": 0, "--skip-unoptimized-model": 0, "--only-png-images": 0,
    ]

    /// nil when `arguments` is not a chain that ends in `report`.
    init?(_ arguments: [String]) {
        let words = arguments.prefix { ["optimize", "test", "report"].contains($0) }
        guard words.contains("report"), words.count > 1 else { return nil }
        let steps = words.filter { $0 != "report" }
        pipeline = [steps.count == 2 ? "optimize-test" : steps[0]]
        var rest = Array(arguments.dropFirst(words.count))
        report = ["report"]
        var i = 0
        while i < rest.count {
            let name = rest[i].split(separator: "=", maxSplits: 1).first.map(String.init) ?? rest[i]
            guard let count = Self.reportOptions[name] else { i += 1; continue }
            var end = i + 1
            if !rest[i].contains("=") {
                if count == 1 { end = min(rest.count, i + 2) }
                if count == -1 { while end < rest.count, !rest[end].hasPrefix("--") { end += 1 } }
            }
            report += rest[i..<end]
            rest.removeSubrange(i..<end)
        }
        pipeline += rest
        // The measurements the pipeline writes are the report's input.
        if let m = rest.firstIndex(of: "--measurements"), m + 1 < rest.count { report += ["--measurements", rest[m + 1]] }
        else if let m = rest.first(where: { $0.hasPrefix("--measurements=") }) { report += ["--measurements", String(m.dropFirst("--measurements=".count))] }
    }

    /// `--to-html` without a value means "beside the report": the parser gets an empty value.
    static func normalizeToHTML(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for (i, a) in arguments.enumerated() {
            if a == "--to-html", i + 1 >= arguments.count || arguments[i + 1].hasPrefix("--") { out += ["--to-html", ""]; continue }
            out.append(a)
        }
        return out
    }
}
