import Foundation
import KenningCore
import KenningWorkers

/// ONNX Runtime's quantizer: dynamic, or static with calibration on the pipeline's dataset (QDQ or QOperator).
public struct ONNXRuntimeQuantizer: WorkerBackedOptimizer {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let quantization = ParameterKey<String>("quantization")
    }

    public static let description = BlockDescription(
        kind: .optimizer, name: "ONNXRuntimeQuantizer",
        summary: "Quantizes an ONNX model to int8 with ONNX Runtime (dynamic, or static QDQ/QOperator calibrated on the dataset's training split)",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec(Key.quantization, .choice(["static", "dynamic"]), default: "static",
                          help: "static: activations too, calibrated on data; dynamic: weights only, activations quantized at run time"),
            ParameterSpec("quant_format", .choice(["QDQ", "QOperator"]), default: "QDQ", help: "Static quantization's graph form"),
            ParameterSpec("per_channel", .boolean, default: false, help: "One scale per output channel of each weight"),
            ParameterSpec("weight_type", .choice(["int8", "uint8"]), default: "int8", help: "Weight integer type"),
            ParameterSpec("activation_type", .choice(["int8", "uint8"]), default: "uint8", help: "Activation integer type (static)"),
            ParameterSpec("calibration_method", .choice(["MinMax", "Entropy", "Percentile"]), default: "MinMax", help: "How ranges are calibrated"),
            ParameterSpec(CommonParameter.datasetPercentage, .number, default: 0.25, range: 0.0001...1,
                          help: "Fraction of the training split used for calibration (at most 500 samples)"),
            ReduceRange.parameter,
        ]),
        inputFormats: [.onnx], outputFormats: [.onnx])

    let support: WorkerOptimizerSupport
    let reduceRange: ReduceRange
    public var framework: FrameworkInfo { frameworkInfo("onnxruntime", package: "onnxruntime") }
    public var machineContext: String { reduceRange.machineContext }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = WorkerOptimizerSupport(block: "ONNXRuntimeQuantizer", framework: "onnxruntime", inputs: [.onnx], output: .onnx, parameters: p)
        reduceRange = try ReduceRange(p)
    }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        var calibration: [[Tensor]] = []
        if support.parameters[Key.quantization] == "static" {
            guard let dataset = context.dataset else {
                throw .badInput("ONNXRuntimeQuantizer with static quantization needs a dataset to calibrate on", path: "$.parameters.quantization",
                                fix: "add a \"dataset\" block or use \"quantization\": \"dynamic\"")
            }
            calibration = try calibrationBatches(dataset: dataset, wrapper: context.modelWrapper, io: input.io,
                                                 fraction: support.parameters[CommonParameter.datasetPercentage])
        }
        return try support.compile(input, calibration: calibration, settings: [("reduce_range", .bool(reduceRange.enabled))],
                                   quantization: reduceRange.record(quantizer: "ONNXRuntimeQuantizer"))
    }
}
