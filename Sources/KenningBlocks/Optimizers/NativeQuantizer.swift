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
    public static let description = BlockDescription(
        kind: .optimizer, name: "NativeQuantizer",
        summary: "Int8 post-training static quantization (QDQ ONNX), calibrated on the dataset",
        parameters: [
            ParameterSpec("compiled_model_path", .path, help: "Where the quantized .onnx model is written"),
            ParameterSpec("calibration_samples", .integer, default: 64, range: 1...100_000,
                          help: "Training samples run through the model to measure activation ranges"),
            ParameterSpec("per_channel", .boolean, default: true, help: "One weight scale per output channel (else one per tensor)"),
            ParameterSpec("calibration_method", .choice(["minmax", "percentile"]), default: "minmax",
                          help: "Activation range: observed min/max, or the percentile below"),
            ParameterSpec("percentile", .number, default: 99.99, range: 50...100,
                          help: "With calibration_method percentile: the range covers this percentage of observed values"),
            ParameterSpec("activation_symmetric", .boolean, default: false,
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

    public init(_ p: ResolvedParameters) throws(KenningError) {
        compiledModelPath = p.string("compiled_model_path") ?? ""
        samples = p.int("calibration_samples")
        perChannel = p.bool("per_channel")
        percentile = p.string("calibration_method") == "percentile" ? p.double("percentile") : nil
        symmetric = p.bool("activation_symmetric")
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
            let inputs = try context.modelWrapper.preprocess([dataset.sample(index)], sampleShape: dataset.sampleShape, io: io)
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

/// Which nodes get int8 weights and which activation values get QuantizeLinear/DequantizeLinear.
struct QuantizationPlan {
    /// Indices of Conv / Gemm nodes with constant weights.
    var nodes: [Int] = []
    /// Their float inputs and their (post-activation) outputs, excluding graph outputs.
    var activations: [String] = []

    init(model: Model) {
        let g = model.graph
        let graphOutputs = Set(g.outputs.map(\.name))
        var readers: [String: [Int]] = [:]
        for (i, n) in g.nodes.enumerated() { for v in n.presentInputs { readers[v, default: []].append(i) } }
        var seen = Set<String>()
        func add(_ v: String) {
            if !graphOutputs.contains(v), g.initializers[v] == nil, seen.insert(v).inserted { activations.append(v) }
        }
        for (i, n) in g.nodes.enumerated() where n.domain.isEmpty {
            let constantW = n.inputs.count > 1 && g.initializers[n.inputs[1]] != nil
            let constantB = n.inputs.count < 3 || n.inputs[2].isEmpty || g.initializers[n.inputs[2]] != nil
            switch n.opType {
            case "Conv" where constantW && constantB && g.initializers[n.inputs[1]]?.shape.count == 4: break
            case "Gemm" where constantW && constantB && n.int("transA", default: 0) == 0 && n.float("alpha", default: 1) == 1
                && n.float("beta", default: 1) == 1 && (n.inputs.count < 3 || n.inputs[2].isEmpty || g.initializers[n.inputs[2]]?.shape.count == 1):
                break
            default: continue
            }
            nodes.append(i)
            add(n.inputs[0])
            var out = n.outputs[0]
            if let r = readers[out], r.count == 1, ["Relu", "Clip"].contains(g.nodes[r[0]].opType) { out = g.nodes[r[0]].outputs[0] }
            add(out)
        }
    }
}

/// Rewrites a float model into QDQ form.
struct QDQWriter {
    var model: Model
    var extraNodes: [Node] = []
    /// value → its DequantizeLinear output.
    var dequantized: [String: String] = [:]

    init(model: Model) { self.model = model }

    func unique(_ base: String) -> String {
        var name = base, k = 1
        while model.graph.initializers[name] != nil || model.graph.nodes.contains(where: { $0.outputs.contains(name) })
            || extraNodes.contains(where: { $0.outputs.contains(name) }) {
            k += 1
            name = "\(base)_\(k)"
        }
        return name
    }

    mutating func quantizeActivation(_ value: String, scale: Float, zeroPoint: Int8) {
        let s = unique("\(value)_scale"), z = unique("\(value)_zero_point"), q = unique("\(value)_quantized")
        model.graph.setInitializer(s, Tensor(shape: [], floats: [scale]))
        model.graph.setInitializer(z, Tensor(shape: [], int8s: [zeroPoint]))
        let dq = unique("\(value)_dequantized")
        extraNodes.append(Node(name: q, opType: "QuantizeLinear", inputs: [value, s, z], outputs: [q]))
        extraNodes.append(Node(name: dq, opType: "DequantizeLinear", inputs: [q, s, z], outputs: [dq]))
        dequantized[value] = dq
        for i in model.graph.nodes.indices {
            model.graph.nodes[i].inputs = model.graph.nodes[i].inputs.map { $0 == value ? dq : $0 }
        }
    }

    /// Symmetric int8 weights within ±`limit` (127, or 64 with reduce_range).
    mutating func quantizeWeights(nodeIndex: Int, inputScale: Float, perChannel: Bool, limit: Float) {
        var node = model.graph.nodes[nodeIndex]
        guard let w = model.graph.initializers[node.inputs[1]] else { return }
        let axis = node.opType == "Gemm" && node.int("transB", default: 0) == 0 ? 1 : 0
        let channels = w.shape[axis]
        let values = w.floats
        let outer = w.shape.prefix(axis).reduce(1, *), inner = w.shape.suffix(from: axis + 1).reduce(1, *)
        var maxAbs = [Float](repeating: 0, count: channels)
        for o in 0..<outer { for c in 0..<channels { for i in 0..<inner { maxAbs[c] = max(maxAbs[c], abs(values[(o * channels + c) * inner + i])) } } }
        if !perChannel { maxAbs = [Float](repeating: maxAbs.max() ?? 0, count: channels) }
        // Each scale is the one, among ranges clipped to 100 %, 99 %, … 60 % of max |w|, whose rounded weights are
        // closest to the float ones (least squared error): with few levels, clipping a rare outlier makes every other
        // weight finer.
        let groups = perChannel ? (0..<channels).map { [$0] } : [Array(0..<channels)]
        var scales = [Float](repeating: 1, count: channels)
        for group in groups {
            guard let top = group.first.map({ maxAbs[$0] }), top > 0 else { continue }
            var best: (error: Float, scale: Float) = (.infinity, top / limit)
            for step in 0...40 {
                let scale = top * (1 - Float(step) / 100) / limit
                var error: Float = 0
                for o in 0..<outer { for c in group { for i in 0..<inner {
                    let w = values[(o * channels + c) * inner + i]
                    let d = w - min(max((w / scale).rounded(.toNearestOrEven), -limit), limit) * scale
                    error += d * d
                } } }
                if error < best.error { best = (error, scale) }
            }
            for c in group { scales[c] = best.scale }
        }
        var q = [Int8](repeating: 0, count: values.count)
        for o in 0..<outer {
            for c in 0..<channels {
                for i in 0..<inner {
                    let k = (o * channels + c) * inner + i
                    q[k] = Int8(min(max((values[k] / scales[c]).rounded(.toNearestOrEven), -limit), limit))
                }
            }
        }
        let base = node.inputs[1]
        let wq = unique("\(base)_quantized"), ws = unique("\(base)_scale"), wz = unique("\(base)_zero_point"), wdq = unique("\(base)_dequantized")
        model.graph.setInitializer(wq, Tensor(shape: w.shape, int8s: q))
        let scaleCount = perChannel ? channels : 1
        model.graph.setInitializer(ws, Tensor(shape: perChannel ? [channels] : [], floats: Array(scales.prefix(scaleCount))))
        model.graph.setInitializer(wz, Tensor(shape: perChannel ? [channels] : [], int8s: [Int8](repeating: 0, count: scaleCount)))
        var attributes: [(String, AttributeValue)] = []
        if perChannel { attributes.append(("axis", .int(axis))) }
        extraNodes.append(Node(name: wdq, opType: "DequantizeLinear", inputs: [wq, ws, wz], outputs: [wdq], attributes: attributes))
        node.inputs[1] = wdq
        if node.inputs.count > 2, !node.inputs[2].isEmpty, let b = model.graph.initializers[node.inputs[2]], b.count == channels {
            let bScales = scales.map { $0 * inputScale }
            let bq = zip(b.floats, bScales).map { Int32(max(min(($0 / $1).rounded(.toNearestOrEven), 2.0e9), -2.0e9)) }
            let bb = node.inputs[2]
            let bqn = unique("\(bb)_quantized"), bs = unique("\(bb)_scale"), bz = unique("\(bb)_zero_point"), bdq = unique("\(bb)_dequantized")
            model.graph.setInitializer(bqn, Tensor(shape: b.shape, int32s: bq))
            if perChannel {
                model.graph.setInitializer(bs, Tensor(shape: [channels], floats: bScales))
                model.graph.setInitializer(bz, Tensor(shape: [channels], int32s: [Int32](repeating: 0, count: channels)))
                extraNodes.append(Node(name: bdq, opType: "DequantizeLinear", inputs: [bqn, bs, bz], outputs: [bdq], attributes: [("axis", .int(0))]))
            } else {
                model.graph.setInitializer(bs, Tensor(shape: [], floats: [bScales[0]]))
                model.graph.setInitializer(bz, Tensor(shape: [], int32s: [0]))
                extraNodes.append(Node(name: bdq, opType: "DequantizeLinear", inputs: [bqn, bs, bz], outputs: [bdq]))
            }
            node.inputs[2] = bdq
        }
        model.graph.nodes[nodeIndex] = node
    }

    /// Adds the new nodes and puts the graph back in topological order.
    mutating func finish() throws(KenningError) -> Model {
        model.graph.nodes += extraNodes
        extraNodes = []
        model.graph.nodes = try model.graph.topologicallySorted()
        _ = GraphPasses.removeDeadNodes(&model)
        return model
    }
}
