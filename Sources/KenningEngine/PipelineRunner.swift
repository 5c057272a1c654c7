import Foundation
import KenningBlocks
import KenningCore
import KenningModel

/// Runs one scenario: optimizations (`kenning optimize`), measurements (`kenning test`), or both.
public struct PipelineRunner {
    public var scenario: Scenario
    public let configPath: String?
    public let command: [String]
    public let log: @Sendable (String) -> Void
    /// Told which stage the run is in ("compile", "load", "measure"), so a failure can be classified.
    public var onPhase: @Sendable (String) -> Void = { _ in }
    /// The unoptimized model's outputs on the first test samples: the run records its fidelity to them (`fidelity`).
    public var referenceOutputs: [[Double]]?
    /// Raw output values kept per sample in `output_samples` (nil: all of them, as the gate's truth needs).
    public var outputValueCap: Int? = Self.defaultOutputValueCap

    public init(scenario: Scenario, configPath: String?, command: [String], log: @escaping @Sendable (String) -> Void) {
        self.scenario = scenario
        self.configPath = configPath
        self.command = command
        self.log = log
    }

    struct Built {
        var wrapper: any ModelWrapper
        var dataset: (any Dataset)?
        var optimizers: [(config: BlockConfig, block: any Optimizer)]
        var runtime: (config: BlockConfig?, block: any Runtime)
        var platform: (any Platform)?
        /// How the target is reached (nil: the run is local).
        var proto: (any TargetProtocol)?
    }

    func build() throws(KenningError) -> Built {
        func make<T>(_ config: BlockConfig, _ pick: (BlockMaker) -> ((ResolvedParameters) throws(KenningError) -> T)?) throws(KenningError) -> T {
            guard let maker = pick(config.entry.maker) else { throw .failure("internal: \(config.entry.description.name) has the wrong kind") }
            do {
                return try maker(config.parameters)
            } catch {
                throw error.under(config.jsonPath)
            }
        }
        let wrapper = try make(scenario.modelWrapper) { if case let .modelWrapper(f) = $0 { return f }; return nil }
        let dataset = try scenario.dataset.map { (c: BlockConfig) throws(KenningError) -> any Dataset in
            try make(c) { if case let .dataset(f) = $0 { return f }; return nil }
        }
        var optimizers: [(BlockConfig, any Optimizer)] = []
        for c in scenario.optimizers {
            optimizers.append((c, try make(c) { if case let .optimizer(f) = $0 { return f }; return nil }))
        }
        let runtime: (BlockConfig?, any Runtime)
        if let c = scenario.runtime {
            runtime = (c, try make(c) { if case let .runtime(f) = $0 { return f }; return nil })
        } else {
            let defaults = ResolvedParameters(values: NativeRuntime.description.parameters.compactMap { s in s.defaultValue.map { (s.name, $0) } }
                + [("save_model_path", .string(""))])
            runtime = (nil, try NativeRuntime(defaults))
        }
        let platform = try scenario.platform.map { (c: BlockConfig) throws(KenningError) -> any Platform in
            try make(c) { if case let .platform(f) = $0 { return f }; return nil }
        }
        var proto = try scenario.protocolBlock.map { (c: BlockConfig) throws(KenningError) -> any TargetProtocol in
            try make(c) { if case let .protocol(f) = $0 { return f }; return nil }
        }
        if let platform, platform.isLocal, proto != nil {
            throw .badInput("\(scenario.platform!.entry.description.name) is this machine, and the scenario also has a protocol to reach a target",
                            path: "$.platform", fix: "remove the protocol block to measure here, or describe the target with BoardPlatform")
        }
        if proto == nil, let platform, !platform.isLocal {
            proto = platform.defaultProtocol
            guard proto != nil else {
                throw .badInput("the platform \(platform.displayName ?? platform.name ?? "") is not this machine, and nothing says how to reach it",
                                path: "$.platform", fix: "add a protocol block (NetworkProtocol to a `kenning server`, or UARTProtocol), or set uart_port")
            }
        }
        var built = Built(wrapper: wrapper, dataset: dataset, optimizers: optimizers, runtime: runtime, platform: platform, proto: proto)
        if let proto {
            let block = runtime.0?.json ?? .object([("type", .string(NativeRuntime.description.dottedName)), ("parameters", .object([]))])
            built.runtime = (runtime.0, RemoteRuntime(local: runtime.1, block: block, proto: proto))
        }
        return built
    }

    /// How many outputs a run keeps in `output_samples` and compares with the unoptimized model's.
    static let outputSampleCount = 16
    /// Raw values kept of each of them: fidelity is computed on all values, in the run, so the file stays small for
    /// models with large outputs (a segmentation map, a 10 000-class score vector).
    public static let defaultOutputValueCap = 4096
    /// Above this many classes the confusion matrix is written sparse (`eval_confusion_sparse`: its non-zero cells).
    static let denseConfusionClasses = 1000

    /// Runs the pipeline and returns the measurements (also written to `measurementsPath` when given). `sampleLimit`
    /// caps the test samples used.
    @discardableResult
    public func run(optimize: Bool, test: Bool, measurementsPath: String?, inputModel: String? = nil,
                    inputFormat: ModelFormat? = nil, sampleLimit: Int? = nil) throws(KenningError) -> JSONValue {
        onPhase("load")
        let built = try build()
        var artifact: ModelArtifact
        do {
            artifact = try built.wrapper.artifact()
        } catch {
            throw error.under(scenario.modelWrapper.jsonPath)
        }
        if let inputModel {
            // A step of a cached chain: start from an earlier step's artifact instead of the wrapper's model.
            artifact.path = inputModel
            if let inputFormat { artifact.format = inputFormat }
            if let io = IOSpecFile.read(nextTo: inputModel) { artifact.io = io }
        }
        var measurements: [(String, JSONValue)] = []
        var optimizerRecords: [JSONValue] = []
        var compileTimes: [JSONValue] = []
        var targetOptimizationTimes: [JSONValue] = []

        // Check the chain before any work: each block must accept the format the previous one produces.
        var format = artifact.format
        for (config, block) in built.optimizers {
            guard block.inputFormats.contains(format) else {
                throw .badInput("\(config.entry.description.name) does not accept \(format) models", path: config.jsonPath,
                                fix: "reorder the optimizers or add a converter; it accepts \(block.inputFormats.map(\.rawValue).joined(separator: ", "))")
            }
            format = block.outputFormat
        }
        let runtimeBlock = built.runtime.block
        let runtimePath = built.runtime.config?.jsonPath ?? "$.runtime"
        if test, !runtimeBlock.inputFormats.contains(format) {
            throw .badInput("\(built.runtime.config?.entry.description.name ?? "the runtime") cannot run \(format) models", path: runtimePath,
                            fix: "choose a runtime that accepts \(format)")
        }

        if optimize, !built.optimizers.isEmpty {
            onPhase("compile")
            let context = OptimizationContext(dataset: built.dataset, modelWrapper: built.wrapper)
            var next = 0
            while next < built.optimizers.count {
                let (config, block) = built.optimizers[next]
                if config.parameters[CommonParameter.location] == "target" {
                    // Consecutive target optimizers go to the target as one batch (Kenning's grouping).
                    let end = built.optimizers[next...].firstIndex { $0.config.parameters[CommonParameter.location] != "target" } ?? built.optimizers.count
                    let batch = Array(built.optimizers[next..<end])
                    artifact = try optimizeOnTarget(batch, artifact: artifact, built: built, times: &compileTimes, records: &optimizerRecords,
                                                    roundTrips: &targetOptimizationTimes)
                    next = end
                    continue
                }
                let t0 = monotonicSeconds()
                log("optimizing with \(config.label) -> \(block.compiledModelPath)")
                do {
                    artifact = try block.compile(artifact, context: context)
                } catch {
                    throw error.under(config.jsonPath)
                }
                compileTimes.append(.double(monotonicSeconds() - t0))
                var record: [(String, JSONValue)] = [("compiler_framework", .string(block.framework.name)),
                                                     ("compiler_version", .string(block.framework.version))]
                if let q = IOSpecFile.quantization(nextTo: artifact.path) { record.append(("quantization", q)) }
                optimizerRecords.append(.object(record))
                next += 1
            }
            // The runtime loads its own save_model_path (Kenning's contract): give it this run's model, never a stale file.
            if let save = runtimeBlock.saveModelPath, !save.isEmpty, save != artifact.path {
                try Files.copyReplacing(artifact.path, to: save)
                try IOSpecFile.write(artifact.io, nextTo: save, quantization: IOSpecFile.quantization(nextTo: artifact.path))
                artifact.path = save
            }
        } else if test, built.optimizers.isEmpty, inputModel == nil {
            // No optimizers: the runtime runs the model wrapper's model where it is (Kenning sets the runtime's model
            // path to it); the file at save_model_path is neither read nor overwritten.
        } else if test, let save = runtimeBlock.saveModelPath, !save.isEmpty, save != artifact.path {
            guard FileManager.default.fileExists(atPath: save) else {
                throw .badInput("the runtime's model \(save) does not exist", path: "\(runtimePath).parameters.save_model_path",
                                fix: "run `kenning optimize test` to create it")
            }
            artifact.path = save
            // The runtime's file is the last optimizer's product: its format and IO spec, not the wrapper's.
            if let last = built.optimizers.last { artifact.format = last.block.outputFormat }
            if let io = IOSpecFile.read(nextTo: save) { artifact.io = io }
        }
        guard test else {
            if let measurementsPath {
                measurements = header(built: built, optimizerRecords: optimizerRecords, artifact: artifact) + [("optimization_time", .array(compileTimes))]
                if !targetOptimizationTimes.isEmpty { measurements.append(("protocol_model_optimization", .array(targetOptimizationTimes))) }
                try Files.writeJSON(.object(measurements), to: measurementsPath, indent: 2)
            }
            return .object(measurements)
        }
        guard let dataset = built.dataset else {
            throw .badInput("`kenning test` needs a dataset", path: "$", fix: "add a \"dataset\" block to the scenario")
        }
        onPhase("load")
        // The target's memory, before anything is sent to it.
        if let platform = built.platform {
            let size = (try? FileManager.default.attributesOfItem(atPath: artifact.path)[.size] as? Int) ?? 0
            if let reason = platform.fitProblem(modelBytes: size, path: "$.platform.parameters") {
                throw KenningError(.badInput, [Problem("incompatible pipeline: \(reason)", path: "$.platform",
                                                       fix: "choose a smaller model or optimizer settings, or a larger target")],
                                   code: .incompatiblePipeline)
            }
        }
        if let reason = runtimeBlock.incompatibility(with: artifact) {
            throw KenningError(.badInput, [Problem("incompatible pipeline: \(reason)", path: runtimePath, fix: "choose another runtime or model")],
                               code: .incompatiblePipeline)
        }
        measurements = header(built: built, optimizerRecords: optimizerRecords, artifact: artifact)
        if !compileTimes.isEmpty { measurements.append(("optimization_time", .array(compileTimes))) }
        if !targetOptimizationTimes.isEmpty { measurements.append(("protocol_model_optimization", .array(targetOptimizationTimes))) }
        measurements += try measure(runtime: runtimeBlock, artifact: artifact, wrapper: built.wrapper, dataset: dataset,
                                    runtimeBatch: built.runtime.config?.parameters[CommonParameter.batchSize] ?? 1,
                                    sample: !(built.runtime.config?.parameters[CommonParameter.disablePerformanceMeasurements] ?? false),
                                    sampleLimit: sampleLimit)
        let doc = JSONValue.object(measurements)
        if let measurementsPath { try Files.writeJSON(doc, to: measurementsPath, indent: 2) }
        return doc
    }

    /// `seconds` to whole nanoseconds (the clocks' resolution), so a long series is written with the fewest digits.
    static func nanoseconds(_ seconds: Double) -> Double { (seconds * 1e9).rounded() / 1e9 }

    /// The positions of the `k` largest scores, largest first (ties: the earlier position first).
    static func topIndices(_ s: [Float], _ k: Int) -> [Int] {
        var top: [Int] = []
        for i in s.indices {
            guard top.count < k || s[i] > s[top[top.count - 1]] else { continue }
            var at = top.count
            while at > 0, s[i] > s[top[at - 1]] { at -= 1 }
            top.insert(i, at: at)
            if top.count > k { top.removeLast() }
        }
        return top
    }

    /// The confusion matrix in Kenning's dense form (rows = truth), or above `denseConfusionClasses` classes its non-zero
    /// cells as [truth, prediction, count] (a dense 10 000-class matrix would be 100 million numbers).
    static func confusionEntry(_ cells: [Int: Int], classes: Int) -> (String, JSONValue) {
        if classes <= denseConfusionClasses {
            var dense = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
            for (cell, n) in cells { dense[cell / classes][cell % classes] = n }
            return ("eval_confusion_matrix", .array(dense.map { JSONValue($0) }))
        }
        let entries = cells.sorted { $0.key < $1.key }.map { JSONValue([$0.key / classes, $0.key % classes, $0.value]) }
        return ("eval_confusion_sparse", .object([("classes", .int(classes)), ("entries", .array(entries))]))
    }

    /// float32, float16 or int8: what the artifact computes in (decides the output gate's tolerance).
    static func precision(of artifact: ModelArtifact) -> String {
        guard artifact.format == .onnx else { return "float32" }
        return ONNX.precision(path: artifact.path) ?? "float32"
    }

    func header(built: Built, optimizerRecords: [JSONValue], artifact: ModelArtifact) -> [(String, JSONValue)] {
        let size = (try? FileManager.default.attributesOfItem(atPath: artifact.path)[.size] as? Int) ?? 0
        return [
            ("command", .array(command.map { .string($0) })),
            ("build_cfg", scenario.json),
            ("cfg_path", configPath.map { .string($0) } ?? .null),
            ("model_framework", .string(built.wrapper.framework.name)),
            ("model_version", .string(built.wrapper.framework.version)),
            ("optimizers", .array(optimizerRecords)),
            ("runtime", .object([("framework", .string(built.runtime.block.framework.name)), ("version", .string(built.runtime.block.framework.version))])),
            ("compiled_model_path", .string(artifact.path)),
            ("compiled_model_size", .int(size)),
            ("model_precision", .string(Self.precision(of: artifact))),
            ("quantization", IOSpecFile.quantization(nextTo: artifact.path) ?? .null),
            ("class_names", .array((built.dataset?.classNames ?? []).map { .string($0) })),
            ("versions", .object(frameworkVersions(built))),
            ("environment", Environment.fingerprint()),
            ("measurement_settings", scenario.measurement.json),
        ] + (scenario.targetName.map { [("target_name", JSONValue.string($0))] } ?? [])
            + (built.platform.map { [("platform", $0.json)] } ?? [])
    }

    /// swift-kenning's version and that of every framework the pipeline's blocks use.
    func frameworkVersions(_ built: Built) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = [("swift-kenning", .string(KenningVersion.current))]
        for fw in built.optimizers.map(\.block.framework) + [built.runtime.block.framework] where !out.contains(where: { $0.0 == fw.name }) {
            out.append((fw.name, .string(fw.version)))
        }
        return out
    }

    func measure(runtime: any Runtime, artifact: ModelArtifact, wrapper: any ModelWrapper, dataset: any Dataset, runtimeBatch: Int,
                 sample: Bool, sampleLimit: Int? = nil) throws(KenningError) -> [(String, JSONValue)]
    {
        let settings = scenario.measurement
        let fullTest = dataset.testIndices
        let test = Array(fullTest.prefix(min(sampleLimit ?? .max, max(1, Int((Double(fullTest.count) * settings.evalFraction).rounded(.up))))))
        guard !fullTest.isEmpty else {
            let n = dataset.trainIndices.count + dataset.testIndices.count
            throw .badInput("the dataset's test split is empty: \(n) sample(s) in use, \(dataset.trainIndices.count) in the training split",
                            path: "$.dataset.parameters.split_fraction_test",
                            fix: n < 2 ? "use a dataset with at least 2 samples (or a reduce_dataset closer to 1)"
                                : "set split_fraction_test above 0 (e.g. 0.2)")
        }
        let batch = max(1, dataset.batchSize)
        let batches = stride(from: 0, to: test.count, by: batch).map { Array(test[$0..<min($0 + batch, test.count)]) }
        let sampler = SystemSampler()
        if sample { sampler.start() }
        let cpu0 = Environment.processCPUSeconds()
        let loadStart = monotonicSeconds()
        let session = try runtime.load(artifact)
        let loadSeconds = monotonicSeconds() - loadStart
        onPhase("measure")
        func inputs(_ indices: [Int]) throws(KenningError) -> [Tensor] {
            var samples = indices.map(dataset.sample)
            while samples.count < runtimeBatch { samples.append([Float](repeating: 0, count: dataset.sampleShape.reduce(1, *))) }
            return try wrapper.preprocess(samples, inputShapes: dataset.inputShapes, io: artifact.io)
        }
        // Batches go to the session in chunks that hold at most 8 MB of inputs and take about 0.25 s in the first pass
        // over the test split (which runs whole anyway) and 50 ms after it (where the time budget is checked between
        // chunks), so a worker runtime pays its round trips per chunk.
        var wallPerInference = 0.0, bytesPerSet = 0
        func run(_ chunk: [[Int]]) throws(KenningError) -> [TimedInference] {
            let t0 = monotonicSeconds()
            var sets: [[Tensor]] = []
            for b in chunk { sets.append(try inputs(b)) }
            bytesPerSet = max(bytesPerSet, sets.first.map { $0.reduce(0) { $0 + $1.count * 4 } } ?? 0)
            var done = try session.runTimed(sets)
            wallPerInference = (monotonicSeconds() - t0) / Double(max(1, chunk.count))
            for (i, b) in chunk.enumerated() where b.count < runtimeBatch {
                // Padding samples are not results: keep the real ones of a batched first output.
                if var first = done[i].outputs.first, first.shape.first == runtimeBatch {
                    let per = first.count / runtimeBatch
                    first = Tensor(shape: [b.count] + first.shape.dropFirst(), floats: Array(first.floats.prefix(b.count * per)))
                    done[i].outputs[0] = first
                }
            }
            return done
        }
        func chunkSize(_ remaining: Int, seconds: Double = 0.05) -> Int {
            let byTime = wallPerInference > 0 ? Int(seconds / wallPerInference) : 4
            let byBytes = bytesPerSet > 0 ? (8 << 20) / bytesPerSet : 4
            return max(1, min(remaining, byTime, byBytes, 1024))
        }
        var warmup: [Double] = []
        while warmup.count < settings.warmupRuns {
            let n = chunkSize(settings.warmupRuns - warmup.count)
            warmup += try run((warmup.count..<(warmup.count + n)).map { batches[$0 % batches.count] }).map(\.seconds)
        }
        let classes = dataset.classNames.count
        var confusion: [Int: Int] = [:]   // truth * classes + prediction → count
        var top5 = 0, total = 0
        var outputSamples: [[Float]] = []
        var steps: [Double] = [], stamps: [Double] = []
        // Object detection: boxes in each image's pixels, scored with COCO's mAP after the pass.
        let detector = wrapper as? any ObjectDetector, boxData = dataset as? any DetectionDataset
        var found: [COCOEvaluation.Detection] = [], truths: [COCOEvaluation.Truth] = [], images: [Int] = []
        let start = monotonicSeconds()
        // The first pass covers the (evaluated part of the) test split and scores it; further passes only time, until
        // min_runs inferences and min_time seconds of wall-clock time have passed (or max_time has).
        var next = 0
        while next < batches.count {
            let chunk = Array(batches[next..<(next + chunkSize(batches.count - next, seconds: 0.25))])
            next += chunk.count
            for (b, done) in zip(chunk, try run(chunk)) {
                steps.append(Self.nanoseconds(done.seconds))
                stamps.append(Self.nanoseconds(done.finished))
                let scores = try wrapper.postprocess(done.outputs)
                guard scores.count == b.count else {
                    throw .failure("the model returned \(scores.count) results for a batch of \(b.count)")
                }
                for s in scores where outputSamples.count < Self.outputSampleCount { outputSamples.append(s) }
                if let detector, let boxData {
                    for (idx, boxes) in zip(b, try detector.detections(done.outputs, samples: b.count)) {
                        images.append(boxData.imageID(idx))
                        truths += boxData.truth(idx)
                        for d in boxes {
                            guard let c = boxData.category(ofClass: d.classIndex) else { continue }
                            found.append(COCOEvaluation.Detection(image: boxData.imageID(idx), category: c, box: boxData.toImage(d.box, sample: idx), score: d.score))
                        }
                        total += 1
                    }
                    continue
                }
                for (idx, s) in zip(b, scores) {
                    let truth = dataset.label(idx)
                    let ranked = Self.topIndices(s, 5)
                    let pred = ranked.first ?? 0
                    if truth < classes, pred < classes { confusion[truth * classes + pred, default: 0] += 1 }
                    if ranked.contains(truth) { top5 += 1 }
                    total += 1
                }
            }
        }
        func budgetSpent() -> Bool {
            let elapsed = monotonicSeconds() - start
            return (steps.count >= settings.minRuns && elapsed >= settings.minTime) || elapsed >= settings.maxTime
        }
        while !budgetSpent() {
            let n = chunkSize(max(settings.minRuns - steps.count, 1 + Int(max(0, settings.minTime - (monotonicSeconds() - start)) / max(wallPerInference, 1e-6))))
            let chunk = (0..<n).map { batches[(next + $0) % batches.count] }
            next += n
            for done in try run(chunk) {
                steps.append(Self.nanoseconds(done.seconds))
                stamps.append(Self.nanoseconds(done.finished))
            }
        }
        let window = monotonicSeconds() - start
        let cpuUsed = Environment.processCPUSeconds() - cpu0
        let samples = sampler.stop()
        let inferenceSum = steps.reduce(0, +)
        log(String(format: "measured %d inferences over %.3f s (%d warm-up excluded); %.1f µs between inferences on average", steps.count, window,
                   warmup.count, steps.isEmpty ? 0 : max(0, window - inferenceSum) / Double(steps.count) * 1e6))
        // The runtime's own account (e.g. the execution providers really used), under "runtime_session".
        let details: [(String, JSONValue)] = session.details.isEmpty ? [] : [("runtime_session", .object(session.details))]
        for warning in session.details.first(where: { $0.0 == "warnings" })?.1.arrayValue ?? [] {
            if let text = warning.stringValue { log("warning: \(text)") }
        }
        var detection: [(String, JSONValue)] = []
        if detector != nil, boxData != nil {
            let r = COCOEvaluation.evaluate(truth: truths, detections: found, images: images)
            // mAP@.5 of the detections kept at each score threshold, Kenning's report range 0.2…0.95.
            let curve = stride(from: 0.2, through: 0.951, by: 0.05).map { t in
                JSONValue.array([.double((t * 100).rounded() / 100),
                                 .double(COCOEvaluation.evaluate(truth: truths, detections: found.filter { $0.score >= t }, images: images).map50)])
            }
            detection = [("detection", .object([("map", .double(r.map)), ("map50", .double(r.map50)), ("map75", .double(r.map75)),
                                                ("images", .int(images.count)), ("detections", .int(found.count)),
                                                ("map_per_threshold", .array(curve))])),
                         // COCO's results format, for pycocotools and reports (the first 20 000 boxes).
                         ("coco_detections", .array(found.prefix(20_000).map { d in
                             .object([("image_id", .int(d.image)), ("category_id", .int(d.category)), ("bbox", JSONValue(d.box)), ("score", .double(d.score))])
                         }))]
        }
        var fidelity: [(String, JSONValue)] = []
        if let referenceOutputs { fidelity.append(("fidelity", OutputFidelity(outputs: outputSamples, reference: referenceOutputs).json)) }
        if let cap = outputValueCap, outputSamples.contains(where: { $0.count > cap }) { fidelity.append(("output_samples_value_cap", .int(cap))) }
        let entries: [(String, JSONValue)] = details + session.measurements + detection + fidelity + [
            ("measurement_window", .double(window)),
            ("warmup_inference_step", JSONValue(warmup)),
            ("target_inference_step", JSONValue(steps)),
            ("target_inference_step_timestamp", JSONValue(stamps)),
            ("session_utilization_cpus_percent", .array(samples.cpusPercent.map { JSONValue($0) })),
            ("session_utilization_mem_percent", JSONValue(samples.memPercent)),
            ("session_utilization_timestamp", JSONValue(samples.timestamps)),
            ("session_process_cpu_seconds", .double(cpuUsed)),
            ("session_process_peak_rss_bytes", .int(Environment.peakRSSBytes())),
            // The process that ran the model: this one, or the framework worker (its largest resident size seen).
            ("model_process_peak_rss_bytes", .int(session.details.first { $0.0 == "worker_rss_bytes" }?.1.intValue ?? Environment.peakRSSBytes())),
            ("model_load_seconds", .double(loadSeconds)),
        ] + (detector != nil && boxData != nil ? [] : [
            Self.confusionEntry(confusion, classes: classes),
            ("top_5_count", .int(top5)),
        ]) + [
            ("total", .int(total)),
            ("output_samples", .array(outputSamples.map { JSONValue($0.prefix(outputValueCap ?? .max).map { Double($0) }) })),
        ]
        return Self.targetResources(entries)
    }

    /// On a remote target the model's CPU, memory and process figures are the target's: its `target_*` entries become
    /// the `session_utilization_*` and `model_process_peak_rss_bytes` the metrics read, and this machine's own are
    /// kept as `host_utilization_*`.
    static func targetResources(_ entries: [(String, JSONValue)]) -> [(String, JSONValue)] {
        let target = Dictionary(entries.filter { $0.0.hasPrefix("target_utilization_") || $0.0 == "target_process_peak_rss_bytes" },
                                uniquingKeysWith: { a, _ in a })
        guard !target.isEmpty else { return entries }
        var out: [(String, JSONValue)] = []
        for (key, value) in entries {
            if key.hasPrefix("target_utilization_") || key == "target_process_peak_rss_bytes" { continue }
            if key.hasPrefix("session_utilization_") {
                let suffix = key.dropFirst("session_utilization_".count)
                out.append(("host_utilization_\(suffix)", value))
                out.append((key, target["target_utilization_\(suffix)"] ?? value))
            } else if key == "model_process_peak_rss_bytes" {
                out.append((key, target["target_process_peak_rss_bytes"] ?? value))
            } else {
                out.append((key, value))
            }
        }
        return out
    }
}
