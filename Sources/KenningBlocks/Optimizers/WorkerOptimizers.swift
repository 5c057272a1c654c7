import Foundation
import KenningCore
import KenningWorkers

/// What every worker-backed optimizer shares: the base parameters, the request to the worker and the artifact.
struct WorkerOptimizerSupport: Sendable {
    let block: String
    let framework: String
    let inputs: [ModelFormat]
    let output: ModelFormat
    let parameters: ResolvedParameters

    static func common(_ extra: [ParameterSpec]) -> [ParameterSpec] {
        [
            ParameterSpec("compiled_model_path", .path, help: "Where the compiled model is written"),
            ParameterSpec("location", .choice(["host"]), default: "host", help: "Where the optimization runs (only the host for now)"),
        ] + extra
    }

    var compiledModelPath: String { parameters.string("compiled_model_path") ?? "" }

    /// The formats the block instance admits before looking at the bytes: its own, plus the model wrappers' formats.
    /// The engine's cached compile steps label an earlier step's artifact with the wrapper's format (keras for a
    /// keras → TFLite → TVM chain), so the instance cannot trust the label; `compile` reads the real format from the
    /// file. Pipeline planning still uses the block description's exact formats.
    var admitted: [ModelFormat] { inputs + [.onnx, .keras].filter { !inputs.contains($0) } }

    /// The format of a model file, from its first bytes (nil when unknown).
    static func sniff(_ data: Data) -> ModelFormat? {
        let b = [UInt8](data.prefix(256))
        guard b.count >= 8 else { return nil }
        if b[4...7] == [0x54, 0x46, 0x4C, 0x33] { return .tflite }                 // "TFL3"
        if b[0...3] == [0x4B, 0x4E, 0x56, 0x58] { return .openvino }               // our IR bundle "KNVX"
        if b[0...3] == [0x89, 0x48, 0x44, 0x46] { return .keras }                  // HDF5 (.h5)
        if b[0...1] == [0x50, 0x4B] {                                               // a zip: IREE's .vmfb or a .keras
            let iree: [UInt8] = [0x49, 0x52, 0x45, 0x45]
            return (0..<(b.count - 3)).contains { Array(b[$0..<($0 + 4)]) == iree } ? .iree : .keras
        }
        if b[0] == 0x08 { return .onnx }                                           // ModelProto field 1 (ir_version)
        return nil
    }

    /// `settings` override parameter values sent to the worker (a decided `auto`); `quantization` goes to the side file.
    func compile(_ input: ModelArtifact, calibration: [[Tensor]] = [], framework override: String? = nil,
                 settings: [(String, JSONValue)] = [], quantization: JSONValue? = nil) throws(KenningError) -> ModelArtifact {
        guard let data = FileManager.default.contents(atPath: input.path) else {
            throw .badInput("cannot read the model \(input.path)", file: input.path, fix: "check the model path")
        }
        var input = input
        if let real = Self.sniff(data) { input.format = real }
        guard inputs.contains(input.format) else {
            throw .badInput("\(block) takes \(inputs.map(\.rawValue).joined(separator: ", ")) models, got \(input.format)",
                            fix: "put it where the previous block produces one of those formats")
        }
        let out = (compiledModelPath as NSString).standardizingPath
        let absolute = out.hasPrefix("/") ? out : FileManager.default.currentDirectoryPath + "/" + out
        try? FileManager.default.createDirectory(atPath: (absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var params = parameters.json.setting("compiled_model_path", to: .string(absolute))
        params = params.setting("model_framework", to: .string(input.format.rawValue))
        for (key, value) in settings { params = params.setting(key, to: value) }
        let bytes = try WorkerCompilation.compile(framework: override ?? framework, type: block, parameters: params, model: [UInt8](data), io: input.io,
                                                  calibration: calibration)
        if !FileManager.default.fileExists(atPath: absolute) {
            // A worker elsewhere (a remote target) cannot write our file: write the bytes it returned.
            do { try Data(bytes).write(to: URL(fileURLWithPath: absolute), options: .atomic) } catch {
                throw .failure("cannot write \(absolute): \(error.localizedDescription)", fix: "choose a writable compiled_model_path")
            }
        }
        let artifact = ModelArtifact(path: compiledModelPath, format: output, io: input.io)
        try IOSpecFile.write(artifact.io, nextTo: compiledModelPath, quantization: quantization)
        return artifact
    }
}

/// ONNX Runtime's quantizer: dynamic, or static with calibration on the pipeline's dataset (QDQ or QOperator).
public struct ONNXRuntimeQuantizer: WorkerBackedOptimizer {
    public static let description = BlockDescription(
        kind: .optimizer, name: "ONNXRuntimeQuantizer",
        summary: "Quantizes an ONNX model to int8 with ONNX Runtime (dynamic, or static QDQ/QOperator calibrated on the dataset's training split)",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec("quantization", .choice(["static", "dynamic"]), default: "static",
                          help: "static: activations too, calibrated on data; dynamic: weights only, activations quantized at run time"),
            ParameterSpec("quant_format", .choice(["QDQ", "QOperator"]), default: "QDQ", help: "Static quantization's graph form"),
            ParameterSpec("per_channel", .boolean, default: false, help: "One scale per output channel of each weight"),
            ParameterSpec("weight_type", .choice(["int8", "uint8"]), default: "int8", help: "Weight integer type"),
            ParameterSpec("activation_type", .choice(["int8", "uint8"]), default: "uint8", help: "Activation integer type (static)"),
            ParameterSpec("calibration_method", .choice(["MinMax", "Entropy", "Percentile"]), default: "MinMax", help: "How ranges are calibrated"),
            ParameterSpec("dataset_percentage", .number, default: 0.25, range: 0.0001...1,
                          help: "Fraction of the training split used for calibration (at most 500 samples)"),
            ReduceRange.parameter,
        ]),
        inputFormats: [.onnx], outputFormats: [.onnx])

    let support: WorkerOptimizerSupport
    let reduceRange: ReduceRange
    public var framework: FrameworkInfo { frameworkInfo("onnxruntime", package: "onnxruntime") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = WorkerOptimizerSupport(block: "ONNXRuntimeQuantizer", framework: "onnxruntime", inputs: [.onnx], output: .onnx, parameters: p)
        reduceRange = try ReduceRange(p)
    }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        var calibration: [[Tensor]] = []
        if support.parameters.string("quantization") == "static" {
            guard let dataset = context.dataset else {
                throw .badInput("ONNXRuntimeQuantizer with static quantization needs a dataset to calibrate on", path: "$.parameters.quantization",
                                fix: "add a \"dataset\" block or use \"quantization\": \"dynamic\"")
            }
            calibration = try calibrationBatches(dataset: dataset, wrapper: context.modelWrapper, io: input.io,
                                                 fraction: support.parameters.double("dataset_percentage"))
        }
        return try support.compile(input, calibration: calibration, settings: [("reduce_range", .bool(reduceRange.enabled))],
                                   quantization: reduceRange.record(quantizer: "ONNXRuntimeQuantizer"))
    }
}

/// Preprocessed training samples for calibration, in batches of up to 64; evenly spread over the training split.
func calibrationBatches(dataset: any Dataset, wrapper: any ModelWrapper, io: IOSpec, fraction: Double, limit: Int = 500) throws(KenningError) -> [[Tensor]] {
    let train = dataset.trainIndices.isEmpty ? dataset.testIndices : dataset.trainIndices
    let count = min(limit, max(1, Int((Double(train.count) * fraction).rounded())))
    let step = Double(train.count) / Double(count)
    let picked = (0..<count).map { train[min(train.count - 1, Int(Double($0) * step))] }
    var batches: [[Tensor]] = []
    for start in stride(from: 0, to: picked.count, by: 64) {
        let samples = picked[start..<min(start + 64, picked.count)].map(dataset.sample)
        batches.append(try wrapper.preprocess(Array(samples), sampleShape: dataset.sampleShape, io: io))
    }
    return batches
}

/// OpenVINO's model conversion to IR.
public struct OpenVINOCompiler: WorkerBackedOptimizer {
    public static let description = BlockDescription(
        kind: .optimizer, name: "OpenVINOCompiler",
        summary: "Converts ONNX or TFLite models to OpenVINO IR; compiled_model_path gets a one-file bundle (xml + weights) for OpenVINORuntime, and the plain IR is written beside it as <path>.ir.xml/.ir.bin",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec("precision", .choice(["FP32", "FP16"]), default: "FP32",
                          help: "Weight precision in the IR (FP16 = OpenVINO's own default weight compression; outputs then differ by ~1e-2)"),
        ]),
        inputFormats: [.onnx, .tflite], outputFormats: [.openvino])

    let support: WorkerOptimizerSupport
    public var framework: FrameworkInfo { frameworkInfo("openvino", package: "openvino") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = WorkerOptimizerSupport(block: "OpenVINOCompiler", framework: "openvino", inputs: [.onnx, .tflite], output: .openvino, parameters: p)
    }
}

/// IREE: ONNX import (opset 17) and iree-compile for the CPU.
public struct IREECompiler: WorkerBackedOptimizer {
    public static let description = BlockDescription(
        kind: .optimizer, name: "IREECompiler", kenningModule: "kenning.optimizers.iree",
        summary: "Compiles ONNX models to IREE modules (.vmfb) for the llvm-cpu backend (static batch of 1)",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec("backend", .choice(["llvm-cpu"]), default: "llvm-cpu", help: "IREE target backend"),
            ParameterSpec("compiler_args", .stringList, default: [], help: "Extra iree-compile flags, e.g. \"--iree-opt-level=O3\""),
            ParameterSpec("target_cpu", .string, default: "host", help: "--iree-llvmcpu-target-cpu (host = this machine's CPU)"),
        ]),
        inputFormats: [.onnx], outputFormats: [.iree])

    let support: WorkerOptimizerSupport
    public var framework: FrameworkInfo { frameworkInfo("iree", package: "iree-base-compiler") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = WorkerOptimizerSupport(block: "IREECompiler", framework: "iree", inputs: [.onnx], output: .iree, parameters: p)
    }
}

/// Apache TVM 0.27 (Relax): ONNX import, optional conv2d layout conversion, build for an LLVM target.
public struct TVMCompiler: WorkerBackedOptimizer {
    public static let description = BlockDescription(
        kind: .optimizer, name: "TVMCompiler", kenningModule: "kenning.optimizers.tvm",
        summary: "Compiles ONNX or TFLite models with Apache TVM (Relax) into a shared library for TVMRuntime (untuned; static batch of 1)",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec("target", .string, default: "llvm", help: "TVM target, e.g. \"llvm\" or \"llvm -mcpu=znver3\" (turned into TVM 0.27's dict form)"),
            ParameterSpec("target_attrs", .string, default: "", help: "Extra target options appended to target"),
            ParameterSpec("target_host", .string, default: .null, nullable: true, help: "Ignored: on the CPU the host is the target"),
            ParameterSpec("opt_level", .integer, default: 3, range: 0...4, help: "PassContext optimization level"),
            ParameterSpec("conv2d_data_layout", .choice(["", "NCHW", "NHWC"]), default: "", help: "Convert conv2d data to this layout (\"\" = keep the model's)"),
            ParameterSpec("conv2d_kernel_layout", .string, default: "", help: "Kernel layout for the conversion (\"\" = OHWI for NHWC, OIHW for NCHW)"),
            ParameterSpec("use_fp16_precision", .boolean, default: false, help: "Not available in this build; must be false"),
            ParameterSpec("use_int8_precision", .boolean, default: false, help: "Not available in this build; must be false"),
            ParameterSpec("dataset_percentage", .number, default: 0.25, range: 0...1, help: "Calibration fraction for int8 (unused while int8 is unavailable)"),
        ]),
        inputFormats: [.onnx, .tflite], outputFormats: [.tvm])

    let support: WorkerOptimizerSupport
    public var framework: FrameworkInfo { frameworkInfo("tvm", package: "apache-tvm") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        for flag in ["use_fp16_precision", "use_int8_precision"] where p.bool(flag) {
            throw .badInput("TVMCompiler: \(flag) is not supported with TVM 0.27's Relax flow here", path: "$.parameters.\(flag)",
                            fix: "set it to false, or quantize first with ONNXRuntimeQuantizer")
        }
        support = WorkerOptimizerSupport(block: "TVMCompiler", framework: "tvm", inputs: [.onnx, .tflite], output: .tvm, parameters: p)
    }
}

/// TFLite conversion: keras through TensorFlow's converter (the optional .venv-tf), ONNX through swift-kenning's own
/// ONNX→TFLite converter (CNN op subset, float32, no TensorFlow).
public struct TFLiteCompiler: WorkerBackedOptimizer {
    public static let description = BlockDescription(
        kind: .optimizer, name: "TFLiteCompiler", kenningModule: "kenning.optimizers.tflite",
        summary: "Converts keras models (TensorFlow's converter: scripts/setup-frameworks --with-tensorflow) or ONNX CNNs (our converter, float32 only) to .tflite",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec("target", .choice(["default", "int8", "float16", "edgetpu"]), default: "default",
                          help: "default (float32); int8 (calibrated on the dataset) and float16 need a keras input; edgetpu is not available"),
            ParameterSpec("inference_input_type", .choice(["float32", "int8", "uint8"]), default: "float32", help: "Model input type (float32 only)"),
            ParameterSpec("inference_output_type", .choice(["float32", "int8", "uint8"]), default: "float32", help: "Model output type (float32 only)"),
            ParameterSpec("dataset_percentage", .number, default: 0.25, range: 0.0001...1, help: "Fraction of the training split used to calibrate int8"),
            ParameterSpec("quantization_aware_training", .boolean, default: false, help: "Not available; must be false"),
            ParameterSpec("use_tf_select_ops", .boolean, default: false, help: "Allow TensorFlow ops LiteRT lacks (keras input only)"),
        ]),
        inputFormats: [.keras, .onnx], outputFormats: [.tflite])

    let support: WorkerOptimizerSupport
    public var framework: FrameworkInfo { frameworkInfo("tflite", package: "ai-edge-litert") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        if p.string("inference_input_type") != "float32" || p.string("inference_output_type") != "float32" {
            throw .badInput("TFLiteCompiler: only float32 model inputs and outputs are available (the host sends and reads float32)",
                            path: "$.parameters", fix: "remove inference_input_type / inference_output_type")
        }
        if p.bool("quantization_aware_training") {
            throw .badInput("TFLiteCompiler: quantization_aware_training is not available", path: "$.parameters.quantization_aware_training",
                            fix: "set it to false; use \"target\": \"int8\" for post-training quantization")
        }
        if p.string("target") == "edgetpu" {
            throw .badInput("TFLiteCompiler: target edgetpu needs the Edge TPU compiler, which is not available", path: "$.parameters.target",
                            fix: "use default, float16 or int8")
        }
        support = WorkerOptimizerSupport(block: "TFLiteCompiler", framework: "tflite", inputs: [.keras, .onnx], output: .tflite, parameters: p)
    }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        let target = support.parameters.string("target") ?? "default"
        var input = input
        if let data = FileManager.default.contents(atPath: input.path), let real = WorkerOptimizerSupport.sniff(data) { input.format = real }
        if input.format == .keras {
            var calibration: [[Tensor]] = []
            if target == "int8" {
                guard let dataset = context.dataset else {
                    throw .badInput("TFLiteCompiler target int8 needs a dataset to calibrate on", path: "$.parameters.target", fix: "add a \"dataset\" block")
                }
                calibration = try calibrationBatches(dataset: dataset, wrapper: context.modelWrapper, io: input.io,
                                                     fraction: support.parameters.double("dataset_percentage"), limit: 200)
            }
            return try support.compile(input, calibration: calibration, framework: "tensorflow")
        }
        guard target == "default", !support.parameters.bool("use_tf_select_ops") else {
            throw .badInput("TFLiteCompiler: target \(target) and use_tf_select_ops need a keras input (TensorFlow's converter); the ONNX converter makes float32 only",
                            path: "$.parameters.target", fix: "use \"target\": \"default\" for ONNX models")
        }
        return try support.compile(input)
    }
}

/// An optimizer whose work is done by a framework worker: formats, output path and the plain compile come from its support value.
protocol WorkerBackedOptimizer: Optimizer {
    var support: WorkerOptimizerSupport { get }
}

extension WorkerBackedOptimizer {
    public var inputFormats: [ModelFormat] { support.admitted }
    public var outputFormat: ModelFormat { support.output }
    public var compiledModelPath: String { support.compiledModelPath }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        try support.compile(input)
    }
}
