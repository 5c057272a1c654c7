import Foundation
import KenningCore
import KenningWorkers

/// Apache TVM 0.27 (Relax): ONNX import, optional conv2d layout conversion, build for an LLVM target. A keras model
/// (which TVM 0.27 cannot import) is first converted to ONNX with tf2onnx, as Kenning converts keras for TVM.
public struct TVMCompiler: WorkerBackedOptimizer {
    /// Kenning's TVMCompiler parameters for what this build has no counterpart of (microTVM, Zephyr, TensorRT, Darknet,
    /// the graph executor): accepted at Kenning's defaults.
    static let unavailable: [ParameterSpec] = [
        ParameterSpec("output_conversion_function", .choice(["default", "dict_to_tuple"]), default: "default", help: "Output conversion (default only)"),
        ParameterSpec("use_tensorrt", .boolean, default: false, help: "TensorRT is not available; must be false"),
        ParameterSpec("libdarknet_path", .string, default: "/usr/local/lib/libdarknet.so", help: "Darknet input is not available"),
        ParameterSpec("target_microtvm_board", .string, default: .null, nullable: true, help: "microTVM is not available; must be null"),
        ParameterSpec("zephyr_header_template", .path, default: .null, nullable: true, help: "Zephyr export is not available; must be null"),
        ParameterSpec("zephyr_llext_source_template", .path, default: .null, nullable: true, help: "Zephyr export is not available; must be null"),
    ]

    /// Kenning's keys that are accepted with any value because this build's behaviour covers them.
    static let accepted: [ParameterSpec] = [
        ParameterSpec("compile_use_vm", .boolean, default: false,
                      help: "Kenning's switch between the graph executor and the VM; TVM 0.27's Relax always builds for its VM, so both values give that"),
        ParameterSpec("module_name", .string, default: .null, nullable: true, help: "Zephyr module name (unused without Zephyr export)"),
    ]

    public static let description = BlockDescription(
        kind: .optimizer, name: "TVMCompiler", kenningModule: "kenning.optimizers.tvm",
        summary: "Compiles ONNX, TFLite or keras models with Apache TVM (Relax) into a shared library for TVMRuntime (untuned; static batch of 1)",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec("target", .string, default: "llvm", help: "TVM target, e.g. \"llvm\" or \"llvm -mcpu=znver3\" (turned into TVM 0.27's dict form)"),
            ParameterSpec("target_attrs", .string, default: "", help: "Extra target options appended to target"),
            ParameterSpec("target_host", .string, default: .null, nullable: true, help: "Ignored: on the CPU the host is the target"),
            ParameterSpec("opt_level", .integer, default: 3, range: 0...4, help: "PassContext optimization level"),
            ParameterSpec("conv2d_data_layout", .choice(["", "NCHW", "NHWC"]), default: "", help: "Convert conv2d data to this layout (\"\" = keep the model's)"),
            ParameterSpec("conv2d_kernel_layout", .string, default: "", help: "Kernel layout for the conversion (\"\" = OHWI for NHWC, OIHW for NCHW)"),
            ParameterSpec("use_fp16_precision", .boolean, default: false, help: "Not available in this build; must be false"),
            ParameterSpec("use_int8_precision", .boolean, default: false, help: "Not available in this build; must be false"),
            ParameterSpec(CommonParameter.datasetPercentage, .number, default: 0.25, range: 0...1, help: "Calibration fraction for int8 (unused while int8 is unavailable)"),
        ] + unavailable + accepted, modelFrameworks: ["onnx", "keras", "tflite", "darknet", "torch"]),
        inputFormats: [.onnx, .tflite, .keras], outputFormats: [.tvm])

    let support: WorkerOptimizerSupport
    public var framework: FrameworkInfo { frameworkInfo("tvm", package: "apache-tvm") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        for flag in ["use_fp16_precision", "use_int8_precision"] where p.bool(flag) {
            throw .badInput("TVMCompiler: \(flag) is not supported with TVM 0.27's Relax flow here", path: "$.parameters.\(flag)",
                            fix: "set it to false, or quantize first with ONNXRuntimeQuantizer")
        }
        try p.requireDefaults(Self.unavailable, block: "TVMCompiler", why: "TVM 0.27 Relax on the CPU, no microTVM, Zephyr, TensorRT or Darknet")
        support = WorkerOptimizerSupport(block: "TVMCompiler", framework: "tvm", inputs: [.onnx, .tflite], output: .tvm, parameters: p)
    }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        let format = WorkerOptimizerSupport.sniff(file: input.path)
        if format == .keras, let declared = support.parameters["model_framework"]?.stringValue, declared != "any", declared != "keras" {
            throw .badInput("TVMCompiler: model_framework is \(declared), but the input model is keras", path: "$.parameters.model_framework",
                            fix: "set model_framework to \"keras\" or \"any\"")
        }
        guard format == .keras || format == .tflite else { return try support.compile(input) }
        if format == .tflite {
            // TVM's own TFLite importer first; a model it cannot import (e.g. a Reshape to a computed shape, which keras
            // models with an unknown batch have) goes through ONNX instead.
            do {
                return try support.compile(input)
            } catch let direct {
                do {
                    return try throughONNX(input)
                } catch {
                    throw .failure("TVM cannot import the TFLite model (\(direct.problems.first?.what ?? "\(direct)")), nor its ONNX conversion: \(error.problems.first?.what ?? "\(error)")",
                                   fix: "convert the model to ONNX with a fixed batch size and compile that")
                }
            }
        }
        return try throughONNX(input)
    }

    /// keras or TFLite → ONNX with a batch of 1 (tf2onnx), then TVM.
    private func throughONNX(_ input: ModelArtifact) throws(KenningError) -> ModelArtifact {
        let onnxPath = support.compiledModelPath + ".converted.onnx"
        let converter = try ONNXCompiler(ResolvedParameters(values: [("compiled_model_path", .string(onnxPath)), ("location", "host"),
                                                                     ("model_framework", "any")]))
        defer {
            try? FileManager.default.removeItem(atPath: onnxPath)
            try? FileManager.default.removeItem(atPath: onnxPath + ".json")
        }
        return try support.compile(try converter.convert(input, staticBatch: true))
    }
}
