import Foundation
import KenningCore
import KenningWorkers

/// A model on a target: each inference is DATA, PROCESS and OUTPUT over the protocol. The time recorded for an
/// inference is the target's own (from its STATS, asked once per chunk) when the server keeps one — a
/// `kenning server` does — and the client's round trip of PROCESS otherwise; the round trips are kept as Kenning's
/// `protocol_inference_step` either way.
final class RemoteInferenceSession: InferenceSession {
    private let target: TargetClient
    private let artifact: ModelArtifact
    private let runtime: JSONValue
    /// The input shapes the target's model was sent for (nil until the first inference: the IO specification the
    /// protocol carries must have concrete shapes).
    private var loadedShapes: [[Int]]?
    private var concrete: IOSpec
    private var protocolSteps: [Double] = []
    /// Whether the target reports its own per-inference times (nil: not asked yet).
    private var targetTimes: Bool?
    private var lastStats: JSONValue?

    init(artifact: ModelArtifact, runtime: JSONValue, proto: any TargetProtocol) throws(KenningError) {
        self.artifact = artifact
        self.runtime = runtime
        concrete = artifact.io
        target = try TargetClient(proto)
        if !artifact.io.inputs.contains(where: { $0.shape.contains { $0 < 0 } }) { try send(shapes: artifact.io.inputs.map(\.shape)) }
    }

    deinit { target.close() }

    /// IO_SPEC (with the runtime block and the model's format) and MODEL.
    private func send(shapes: [[Int]]) throws(KenningError) {
        concrete = artifact.io
        for i in concrete.inputs.indices where i < shapes.count { concrete.inputs[i].shape = shapes[i] }
        let spec = concrete.json.setting("runtime", to: runtime).setting("model_format", to: .string(artifact.format.rawValue))
        try target.upload(.ioSpec, Array(spec.serialized(indent: nil).utf8))
        guard let bytes = FileManager.default.contents(atPath: artifact.path) else {
            throw .failure("cannot read the model \(artifact.path) to send it to the target")
        }
        try target.upload(.model, Array(bytes))
        loadedShapes = shapes
    }

    func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor] { try runTimed([inputs])[0].outputs }

    func runTimed(_ sets: [[Tensor]]) throws(KenningError) -> [TimedInference] {
        var out: [TimedInference] = []
        for inputs in sets {
            let shapes = inputs.map(\.shape)
            if shapes != loadedShapes { try send(shapes: shapes) }
            try target.upload(.data, try TensorBytes.encode(inputs, specs: concrete.inputs))
            let t0 = monotonicSeconds()
            try target.upload(.process)
            let t1 = monotonicSeconds()
            let bytes = try target.download(.output)
            let outputs: [Tensor]
            do {
                outputs = try TensorBytes.decode(bytes, specs: concrete.outputs, batch: shapes.first?.first ?? 1)
            } catch {
                throw .failure("the target's OUTPUT does not match the model's outputs: \(error.description)")
            }
            protocolSteps.append(PipelineRunner.nanoseconds(t1 - t0))
            out.append(TimedInference(outputs: outputs, seconds: t1 - t0, finished: t1))
        }
        if targetTimes != false { try useTargetTimes(&out) }
        return out
    }

    /// Replaces the round trips with the target's own times of the same inferences, placed on this clock so the
    /// last one ends when its PROCESS reply arrived.
    private func useTargetTimes(_ out: inout [TimedInference]) throws(KenningError) {
        let stats = try target.download(.stats)
        guard let doc = try? JSONValue.parse(String(decoding: stats, as: UTF8.self)) else {
            targetTimes = false
            return
        }
        lastStats = doc
        guard let steps = doc["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue), steps.count >= out.count else {
            targetTimes = false
            return
        }
        targetTimes = true
        let stamps = doc["target_inference_step_timestamp"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let mine = Array(steps.suffix(out.count))
        let theirStamps = stamps.count == steps.count ? Array(stamps.suffix(out.count)) : []
        let shift = (out.last?.finished ?? 0) - (theirStamps.last ?? 0)
        for i in out.indices {
            out[i].seconds = mine[i]
            if !theirStamps.isEmpty { out[i].finished = theirStamps[i] + shift }
        }
    }

    var details: [(String, JSONValue)] {
        lastStats?["runtime_session"]?.objectPairs ?? []
    }

    /// Kenning's `protocol_inference_step` (round trips of PROCESS as this side saw them), what the target said about
    /// itself, and its own resource figures.
    var measurements: [(String, JSONValue)] {
        var pairs: [(String, JSONValue)] = [("protocol_inference_step", JSONValue(protocolSteps)),
                                            ("inference_step_source", .string(targetTimes == true ? "target" : "protocol"))]
        if let stats = lastStats ?? (try? target.download(.stats)).flatMap({ try? JSONValue.parse(String(decoding: $0, as: UTF8.self)) }),
           let fields = stats.objectPairs {
            pairs += fields.filter { $0.0 == "target" || ($0.0.hasPrefix("target_") && !$0.0.hasPrefix("target_inference_step")) }
        }
        return pairs
    }
}
