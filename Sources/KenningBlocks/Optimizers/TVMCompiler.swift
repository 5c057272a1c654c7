import Foundation
import KenningCore
import KenningWorkers

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
            ParameterSpec(CommonParameter.datasetPercentage, .number, default: 0.25, range: 0...1, help: "Calibration fraction for int8 (unused while int8 is unavailable)"),
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
