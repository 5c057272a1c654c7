import Foundation
import KenningCore

/// One measurements file — ours, or one Kenning wrote — read into what a report shows: the latency series, resource
/// series, confusion matrix, metrics (Kenning's formulas, recomputed from the raw series) and the pipeline.
public struct RunMeasurements: Sendable {
    public var name: String
    public var path: String
    public var doc: JSONValue
    /// Inference times in seconds, and when each started (seconds from the first).
    public var steps: [Double]
    public var stepTimes: [Double]
    /// `target` (timed where the model ran) or `protocol` (round trips seen by the client).
    public var stepSource: String
    public var cpu: [(t: Double, percent: Double)]
    public var memory: [(t: Double, percent: Double)]
    public var confusion: [[Double]]?
    public var classNames: [String]
    public var metrics: [String: Double]
    /// The optimizers and the runtime, short names (`NativeGraphOptimizer → NativeRuntime(backend=onednn)`).
    public var pipeline: String
    /// Written by Kenning (dotted block types, no `versions` record).
    public var writtenByKenning: Bool

    /// Reads `path`; `name` defaults to the file's name without its extension.
    public static func load(path: String, name: String? = nil) throws(KenningError) -> RunMeasurements {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badInput("cannot read the measurements file \(path)", file: path, fix: "give the path of a file `kenning test --measurements` wrote")
        }
        let doc: JSONValue
        do {
            doc = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw .badInput("\(path) is not JSON: \(error.problems.first?.what ?? "")", file: path, fix: "give a measurements JSON file")
        }
        guard doc.objectPairs != nil else {
            throw .badInput("\(path) holds a JSON \(doc.typeName), not a measurements object", file: path, path: "$", fix: "give a measurements JSON file")
        }
        let known = ["target_inference_step", "protocol_inference_step", "eval_confusion_matrix", "build_cfg", "session_utilization_mem_percent"]
        guard known.contains(where: { doc[$0] != nil }) else {
            throw .badInput("\(path) has none of a measurements file's keys (\(known.joined(separator: ", ")))", file: path, path: "$",
                            fix: "give a file written by `kenning test --measurements` (a fine-tune output is read with --search)")
        }
        return RunMeasurements(doc: doc, path: path, name: name ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension)
    }

    init(doc: JSONValue, path: String, name: String) {
        self.doc = doc
        self.path = path
        self.name = name
        func doubles(_ key: String) -> [Double] { doc[key]?.arrayValue?.compactMap(\.doubleValue) ?? [] }
        let target = doubles("target_inference_step")
        stepSource = target.isEmpty && doc["protocol_inference_step"] != nil ? "protocol" : "target"
        steps = target.isEmpty ? doubles("protocol_inference_step") : target
        let stamps = doubles(stepSource == "target" ? "target_inference_step_timestamp" : "protocol_inference_step_timestamp")
        stepTimes = stamps.count == steps.count ? stamps.map { $0 - (stamps.first ?? 0) } : steps.indices.map(Double.init)
        let sampleTimes = doubles("session_utilization_timestamp")
        let t0 = sampleTimes.first ?? 0
        let cpuSamples = doc["session_utilization_cpus_percent"]?.arrayValue?.map { s -> Double in
            let cores = s.arrayValue?.compactMap(\.doubleValue) ?? [s.doubleValue ?? 0]
            return cores.isEmpty ? 0 : cores.reduce(0, +) / Double(cores.count)
        } ?? []
        cpu = zip(sampleTimes.count == cpuSamples.count ? sampleTimes : cpuSamples.indices.map(Double.init), cpuSamples).map { ($0 - (sampleTimes.isEmpty ? 0 : t0), $1) }
        let mem = doubles("session_utilization_mem_percent")
        memory = zip(sampleTimes.count == mem.count ? sampleTimes : mem.indices.map(Double.init), mem).map { ($0 - (sampleTimes.isEmpty ? 0 : t0), $1) }
        confusion = doc["eval_confusion_matrix"]?.arrayValue?.map { $0.arrayValue?.map { $0.doubleValue ?? 0 } ?? [] }
        classNames = doc["class_names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var normalized = doc
        if stepSource == "protocol" { normalized = normalized.setting("target_inference_step", to: JSONValue(steps)) }
        metrics = Dictionary(Metrics.compute(from: normalized), uniquingKeysWith: { $1 })
        if metrics["compiled_model_size"] == nil, let size = doc["compiled_model_size"]?.doubleValue { metrics["compiled_model_size"] = size }
        let cfg = doc["build_cfg"]
        writtenByKenning = doc["versions"] == nil && (cfg?["runtime"]?["type"]?.stringValue?.contains(".") ?? true)
        pipeline = Self.describe(cfg)
    }

    /// A block's short name from its type, dotted (Kenning's) or not.
    static func short(_ type: String?) -> String { (type ?? "?").split(separator: ".").last.map(String.init) ?? "?" }

    /// `A → B → Runtime(p=v)` from a build config, with short block names; the runtime's parameters other than paths.
    static func describe(_ cfg: JSONValue?) -> String {
        guard let cfg else { return "unknown pipeline" }
        var parts = (cfg["optimizers"]?.arrayValue ?? []).map { short($0["type"]?.stringValue) }
        if let rt = cfg["runtime"] {
            let params = (rt["parameters"]?.objectPairs ?? []).filter { !$0.0.hasSuffix("_path") && $0.1.objectPairs == nil && $0.1.arrayValue == nil && $0.1 != .null }
                .map { "\($0.0)=\($0.1.stringValue ?? $0.1.serialized(indent: nil))" }
            parts.append(short(rt["type"]?.stringValue) + (params.isEmpty ? "" : "(\(params.joined(separator: ", ")))"))
        }
        return parts.isEmpty ? short(cfg["model_wrapper"]?["type"]?.stringValue) : parts.joined(separator: " → ")
    }

    /// The command that produced the file, as one line.
    public var command: String {
        if let list = doc["command"]?.arrayValue { return list.compactMap(\.stringValue).joined(separator: " ") }
        return doc["command"]?.stringValue ?? ""
    }
}
