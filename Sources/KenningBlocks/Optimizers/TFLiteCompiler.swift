import Foundation
import KenningCore
import KenningWorkers

/// TFLite conversion: keras through TensorFlow's converter (the optional .venv-tf), ONNX through swift-kenning's own
/// ONNX→TFLite converter (CNN op subset, float32, no TensorFlow), and what that cannot translate through onnx2tf (the
/// optional .venv-onnx2tf).
public struct TFLiteCompiler: WorkerBackedOptimizer {
    /// Kenning's TFLiteCompiler parameters for quantization-aware training and TFLite Micro's op resolver, neither of
    /// which this build has: accepted at Kenning's defaults.
    static let unavailable: [ParameterSpec] = [
        ParameterSpec("epochs", .integer, default: 3, range: 0...100_000, help: "Quantization-aware training epochs (training is not available)"),
        ParameterSpec(CommonParameter.batchSize, .integer, default: 32, range: 1...65536, help: "Quantization-aware training batch size (training is not available)"),
        ParameterSpec("optimizer", .choice(["adam", "SGD", "RMSprop"]), default: "adam", help: "Quantization-aware training optimizer (training is not available)"),
        ParameterSpec("disable_from_logits", .boolean, default: false, help: "Quantization-aware training loss switch (training is not available)"),
        ParameterSpec("save_to_zip", .boolean, default: false, help: "Zipped output is not available; must be false"),
        ParameterSpec("resolver_template_path", .path, default: .null, nullable: true, help: "TFLite Micro op resolver template (not available; must be null)"),
        ParameterSpec("resolver_output_path", .path, default: .null, nullable: true, help: "TFLite Micro op resolver output (not available; must be null)"),
    ]

    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let inferenceInputType = ParameterKey<String>("inference_input_type")
        static let inferenceOutputType = ParameterKey<String>("inference_output_type")
        static let quantizationAwareTraining = ParameterKey<Bool>("quantization_aware_training")
        static let target = ParameterKey<String>("target")
        static let useTFSelectOps = ParameterKey<Bool>("use_tf_select_ops")
    }

    public static let description = BlockDescription(
        kind: .optimizer, name: "TFLiteCompiler", kenningModule: "kenning.optimizers.tflite",
        summary: "Converts keras models (TensorFlow's converter: scripts/setup-frameworks --with-tensorflow) or ONNX models (our converter for CNNs, onnx2tf for the rest: scripts/setup-frameworks --with-onnx2tf; float32) to .tflite",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec(Key.target, .choice(["default", "int8", "float16", "edgetpu"]), default: "default",
                          help: "default (float32); int8 (calibrated on the dataset) and float16 need a keras input; edgetpu is not available"),
            ParameterSpec(Key.inferenceInputType, .choice(["float32", "int8", "uint8"]), default: "float32", help: "Model input type (float32 only)"),
            ParameterSpec(Key.inferenceOutputType, .choice(["float32", "int8", "uint8"]), default: "float32", help: "Model output type (float32 only)"),
            ParameterSpec(CommonParameter.datasetPercentage, .number, default: 0.25, range: 0.0001...1, help: "Fraction of the training split used to calibrate int8"),
            ParameterSpec(Key.quantizationAwareTraining, .boolean, default: false, help: "Not available; must be false"),
            ParameterSpec(Key.useTFSelectOps, .boolean, default: false, help: "Allow TensorFlow ops LiteRT lacks (keras input only)"),
        ] + unavailable, modelFrameworks: ["keras", "onnx"]),
        inputFormats: [.keras, .onnx], outputFormats: [.tflite])

    let support: WorkerOptimizerSupport
    public var framework: FrameworkInfo { frameworkInfo("tflite", package: "ai-edge-litert") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        if p[Key.inferenceInputType] != "float32" || p[Key.inferenceOutputType] != "float32" {
            throw .badInput("TFLiteCompiler: only float32 model inputs and outputs are available (the host sends and reads float32)",
                            path: "$.parameters", fix: "remove inference_input_type / inference_output_type")
        }
        if p[Key.quantizationAwareTraining] {
            throw .badInput("TFLiteCompiler: quantization_aware_training is not available", path: "$.parameters.quantization_aware_training",
                            fix: "set it to false; use \"target\": \"int8\" for post-training quantization")
        }
        if p[Key.target] == "edgetpu" {
            throw .badInput("TFLiteCompiler: target edgetpu needs the Edge TPU compiler, which is not available", path: "$.parameters.target",
                            fix: "use default, float16 or int8")
        }
        try p.requireDefaults(Self.unavailable, block: "TFLiteCompiler", why: "no quantization-aware training, zipped output or TFLite Micro resolver")
        support = WorkerOptimizerSupport(block: "TFLiteCompiler", framework: "tflite", inputs: [.keras, .onnx], output: .tflite, parameters: p)
    }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        let target = support.parameters[Key.target] ?? "default"
        var input = input
        if let real = WorkerOptimizerSupport.sniff(file: input.path) { input.format = real }
        if input.format == .keras {
            var calibration: [[Tensor]] = []
            if target == "int8" {
                guard let dataset = context.dataset else {
                    throw .badInput("TFLiteCompiler target int8 needs a dataset to calibrate on", path: "$.parameters.target", fix: "add a \"dataset\" block")
                }
                calibration = try calibrationBatches(dataset: dataset, wrapper: context.modelWrapper, io: input.io,
                                                     fraction: support.parameters[CommonParameter.datasetPercentage], limit: 200)
            }
            return try support.compile(input, calibration: calibration, framework: "tensorflow")
        }
        guard target == "default", !support.parameters[Key.useTFSelectOps] else {
            throw .badInput("TFLiteCompiler: target \(target) and use_tf_select_ops need a keras input (TensorFlow's converter); the ONNX converter makes float32 only",
                            path: "$.parameters.target", fix: "use \"target\": \"default\" for ONNX models")
        }
        do {
            return try support.compile(input)
        } catch let ours where "\(ours)".contains("UnsupportedOp") {
            // Our converter covers a CNN subset; onnx2tf (in its own optional venv) converts the rest.
            if let reason = WorkerEnvironment.unavailableReason(for: "onnx2tf") {
                throw .failure("\(ours.problems.first?.what ?? "\(ours)"); onnx2tf, which converts any model, is not set up: \(reason)",
                               fix: "run scripts/setup-frameworks --with-onnx2tf")
            }
            do {
                return try support.compile(input, framework: "onnx2tf")
            } catch {
                throw .failure("neither converter translates the model: \(ours.problems.first?.what ?? "\(ours)"); onnx2tf: \(error.problems.first?.what ?? "\(error)")",
                               fix: "export the model with ops LiteRT supports, or use another optimizer")
            }
        }
    }
}
