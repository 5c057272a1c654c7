import Foundation
import KenningCore
import KenningWorkers

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
