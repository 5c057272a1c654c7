import Foundation
import KenningCore

/// `kenning report --measurements …`: one file's sections, or several files' sections and their comparison.
public enum MeasurementsReport {
    public struct Options: Sendable {
        /// Report types to include (performance, classification, detection); nil: those every file supports.
        public var types: Set<String>?
        public var comparisonOnly = false
        public var mainQualityMetric = "accuracy"
        public var command = ""

        public init(types: Set<String>? = nil, comparisonOnly: Bool = false, mainQualityMetric: String = "accuracy", command: String = "") {
            self.types = types
            self.comparisonOnly = comparisonOnly
            self.mainQualityMetric = mainQualityMetric
            self.command = command
        }
    }

    public static let knownTypes = ["performance", "classification", "detection"]

    public static func build(_ runs: [RunMeasurements], options: Options) -> ReportDocument {
        // Kenning's rule: a type is reported when every file qualifies for it.
        let deduced = runs.map(RunSections.types).reduce(Set(knownTypes)) { $0.intersection($1) }
        let types = options.types ?? deduced
        var doc = ReportDocument(title: runs.count == 1 ? "Report: \(runs[0].name)" : "Comparison of \(runs.count) measurements")
        if !options.command.isEmpty { doc.facts.append(("command", options.command)) }
        doc.facts.append(("report types", types.sorted().joined(separator: ", ")))
        var header: [ReportBlock] = []
        for r in runs {
            var facts: [(String, String)] = [("file", r.path), ("pipeline", r.pipeline)]
            if !r.command.isEmpty { facts.append(("command", r.command)) }
            if let f = r.doc["model_framework"]?.stringValue { facts.append(("model framework", f + (r.doc["model_version"]?.stringValue.map { " \($0)" } ?? ""))) }
            let compilers = (r.doc["optimizers"]?.arrayValue ?? []).compactMap { o -> String? in
                guard let f = o["compiler_framework"]?.stringValue else { return nil }
                return f + (o["compiler_version"]?.stringValue.map { " \($0)" } ?? "")
            }
            if !compilers.isEmpty { facts.append(("compilers", compilers.joined(separator: ", "))) }
            if let v = r.doc["versions"]?.objectPairs { facts.append(("versions", v.map { "\($0.0) \($0.1.stringValue ?? $0.1.serialized(indent: nil))" }.joined(separator: ", "))) }
            if let env = r.doc["environment"] { facts += MachineFacts.facts(env) }
            if let s = r.doc["measurement_settings"]?.objectPairs { facts.append(("measurement", s.map { "\($0.0)=\($0.1.serialized(indent: nil))" }.joined(separator: ", "))) }
            facts.append(("written by", r.writtenByKenning ? "Kenning" : "swift-kenning"))
            if runs.count > 1 { header.append(.subheading(r.name)) }
            header.append(.facts(facts))
        }
        doc.sections.append(ReportSection(id: "inputs", title: runs.count == 1 ? "What was measured" : "What was measured, per file", blocks: header))
        if !options.comparisonOnly || runs.count == 1 {
            for (i, r) in runs.enumerated() {
                let blocks = RunSections.blocks(r, id: "run-\(i)", types: types)
                if !blocks.isEmpty { doc.sections.append(ReportSection(id: "run-\(i)", title: r.name, blocks: blocks)) }
            }
        }
        if runs.count > 1 { doc.sections += ComparisonSections.sections(runs, types: types, qualityMetric: options.mainQualityMetric) }
        return doc
    }

    /// Kenning's `--save-summary` document: per file its name, scenario and metrics.
    public static func summary(_ runs: [RunMeasurements]) -> JSONValue {
        .array(runs.map { r in
            .object([("modelName", .string(r.name)), ("scenarioPath", r.doc["cfg_path"] ?? .null),
                      ("metrics", .array(r.metrics.keys.sorted().map { k in
                          .object([("type", .string(k.hasPrefix("inferencetime") || k.hasPrefix("session_") ? "performance" : "quality")),
                                   ("name", .string(k)), ("value", .double(r.metrics[k]!))])
                      }))])
        })
    }
}
