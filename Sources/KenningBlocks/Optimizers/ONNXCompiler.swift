import Foundation
import KenningCore
import KenningWorkers

/// Kenning's ONNXCompiler: a model in ONNX form. ONNX input is written as it is; keras and TFLite models go through
/// tf2onnx in the tensorflow worker (keras traced as a function, which Keras 3 needs), with the IO spec's names.
public struct ONNXCompiler: WorkerBackedOptimizer {
    public static let description = BlockDescription(
        kind: .optimizer, name: "ONNXCompiler", kenningModule: "kenning.optimizers.onnx",
        summary: "Converts keras and TFLite models to ONNX with tf2onnx (scripts/setup-frameworks --with-onnx2tf); ONNX input is passed through",
        parameters: WorkerOptimizerSupport.common([], modelFrameworks: ["keras", "torch", "tflite", "onnx", "sklearn"]),
        inputFormats: [.onnx, .keras, .tflite], outputFormats: [.onnx])

    let support: WorkerOptimizerSupport
    public var framework: FrameworkInfo {
        FrameworkInfo(name: "tf2onnx", version: WorkerEnvironment.tensorflowVersions["tf2onnx"] ?? "not installed")
    }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        if let declared = p["model_framework"]?.stringValue, ["torch", "sklearn"].contains(declared) {
            throw .badInput("ONNXCompiler: \(declared) models cannot be converted here (no PyTorch or scikit-learn converter is installed)",
                            path: "$.parameters.model_framework", fix: "export the model to ONNX first, or use \"any\" for keras, TFLite and ONNX models")
        }
        support = WorkerOptimizerSupport(block: "ONNXCompiler", framework: "tensorflow", inputs: [.onnx, .keras, .tflite], output: .onnx, parameters: p)
    }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        try convert(input, staticBatch: false)
    }

    /// The conversion; `staticBatch` fixes unknown dimensions at 1, so the ONNX graph's shape computations are constants.
    func convert(_ input: ModelArtifact, staticBatch: Bool) throws(KenningError) -> ModelArtifact {
        guard FileManager.default.isReadableFile(atPath: input.path) else {
            throw .badInput("cannot read the model \(input.path)", file: input.path, fix: "check the model path")
        }
        guard WorkerOptimizerSupport.sniff(file: input.path) == .onnx else {
            return try support.compile(input, settings: staticBatch ? [("static_batch", .bool(true))] : [])
        }
        if let declared = support.parameters["model_framework"]?.stringValue, declared != "any", declared != "onnx" {
            throw .badInput("ONNXCompiler: model_framework is \(declared), but the input model is onnx", path: "$.parameters.model_framework",
                            fix: "set model_framework to \"onnx\" or \"any\"")
        }
        let out = support.compiledModelPath
        do {
            let folder = (out as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
            try FileManager.default.copyItem(atPath: input.path, toPath: out)
        } catch {
            throw .failure("cannot write \(out): \(error.localizedDescription)", fix: "choose a writable compiled_model_path")
        }
        let artifact = ModelArtifact(path: support.compiledModelPath, format: .onnx, io: input.io)
        try IOSpecFile.write(artifact.io, nextTo: artifact.path, quantization: IOSpecFile.quantization(nextTo: input.path))
        return artifact
    }
}
