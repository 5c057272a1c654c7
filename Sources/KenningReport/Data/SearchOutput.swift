import Foundation
import KenningCore

/// A fine-tune search's files, read back: `OUT.json` (the pick), `OUT_all_results.json` (every run and exclusion),
/// `OUT_summary.json`, `OUT_journal.jsonl` (the order runs finished in) and each run's `OUT_<id>.json`.
public struct SearchOutput: Sendable {
    public struct Row: Sendable {
        public var id: Int?
        public var pipeline: JSONValue
        public var status: String
        public var reason: String?
        public var metrics: [String: Double]
        public var wallTime: Double?
        public var targetName: String? { pipeline["target_name"]?.stringValue }
    }

    public var outputPath: String
    public var best: JSONValue?
    public var rows: [Row]
    public var summary: JSONValue?
    /// Run ids in the order they finished, with each run's wall time.
    public var journal: [(id: Int, wall: Double)]

    /// Reads the search whose output was `outputPath` (the `--output` of `fine-tune-optimizers`).
    public static func load(_ outputPath: String) throws(KenningError) -> SearchOutput {
        let base = (outputPath as NSString).deletingPathExtension
        let resultsPath = base + "_all_results.json"
        guard let data = FileManager.default.contents(atPath: resultsPath) else {
            throw .badInput("no search results next to \(outputPath) (looked for \(resultsPath))", file: outputPath,
                            fix: "give the --output path of a finished `kenning fine-tune-optimizers` run")
        }
        let results: JSONValue
        do {
            results = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw .badInput("\(resultsPath) is not JSON", file: resultsPath, fix: "run the search again (or with --resume) to rewrite it")
        }
        guard let list = results.arrayValue else {
            throw .badInput("\(resultsPath) holds a JSON \(results.typeName), not a list of runs", file: resultsPath, path: "$",
                            fix: "run the search again (or with --resume) to rewrite it")
        }
        func read(_ path: String) -> JSONValue? {
            FileManager.default.contents(atPath: path).flatMap { try? JSONValue.parse(String(decoding: $0, as: UTF8.self)) }
        }
        let rows = list.map { r in
            Row(id: r["id"]?.intValue, pipeline: r["pipeline"] ?? .null, status: r["status"]?.stringValue ?? "unknown",
                reason: r["reason"]?.stringValue,
                metrics: Dictionary((r["metrics"]?.objectPairs ?? []).compactMap { k, v in v.doubleValue.map { (k, $0) } }, uniquingKeysWith: { $1 }),
                wallTime: r["wall_time"]?.doubleValue)
        }
        let journalText = (try? String(contentsOfFile: base + "_journal.jsonl", encoding: .utf8)) ?? ""
        let journal = journalText.split(separator: "\n").compactMap { line -> (Int, Double)? in
            guard let e = try? JSONValue.parse(String(line)), let id = e["id"]?.intValue else { return nil }
            return (id, e["wall_time"]?.doubleValue ?? 0)
        }
        return SearchOutput(outputPath: outputPath, best: read(outputPath), rows: rows, summary: read(base + "_summary.json"), journal: journal)
    }

    /// A run's full measurements file, when it was kept.
    public func measurements(of id: Int) -> RunMeasurements? {
        let path = (outputPath as NSString).deletingPathExtension + "_\(id).json"
        return try? RunMeasurements.load(path: path, name: "#\(id)")
    }

    public var pickID: Int? { best?["id"]?.intValue ?? summary?["best"]?.intValue }
}
