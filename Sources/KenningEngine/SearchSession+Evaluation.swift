import Foundation
import KenningBlocks
import KenningCore
import KenningSearch

/// One evaluation: its artifacts from the cache, an isolated run, and how it ended, classified.
extension SearchSession {

    /// Puts this pipeline's artifacts where its blocks expect them; returns the cache hits or a compile error.
    func materialize(_ pipeline: JSONValue) -> (hits: Int, error: String?) {
        let chain = pipeline["optimizers"]?.arrayValue ?? []
        guard var input = modelHash(pipeline) else {
            return (0, "cannot read the model")
        }
        var hits = 0
        var lastKey: String?
        for block in chain {
            let key = stepKey(input: input, block: block, pipeline: pipeline)
            if cache.artifact(key) != nil {
                hits += 1
                let secondsFile = (cache.entryDirectory(key) as NSString).appendingPathComponent("model.seconds")
                if let s = (try? String(contentsOfFile: secondsFile, encoding: .utf8)).flatMap(Double.init) {
                    stats.add { $0.savedSeconds += s }
                }
            } else if let reason = compileStep(key: key, input: input, block: block, pipeline: pipeline) {
                return (hits, reason)
            }
            if let target = block["parameters"]?["compiled_model_path"]?.stringValue {
                do { try cache.materialize(key, as: target) } catch { return (hits, error.description) }
            }
            lastKey = key
            input = key
        }
        // Without optimizers the run reads the wrapper's model where it is (PipelineRunner), so nothing is copied.
        if let save = pipeline["runtime"]?["parameters"]?["save_model_path"]?.stringValue, !save.isEmpty, let lastKey {
            do {
                try cache.materialize(lastKey, as: save)
            } catch {
                return (hits, error.description)
            }
        }
        stats.add { $0.cacheHits += hits }
        return (hits, nil)
    }

    func key(_ pipeline: JSONValue, budget: JSONValue?) -> String {
        ContentHash.hex(pipeline.serialized(indent: nil) + "|" + (budget?.serialized(indent: nil) ?? ""))
    }

    @discardableResult
    mutating func evaluate(_ c: Candidate, budget: JSONValue?) throws(KenningError) -> Evaluation {
        let id = c.id!
        var pipeline = c.pipeline
        if let budget { pipeline = pipeline.setting("measurement", to: budget) }
        let k = key(c.pipeline, budget: budget)
        // A run whose target went away is measured again: the target may be back.
        if let done = earlier.first(where: { $0.id == id && key($0.pipeline, budget: $0.budget) == k && $0.status != .targetLost }) {
            record(done, journaled: true)
            return done
        }
        let what = runner.describe(c.pipeline)
        let t0 = monotonicSeconds()
        var e = Evaluation(id: id, pipeline: c.pipeline, status: .failed)
        e.budget = budget
        let (hits, compileError) = materialize(c.pipeline)
        e.cacheHits = hits
        if let compileError {
            e.status = .compileError
            e.reason = compileError
        } else {
            e = measure(pipeline, into: e)
        }
        e.wall = monotonicSeconds() - t0
        measuredSeconds += e.window
        journal.append(e.json.setting("key", to: .string(k)))
        record(e, journaled: false)
        progress(e, what: what)
        return e
    }

    /// Measures the model wrapper's own model (no optimizers) on `first`'s runtime, once, as the baseline of the results.
    mutating func measureUnoptimized(_ first: Candidate) {
        let pipeline = first.pipeline.setting("optimizers", to: .array([]))
        var e = measure(pipeline, into: Evaluation(id: -1, pipeline: pipeline, status: .failed), suffix: "_unoptimized")
        e.pipeline = pipeline
        measuredSeconds += e.window
        runner.say("unoptimized model on \(runner.describe(pipeline)): \(e.status.rawValue)"
            + (e.metricMap[op.metric].map { "  \(op.metric)=\(String(format: "%.6g", $0))" } ?? "") + (e.reason.map { " (\($0))" } ?? ""))
        baseline = e
    }

    /// Whether a run's log shows an allocation failure under its memory limit. The one status still read from text:
    /// the Swift runtime and the C libraries report a failed allocation only as a message before the process stops.
    static func outOfMemory(_ log: String) -> Bool {
        log.contains("failed to allocate") || log.contains("Cannot allocate memory")
    }

    func measure(_ pipeline: JSONValue, into base: Evaluation, suffix: String = "") -> Evaluation {
        var e = base
        let id = e.id
        let scenarioPath = (runDir as NSString).appendingPathComponent("scenario_\(id)\(suffix).json")
        let resultPath = (runDir as NSString).appendingPathComponent("run_\(id)\(suffix).result.json")
        let logPath = (runDir as NSString).appendingPathComponent("run_\(id)\(suffix).log")
        let measurementsPath = suffix.isEmpty ? runner.path("_\(id).json") : (runDir as NSString).appendingPathComponent("measurements_\(id)\(suffix).json")
        do {
            try Files.writeJSON(pipeline, to: scenarioPath)
        } catch {
            e.reason = error.description
            return e
        }
        let tmpMeasurements = measurementsPath + ".partial"
        var request = RunRequest(action: .test, scenarioPath: scenarioPath, measurementsPath: tmpMeasurements,
                                 verbosity: runner.options.verbosity, resultPath: resultPath)
        request.referenceOutputsPath = referencePath
        let result = isolated(request, requestPath: (runDir as NSString).appendingPathComponent("run_\(id)\(suffix).request.json"), logPath: logPath,
                              device: pipeline["target_name"]?.stringValue ?? runner.options.rayDevice)
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        switch result {
        case .timedOut:
            e.status = .timeout
            e.reason = "no result within \(Int(runner.options.timeout)) s (log: \(logPath))"
            return e
        case let .signaled(sig):
            let oom = sig == SIGKILL || Self.outOfMemory(log)
            e.status = oom ? .oom : .crash
            e.reason = oom ? "the run ran out of memory (limit \(runner.options.memoryLimitMB) MB; log: \(logPath))"
                : "the run died with signal \(sig) (log: \(logPath))"
            return e
        case let .launchFailed(reason):
            e.reason = reason
            return e
        case let .exited(code, lastError):
            guard code == 0 else {
                let reported = ChildRun.result(at: resultPath)
                let errorCode = reported?.code ?? .unspecified
                if reported?.phase == "compile" {
                    e.status = .compileError
                } else if errorCode == .incompatiblePipeline {
                    e.status = .incompatible
                } else if errorCode == .targetLost {
                    e.status = .targetLost
                } else if errorCode == .targetTimeout {
                    e.status = .timeout
                } else {
                    e.status = Self.outOfMemory(log) ? .oom : .failed
                }
                e.reason = (lastError ?? "exit code \(code)") + " (log: \(logPath))"
                return e
            }
        }
        guard let text = try? String(contentsOfFile: tmpMeasurements, encoding: .utf8), let m = try? JSONValue.parse(text) else {
            e.reason = "the run wrote no readable measurements"
            return e
        }
        try? FileManager.default.removeItem(atPath: measurementsPath)
        try? FileManager.default.moveItem(atPath: tmpMeasurements, toPath: measurementsPath)
        e.metrics = Metrics.compute(from: m)
        e.window = m["measurement_window"]?.doubleValue ?? 0
        if let name = pipeline["target_name"]?.stringValue {
            e.target = .object([("name", .string(name)), ("identity", m["target"] ?? .null)])
        }
        if let steps = m["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue), steps.count > 1 {
            let (mean, median) = Bootstrap.latencyIntervals(steps)
            e.metrics += [("inferencetime_mean_ci_low", mean.low), ("inferencetime_mean_ci_high", mean.high),
                          ("inferencetime_median_ci_low", median.low), ("inferencetime_median_ci_high", median.high)]
        }
        // The output gate: the run's fidelity to the unoptimized model, computed in the run over every output value.
        if !op.outputTolerance.isEmpty, let reference, let outputs = m["output_samples"]?.arrayValue?.map({ $0.arrayValue?.map { Float($0.doubleValue ?? .nan) } ?? [] }) {
            let fidelity = OutputFidelity(json: m["fidelity"]) ?? OutputFidelity(outputs: outputs, reference: reference)
            if !e.metrics.contains(where: { $0.0 == "output_max_abs_diff" }) { e.metrics += fidelity.metrics }
            let diff = fidelity.maxAbsDifference
            let precision = m["model_precision"]?.stringValue ?? "float32"
            let tolerance = op.outputTolerance[precision] ?? op.outputTolerance["float32"]!
            if diff > tolerance || fidelity.lengthsDiffer || fidelity.samples != reference.count {
                e.status = .outputMismatch
                e.reason = String(format: "outputs differ from the unoptimized model's by %.3g (%@ tolerance %.3g)", diff, precision, tolerance)
                return e
            }
        }
        let missing = op.objectives.map(\.metric).filter { name in !e.metrics.contains { $0.0 == name } }
        e.status = missing.isEmpty ? .ok : .metricMissing
        if !missing.isEmpty { e.reason = "the run produced no \(missing.joined(separator: ", "))" }
        return e
    }

    mutating func record(_ e: Evaluation, journaled: Bool) {
        evaluations.removeAll { $0.id == e.id }
        evaluations.append(e)
        try? writeResults()
        if journaled { progress(e, what: runner.describe(e.pipeline) + " (from the journal)") }
    }

    func progress(_ e: Evaluation, what: String) {
        let n = evaluations.count
        let elapsed = monotonicSeconds() - start
        let eta = n > 0 ? elapsed / Double(n) * Double(max(0, total - n)) : 0
        let bestText = currentBest().map { b in
            " best #\(b.id) \(op.metric)=\(String(format: "%.6g", b.metricMap[op.metric] ?? .nan))"
        } ?? ""
        let m = e.metricMap
        let result = e.status == .ok
            ? String(format: "ok  %@=%@  accuracy=%.4f  mean=%.4f ms", op.metric, m[op.metric].map { String(format: "%.6g", $0) } ?? "-",
                     m["accuracy"] ?? .nan, (m["inferencetime_mean"] ?? .nan) * 1000)
            : "\(e.status.rawValue): \(e.reason ?? "")"
        let line = "[\(n)/\(total)] #\(e.id) \(what): \(result)"
        if runner.options.liveProgress {
            runner.say("\r\u{1B}[K" + line)
            FileHandle.standardError.write(Data(String(format: "  ETA %.0f s, cache %d hits%@\r", eta, stats.cacheHits, bestText).utf8))
        } else {
            runner.say(line + String(format: "  (ETA %.0f s, cache hits %d%@)", eta, stats.cacheHits, bestText))
        }
    }
}
