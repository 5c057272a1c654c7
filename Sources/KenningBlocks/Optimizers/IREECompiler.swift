import Foundation
import KenningCore
import KenningWorkers

/// IREE: ONNX import (opset 17) and iree-compile for the CPU.
public struct IREECompiler: WorkerBackedOptimizer {
    public static let description = BlockDescription(
        kind: .optimizer, name: "IREECompiler", kenningModule: "kenning.optimizers.iree",
        summary: "Compiles ONNX models to IREE modules (.vmfb) for the llvm-cpu backend (static batch of 1)",
        parameters: WorkerOptimizerSupport.common([
            ParameterSpec("backend", .choice(["llvm-cpu"]), default: "llvm-cpu", help: "IREE target backend"),
            ParameterSpec("compiler_args", .stringList, default: [], help: "Extra iree-compile flags, e.g. \"--iree-opt-level=O3\""),
            ParameterSpec("target_cpu", .string, default: "host", help: "--iree-llvmcpu-target-cpu (host = this machine's CPU)"),
        ], modelFrameworks: ["onnx", "keras", "tflite"]),
        inputFormats: [.onnx], outputFormats: [.iree])

    let support: WorkerOptimizerSupport
    public var framework: FrameworkInfo { frameworkInfo("iree", package: "iree-base-compiler") }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        support = WorkerOptimizerSupport(block: "IREECompiler", framework: "iree", inputs: [.onnx], output: .iree, parameters: p)
    }
}
