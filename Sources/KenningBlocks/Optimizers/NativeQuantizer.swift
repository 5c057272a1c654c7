import Foundation
import KenningCore
import KenningModel
import KenningNative

/// Int8 post-training static quantization, calibrated on the pipeline's dataset, written as standard QDQ ONNX
/// (QuantizeLinear/DequantizeLinear around Conv and Gemm), which ONNX Runtime and the native runtime both run.
///
/// Weights are symmetric int8 (per output channel or per tensor; 7-bit with `reduce_range`), biases int32 with scale `s_x · s_w`, activations
/// int8 (asymmetric or symmetric) from min/max or percentile ranges observed on `calibration_samples` samples of
/// the training split. BatchNormalization is folded first. The native runtime executes Conv chains of this form
/// with real int8 kernels (XNNPACK QC8) on its fast backends.
public struct NativeQuantizer: Optimizer {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let calibrationSamples = ParameterKey<Int>("calibration_samples")
        static let perChannel = ParameterKey<Bool>("per_channel")
        static let calibrationMethod = ParameterKey<String>("calibration_method")
        static let percentile = ParameterKey<Double>("percentile")
        static let activationSymmetric = ParameterKey<Bool>("activation_symmetric")
    }

    public static let description = BlockDescription(
        kind: .optimizer, name: "NativeQuantizer",
        summary: "Int8 post-training static quantization (QDQ ONNX), calibrated on the dataset",
        parameters: [
            ParameterSpec(CommonParameter.compiledModelPath, .path, help: "Where the quantized .onnx model is written"),
            ParameterSpec(Key.calibrationSamples, .integer, default: 64, range: 1...100_000,
                          help: "Training samples run through the model to measure activation ranges"),
            ParameterSpec(Key.perChannel, .boolean, default: true, help: "One weight scale per output channel (else one per tensor)"),
            ParameterSpec(Key.calibrationMethod, .choice(["minmax", "percentile"]), default: "minmax",
                          help: "Activation range: observed min/max, or the percentile below"),
            ParameterSpec(Key.percentile, .number, default: 99.99, range: 50...100,
                          help: "With calibration_method percentile: the range covers this percentage of observed values"),
            ParameterSpec(Key.activationSymmetric, .boolean, default: false,
                          help: "Symmetric activations (zero point 0) instead of asymmetric int8"),
            ReduceRange.parameter,
        ],
        inputFormats: [.onnx], outputFormats: [.onnx])

    public let compiledModelPath: String
    public let samples: Int
    public let perChannel: Bool
    public let percentile: Double?
    public let symmetric: Bool
    let reduceRange: ReduceRange
    public let inputFormats: [ModelFormat] = [.onnx]
    public let outputFormat = ModelFormat.onnx
    public var framework: FrameworkInfo { FrameworkInfo(name: "swift-kenning", version: KenningVersion.current) }
    public var machineContext: String { reduceRange.machineContext }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        compiledModelPath = p[CommonParameter.compiledModelPath] ?? ""
        samples = p[Key.calibrationSamples]
        perChannel = p[Key.perChannel]
        percentile = p[Key.calibrationMethod] == "percentile" ? p[Key.percentile] : nil
        symmetric = p[Key.activationSymmetric]
        reduceRange = try ReduceRange(p)
    }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        guard input.format == .onnx else { throw .badInput("NativeQuantizer takes onnx models, got \(input.format)") }
        guard let dataset = context.dataset else {
            throw .badInput("NativeQuantizer needs a dataset to calibrate on", fix: "add a \"dataset\" block to the scenario")
        }
        var model = try ONNX.load(path: input.path)
        guard model.defaultOpset >= 10 else {
            throw .badInput("NativeQuantizer needs opset 10 or newer (QuantizeLinear), the model has opset \(model.defaultOpset)",
                            file: input.path, fix: "re-export the model with a newer opset")
        }
        _ = GraphPasses.removeDeadNodes(&model)
        _ = try GraphPasses.foldConstants(&model, evaluate: NativeSession.evaluate)
        _ = GraphPasses.foldBatchNorm(&model)
        let perChannel = self.perChannel && model.defaultOpset >= 13  // per-axis DequantizeLinear arrived in opset 13
        let plan = QuantizationPlan(model: model)
        guard !plan.nodes.isEmpty else {
            throw .badInput("the model has no Conv or Gemm with constant weights to quantize", file: input.path)
        }
        // Calibration on the training split (the test split stays for measuring accuracy).
        let ranges = try calibrate(model, values: plan.activations, dataset: dataset, context: context, io: input.io)
        var q = QDQWriter(model: model)
        var scales: [String: (Float, Int8)] = [:]
        for value in plan.activations {
            guard let r = ranges[value] else { continue }
            let p = Self.activationParams(low: r.low, high: r.high, symmetric: symmetric)
            scales[value] = p
            q.quantizeActivation(value, scale: p.0, zeroPoint: p.1)
        }
        for index in plan.nodes {
            let node = model.graph.nodes[index]
            guard let (xScale, _) = scales[node.inputs[0]] else { continue }  // input not calibrated: stays float
            q.quantizeWeights(nodeIndex: index, inputScale: xScale, perChannel: perChannel, limit: reduceRange.weightLimit)
        }
        model = try q.finish()
        model.producerName = "swift-kenning NativeQuantizer"
        try ONNX.save(model, to: compiledModelPath)
        let artifact = ModelArtifact(path: compiledModelPath, format: .onnx, io: model.ioSpec)
        try IOSpecFile.write(artifact.io, nextTo: compiledModelPath, quantization: reduceRange.record(quantizer: "NativeQuantizer"))
        return artifact
    }

    /// (scale, zero point) of an int8 activation covering [low, high] (always including 0).
    static func activationParams(low: Float, high: Float, symmetric: Bool) -> (Float, Int8) {
        let lo = min(low, 0), hi = max(high, 0)
        if symmetric {
            let a = max(abs(lo), abs(hi))
            return (a > 0 ? a / 127 : 1, 0)
        }
        let scale = hi > lo ? (hi - lo) / 255 : 1
        let zp = (-128 - lo / scale).rounded(.toNearestOrEven)
        return (scale, Int8(min(max(zp, -128), 127)))
    }

    func calibrate(_ model: Model, values: [String], dataset: any Dataset, context: OptimizationContext,
                   io: IOSpec) throws(KenningError) -> [String: (low: Float, high: Float)] {
        let wanted = Set(values)
        let session = try NativeSession(model: model, threads: 2, backend: .onednn, keepIntermediates: true)
        final class Collector {
            var low: [String: Float] = [:], high: [String: Float] = [:]
            var kept: [String: [Float]] = [:]
        }
        let collector = Collector()
        let keepPerSample = 20_000
        let usePercentile = percentile != nil
        session.observer = { name, t in
            guard wanted.contains(name), case let .float(v) = t.storage, !v.isEmpty else { return }
            if usePercentile {
                let step = max(1, v.count / keepPerSample)
                collector.kept[name, default: []].append(contentsOf: stride(from: 0, to: v.count, by: step).map { v[$0] })
            } else {
                var lo = v[0], hi = v[0]
                for x in v { lo = min(lo, x); hi = max(hi, x) }
                collector.low[name] = min(collector.low[name] ?? lo, lo)
                collector.high[name] = max(collector.high[name] ?? hi, hi)
            }
        }
        let pool = dataset.trainIndices.isEmpty ? dataset.testIndices : dataset.trainIndices
        let count = min(samples, pool.count)
        for i in 0..<count {
            let index = pool[i * pool.count / max(count, 1)]
            let inputs = try context.modelWrapper.preprocess([dataset.sample(index)], inputShapes: dataset.inputShapes, io: io)
            for (info, t) in zip(model.graph.runtimeInputs, inputs) { session.observer?(info.name, t) }
            _ = try session.run(inputs)
        }
        var ranges: [String: (low: Float, high: Float)] = [:]
        if let percentile {
            for (name, var v) in collector.kept {
                v.sort()
                let k = Int((Double(v.count - 1) * percentile / 100).rounded())
                ranges[name] = (v[v.count - 1 - k], v[k])
            }
        } else {
            for (name, lo) in collector.low { ranges[name] = (lo, collector.high[name] ?? lo) }
        }
        return ranges
    }
}
