import Foundation
import KenningCore
import KenningModel
import KenningNative

/// Graph-level optimizer: constant folding, BatchNorm folding, Conv/Gemm + activation fusion, dead-node removal.
/// Writes standard ONNX (fused nodes use ONNX Runtime's com.microsoft FusedConv/FusedGemm, which the native runtime also runs).
public struct NativeGraphOptimizer: Optimizer {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let foldConstants = ParameterKey<Bool>("fold_constants")
        static let foldBatchnorm = ParameterKey<Bool>("fold_batchnorm")
        static let fuseActivations = ParameterKey<Bool>("fuse_activations")
        static let removeDeadNodes = ParameterKey<Bool>("remove_dead_nodes")
    }

    public static let description = BlockDescription(
        kind: .optimizer, name: "NativeGraphOptimizer",
        summary: "Rewrites an ONNX graph for faster inference: constant folding, BatchNorm folding, activation fusion, dead-node removal",
        parameters: [
            ParameterSpec(CommonParameter.compiledModelPath, .path, help: "Where the optimized .onnx model is written"),
            ParameterSpec(CommonParameter.location, .choice(["host", "target"]), default: "host",
                          help: "Where the optimization runs: host, or target (the target's `kenning server`, over the scenario's protocol)"),
            ParameterSpec(Key.foldConstants, .boolean, default: true, help: "Evaluate nodes whose inputs are all constant"),
            ParameterSpec(Key.foldBatchnorm, .boolean, default: true, help: "Fold BatchNormalization into the preceding Conv"),
            ParameterSpec(Key.fuseActivations, .boolean, default: true, help: "Fuse Relu/Clip/Sigmoid/Tanh/LeakyRelu into the preceding Conv or Gemm"),
            ParameterSpec(Key.removeDeadNodes, .boolean, default: true, help: "Drop Identity/Dropout and nodes no output depends on"),
        ],
        inputFormats: [.onnx], outputFormats: [.onnx])

    public let compiledModelPath: String
    public let passes: (constants: Bool, batchNorm: Bool, activations: Bool, deadNodes: Bool)
    public let inputFormats: [ModelFormat] = [.onnx]
    public let outputFormat = ModelFormat.onnx
    public var framework: FrameworkInfo { FrameworkInfo(name: "swift-kenning", version: KenningVersion.current) }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        compiledModelPath = p[CommonParameter.compiledModelPath] ?? ""
        passes = (p[Key.foldConstants], p[Key.foldBatchnorm], p[Key.fuseActivations], p[Key.removeDeadNodes])
    }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        guard input.format == .onnx else {
            throw .badInput("NativeGraphOptimizer takes onnx models, got \(input.format)", fix: "put it before optimizers that change the format")
        }
        var model = try ONNX.load(path: input.path)
        var reports: [PassReport] = []
        if passes.deadNodes { reports.append(GraphPasses.removeDeadNodes(&model)) }
        if passes.constants { reports.append(try GraphPasses.foldConstants(&model, evaluate: NativeSession.evaluate)) }
        if passes.batchNorm { reports.append(GraphPasses.foldBatchNorm(&model)) }
        if passes.activations { reports.append(GraphPasses.fuseActivations(&model)) }
        if passes.deadNodes { reports.append(GraphPasses.removeDeadNodes(&model)) }
        model.producerName = "swift-kenning NativeGraphOptimizer"
        try ONNX.save(model, to: compiledModelPath)
        let artifact = ModelArtifact(path: compiledModelPath, format: .onnx, io: model.ioSpec)
        try IOSpecFile.write(artifact.io, nextTo: compiledModelPath)
        return artifact
    }
}
