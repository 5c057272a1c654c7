import Foundation
import KenningBlocks
import KenningCore
import KenningWorkers

/// A target that serves requests with this build's runtimes: the native one in this process, the framework ones
/// through their workers. It times every inference where it runs (`target_inference_step`), which Kenning's own
/// server does not, and reports who it is in STATS.
///
/// Everything a client names is confined to `workDir`: models and compiled files are written there under names the
/// server picks, whatever paths the client's blocks carry.
final class RuntimeTarget: TargetHandler {
    let registry: BlockRegistry
    /// The scenario's runtime, used when the client's IO spec names none.
    let defaultRuntime: JSONValue?
    let workDir: String
    let log: @Sendable (String) -> Void

    private var io: IOSpec?
    private var runtimeBlock: (config: BlockConfig, runtime: any Runtime)?
    private var format: ModelFormat?
    private var session: (any InferenceSession)?
    private var inputs: [Tensor]?
    private var outputs: [Tensor]?
    private var steps: [Double] = [], stamps: [Double] = []
    private var loadSeconds: Double?
    /// Who this target is, read once per loaded model (STATS is asked after every chunk of inferences).
    private var identity: JSONValue?
    private var sampler: SystemSampler?
    private var optimizers: [BlockConfig] = []
    private var unoptimized: (format: ModelFormat, io: IOSpec?)?

    init(registry: BlockRegistry, defaultRuntime: JSONValue?, workDir: String, log: @escaping @Sendable (String) -> Void) {
        self.registry = registry
        self.defaultRuntime = defaultRuntime
        self.workDir = workDir
        self.log = log
    }

    private func file(_ name: String) -> String { (workDir as NSString).appendingPathComponent(name) }

    func ioSpec(_ payload: [UInt8], serialized: Bool) throws(TargetRefusal) {
        guard !serialized else {
            throw TargetRefusal("the binary (SERIALIZED) IO specification is what a Zephyr runtime takes; this server takes Kenning's JSON one")
        }
        guard let doc = try? JSONValue.parse(String(decoding: payload, as: UTF8.self)) else {
            throw TargetRefusal("the IO specification is not JSON")
        }
        guard let spec = IOSpecFile.parse(doc) else {
            throw TargetRefusal("the IO specification has no \"input\" and \"output\" lists of {name, shape, dtype}")
        }
        guard let runtimeJSON = doc["runtime"] ?? defaultRuntime else {
            throw TargetRefusal("no runtime: the IO specification names none and the server's scenario has no \"runtime\" block")
        }
        let format: ModelFormat
        let config: BlockConfig
        do {
            // The runtime reads the model the server writes; the client's save_model_path is not used here.
            var block = runtimeJSON
            let named = try BlockConfig.parse(block, kind: .runtime, path: "$.runtime", registry: registry)
            format = doc["model_format"]?.stringValue.map { ModelFormat(rawValue: $0) } ?? named.entry.description.inputFormats.first ?? .onnx
            let params = (block["parameters"] ?? .object([])).setting("save_model_path", to: .string(file("model.\(format.rawValue)")))
            block = block.setting("parameters", to: params)
            config = try BlockConfig.parse(block, kind: .runtime, path: "$.runtime", registry: registry)
        } catch {
            throw TargetRefusal("the runtime block: \(error.description)")
        }
        guard case let .runtime(make) = config.entry.maker else { throw TargetRefusal("\(config.entry.description.name) is not a runtime") }
        let runtime: any Runtime
        do { runtime = try make(config.parameters) } catch { throw TargetRefusal(error.description) }
        guard runtime.inputFormats.contains(format) else {
            throw TargetRefusal("\(config.entry.description.name) cannot run \(format) models; it runs \(runtime.inputFormats.map(\.rawValue).joined(separator: ", "))")
        }
        sessionEnded()
        io = spec
        self.format = format
        runtimeBlock = (config, runtime)
        log("IO specification: \(spec.inputs.count) input(s), \(spec.outputs.count) output(s); runtime \(config.label), \(format) models")
    }

    func model(_ payload: [UInt8]) throws(TargetRefusal) {
        guard let io, let format, let (config, runtime) = runtimeBlock else { throw TargetRefusal("MODEL before IO_SPEC") }
        session = nil
        inputs = nil
        outputs = nil
        let path = file("model.\(format.rawValue)")
        do {
            try Data(payload).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TargetRefusal("cannot write the model to \(path): \(error.localizedDescription)")
        }
        let artifact = ModelArtifact(path: path, format: format, io: io)
        if let reason = runtime.incompatibility(with: artifact) { throw TargetRefusal("incompatible model: \(reason)") }
        let t0 = monotonicSeconds()
        do {
            session = try runtime.load(artifact)
        } catch {
            throw TargetRefusal("\(config.label) could not load the model: \(error.description)")
        }
        loadSeconds = monotonicSeconds() - t0
        identity = TargetIdentity.current()
        steps = []
        stamps = []
        _ = sampler?.stop()
        let s = SystemSampler()
        s.start()
        sampler = s
        log(String(format: "model loaded (%d bytes) in %.3f s", payload.count, loadSeconds ?? 0))
    }

    func data(_ payload: [UInt8]) throws(TargetRefusal) {
        guard let io else { throw TargetRefusal("DATA before IO_SPEC") }
        var expected = 0
        for spec in io.inputs {
            guard !spec.shape.contains(where: { $0 < 0 }) else {
                throw TargetRefusal("input \(spec.name) has an unknown dimension \(spec.shape): send an IO specification with concrete shapes")
            }
            expected += spec.shape.reduce(1, *) * TensorBytes.size(spec.elementType)
        }
        guard payload.count == expected else {
            throw TargetRefusal("DATA has \(payload.count) bytes; the IO specification's inputs take \(expected)")
        }
        do {
            inputs = try TensorBytes.decode(payload, specs: io.inputs, batch: io.inputs.first?.shape.first ?? 1, shapes: io.inputs.map(\.shape))
        } catch {
            throw TargetRefusal("DATA does not match the inputs: \(error.description)")
        }
        outputs = nil
    }

    func process() throws(TargetRefusal) {
        guard let session, let inputs else { throw TargetRefusal("PROCESS without a model and input") }
        do {
            let done = try session.runTimed([inputs])
            outputs = done[0].outputs
            steps.append(PipelineRunner.nanoseconds(done[0].seconds))
            stamps.append(PipelineRunner.nanoseconds(done[0].finished))
        } catch {
            outputs = nil
            throw TargetRefusal("the inference failed: \(error.description)")
        }
    }

    func output() throws(TargetRefusal) -> [UInt8] {
        guard let outputs, let io else { throw TargetRefusal("OUTPUT before PROCESS") }
        do { return try TensorBytes.encode(outputs, specs: io.outputs) } catch { throw TargetRefusal(error.description) }
    }

    func stats() throws(TargetRefusal) -> [UInt8] {
        let samples = sampler?.snapshot() ?? SystemSampler.Samples()
        var pairs: [(String, JSONValue)] = [
            ("target", identity ?? TargetIdentity.current()),
            ("target_inference_step", JSONValue(steps)),
            ("target_inference_step_timestamp", JSONValue(stamps)),
            ("target_model_load_seconds", loadSeconds.map { .double($0) } ?? .null),
            ("target_utilization_cpus_percent", .array(samples.cpusPercent.map { JSONValue($0) })),
            ("target_utilization_mem_percent", JSONValue(samples.memPercent)),
            ("target_utilization_timestamp", JSONValue(samples.timestamps)),
            ("target_process_peak_rss_bytes", .int(session?.details.first { $0.0 == "worker_rss_bytes" }?.1.intValue ?? Environment.peakRSSBytes())),
        ]
        if let (config, runtime) = runtimeBlock {
            pairs.append(("target_runtime", .object([("type", .string(config.entry.description.name)), ("framework", .string(runtime.framework.name)),
                                                     ("version", .string(runtime.framework.version))])))
        }
        if let details = session?.details, !details.isEmpty { pairs.append(("runtime_session", .object(details))) }
        return Array(JSONValue.object(pairs).serialized(indent: nil).utf8)
    }

    func optimizers(_ payload: [UInt8]) throws(TargetRefusal) {
        guard let doc = try? JSONValue.parse(String(decoding: payload, as: UTF8.self)) else { throw TargetRefusal("OPTIMIZERS is not JSON") }
        var blocks: [BlockConfig] = []
        for (i, o) in (doc["optimizers"]?.arrayValue ?? []).enumerated() {
            // Compiled files go to the server's folder, named by their position.
            let params = (o["parameters"] ?? .object([])).setting("compiled_model_path", to: .string(file("compiled-\(i)")))
            do {
                blocks.append(try BlockConfig.parse(o.setting("parameters", to: params), kind: .optimizer, path: "$.optimizers[\(i)]", registry: registry))
            } catch {
                throw TargetRefusal("optimizer \(i): \(error.description)")
            }
        }
        guard !blocks.isEmpty else { throw TargetRefusal("OPTIMIZERS lists no optimizers") }
        let prev = doc["prev_block"]
        optimizers = blocks
        unoptimized = (ModelFormat(rawValue: prev?["model_type"]?.stringValue ?? "onnx"), prev?["io_spec"].flatMap(IOSpecFile.parse))
        log("optimizers: \(blocks.map(\.label).joined(separator: " → "))")
    }

    func unoptimizedModel(_ payload: [UInt8]) throws(TargetRefusal) {
        let format = unoptimized?.format ?? .onnx
        do {
            try Data(payload).write(to: URL(fileURLWithPath: file("unoptimized.\(format.rawValue)")), options: .atomic)
        } catch {
            throw TargetRefusal("cannot write the model: \(error.localizedDescription)")
        }
    }

    func optimizeModel() throws(TargetRefusal) -> [UInt8] {
        guard let unoptimized else { throw TargetRefusal("OPTIMIZE_MODEL before OPTIMIZERS") }
        let path = file("unoptimized.\(unoptimized.format.rawValue)")
        do throws(KenningError) {
            let wrapper = try AnyModel(ResolvedParameters.resolve(.object([("model_path", .string(path))]), specs: AnyModel.description.parameters,
                                                                  blockName: "AnyModel"))
            var artifact = try wrapper.artifact()
            if let io = unoptimized.io { artifact.io = io }
            let context = OptimizationContext(dataset: nil, modelWrapper: wrapper)
            for config in optimizers {
                guard case let .optimizer(make) = config.entry.maker else { continue }
                let block = try make(config.parameters)
                guard block.inputFormats.contains(artifact.format) else {
                    throw KenningError.badInput("\(config.entry.description.name) does not accept \(artifact.format) models")
                }
                artifact = try block.compile(artifact, context: context)
                log("optimized with \(config.label) -> \(artifact.path)")
            }
            guard let bytes = FileManager.default.contents(atPath: artifact.path) else {
                throw KenningError.failure("the compiled model \(artifact.path) is not a single file")
            }
            return Array(bytes)
        } catch {
            throw TargetRefusal("optimization failed: \(error.description)")
        }
    }

    func sessionEnded() {
        session = nil
        inputs = nil
        outputs = nil
        _ = sampler?.stop()
        sampler = nil
    }
}
