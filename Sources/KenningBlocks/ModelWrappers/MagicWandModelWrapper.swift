import Foundation
import KenningCore
import KenningWorkers

/// Kenning's MagicWandModelWrapper: the magic wand gesture CNN as a keras file; input `input_1` [N, window_size, 3, 1]
/// (accelerometer windows, not normalized), output `out_layer` [N, 4] softmax over wing, ring, slope, negative.
/// Keras models run after a converter (TFLiteCompiler, ONNXCompiler, or TVMCompiler through ONNX).
public struct MagicWandModelWrapper: ModelWrapper {
    enum Key {
        static let windowSize = ParameterKey<Int>("window_size")
    }

    public static let description = BlockDescription(
        kind: .modelWrapper, name: "MagicWandModelWrapper", kenningModule: "kenning.modelwrappers.classification.tflite_magic_wand",
        summary: "Magic wand gesture CNN (keras .h5/.keras): accelerometer windows [window_size, 3, 1] to 4 gesture classes",
        parameters: [
            ParameterSpec(CommonParameter.modelPath, .path,
                          help: "Path of the keras model (.h5 or .keras); kenning:///models/classification/magic_wand.h5 is read from Kenning's cache, nothing is downloaded"),
            ParameterSpec(Key.windowSize, .integer, default: 128, range: 1...65536, help: "Rows per input window (the dataset's window_size)"),
            ParameterSpec("model_name", .string, default: .null, nullable: true, help: "Name used in reports"),
            // Kenning's training parameters: `kenning train` is not available, so they are accepted and not used.
            ParameterSpec(CommonParameter.batchSize, .integer, default: 64, range: 1...65536, help: "Training batch size (training is not available; unused)"),
            ParameterSpec("learning_rate", .number, default: 0.001, help: "Training learning rate (training is not available; unused)"),
            ParameterSpec("num_epochs", .integer, default: 50, range: 1...100_000, help: "Training epochs (training is not available; unused)"),
            ParameterSpec("logdir", .path, default: "/tmp/tflite_magic_wand_logs", help: "Training log folder (training is not available; unused)"),
        ],
        outputFormats: [.keras])

    public let modelPath: String
    public let format = ModelFormat.keras
    let window: Int
    public var framework: FrameworkInfo {
        FrameworkInfo(name: "keras", version: WorkerEnvironment.tensorflowPackage ?? "not installed")
    }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        modelPath = p[CommonParameter.modelPath] ?? ""
        window = p[Key.windowSize]
    }

    public func artifact() throws(KenningError) -> ModelArtifact {
        let io = IOSpec(inputs: [TensorSpec(name: "input_1", shape: [-1, window, 3, 1], elementType: .float32)],
                        outputs: [TensorSpec(name: "out_layer", shape: [-1, 4], elementType: .float32)])
        return try KerasModelFile.artifact(path: modelPath, io: io, resource: "magic_wand.h5",
                                           standIn: "point model_path at the magic wand keras model (scripts/make-magic-wand-fixture makes a stand-in)")
    }

    public func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor] {
        guard sampleShape == [window, 3] else {
            throw .badInput("the magic wand model takes windows of [\(window), 3], the dataset gives \(sampleShape)",
                            fix: "give the dataset and the model wrapper the same window_size")
        }
        return [Tensor(shape: [samples.count, window, 3, 1], floats: Array(samples.joined()))]
    }

    public func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] {
        try KerasModelFile.scoreRows(outputs)
    }
}
