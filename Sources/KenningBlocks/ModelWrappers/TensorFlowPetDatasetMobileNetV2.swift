import Foundation
import KenningCore
import KenningWorkers

/// Kenning's MobileNetV2 classifier for the Oxford-IIIT Pet breeds as a keras file: input `input_1` [N, 224, 224, 3]
/// (RGB scaled to 0…1, then normalized with ImageNet mean and std), output `out_layer` [N, 37] class scores.
/// Keras models run only after TFLiteCompiler (TensorFlow's converter in the optional .venv-tf).
public struct TensorFlowPetDatasetMobileNetV2: ModelWrapper {
    public static let description = BlockDescription(
        kind: .modelWrapper, name: "TensorFlowPetDatasetMobileNetV2", kenningModule: "kenning.modelwrappers.classification.tensorflow_pet_dataset",
        summary: "MobileNetV2 (keras .h5/.keras) for the 37 Oxford-IIIT Pet breeds; 224×224 RGB NHWC, ImageNet normalization",
        parameters: [
            ParameterSpec(CommonParameter.modelPath, .path, help: "Path of the keras model (.h5 or .keras); kenning:/// resources are read from Kenning's cache, nothing is downloaded"),
            ParameterSpec("model_name", .string, default: .null, nullable: true, help: "Name used in reports"),
            // Kenning's training parameters: `kenning train` is not available, so they are accepted and not used.
            ParameterSpec(CommonParameter.batchSize, .integer, default: .null, nullable: true, help: "Training batch size (training is not available; unused)"),
            ParameterSpec("learning_rate", .number, default: .null, nullable: true, help: "Training learning rate (training is not available; unused)"),
            ParameterSpec("num_epochs", .integer, default: .null, nullable: true, help: "Training epochs (training is not available; unused)"),
            ParameterSpec("logdir", .path, default: .null, nullable: true, help: "Training log folder (training is not available; unused)"),
        ],
        outputFormats: [.keras])

    public static let mean: [Float] = [0.485, 0.456, 0.406]
    public static let std: [Float] = [0.229, 0.224, 0.225]

    public let modelPath: String
    public let format = ModelFormat.keras
    public var framework: FrameworkInfo {
        FrameworkInfo(name: "keras", version: WorkerEnvironment.tensorflowPackage ?? "not installed")
    }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        modelPath = p[CommonParameter.modelPath] ?? ""
    }

    public func artifact() throws(KenningError) -> ModelArtifact {
        let io = IOSpec(inputs: [TensorSpec(name: "input_1", shape: [-1, 224, 224, 3], elementType: .float32)],
                        outputs: [TensorSpec(name: "out_layer", shape: [-1, 37], elementType: .float32)])
        return try KerasModelFile.artifact(path: modelPath, io: io, resource: "downloaded file",
                                           standIn: "run scripts/make-pet-fixture, or point model_path at a MobileNetV2 keras file")
    }

    public func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor] {
        guard sampleShape == [224, 224, 3] else {
            throw .badInput("MobileNetV2 takes 224×224 RGB images, the dataset gives \(sampleShape)", fix: "use PetDataset with image_size 224")
        }
        var values: [Float] = []
        values.reserveCapacity(samples.count * 224 * 224 * 3)
        for s in samples {
            for (i, v) in s.enumerated() { values.append((v / 255 - Self.mean[i % 3]) / Self.std[i % 3]) }
        }
        return [Tensor(shape: [samples.count, 224, 224, 3], floats: values)]
    }

    public func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] {
        try KerasModelFile.scoreRows(outputs)
    }
}
