import Foundation
import KenningCore
import KenningModel

/// Any ONNX or TFLite image classifier: one image input, one class-score output. The format is the file's own
/// (a `.tflite` FlatBuffer is TFLite, anything else ONNX); a TFLite model's input is NHWC by definition.
public struct ONNXImageClassifier: ModelWrapper {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let inputLayout = ParameterKey<String>("input_layout")
        static let inputShape = ParameterKey<[Double]>("input_shape")
    }

    public static let description = BlockDescription(
        kind: .modelWrapper, name: "ONNXImageClassifier",
        summary: "An ONNX or TFLite image classifier: normalizes samples ((x - mean) / std, one value or one per channel), lays them out as the model expects, takes class scores from the first output; a symbolic input dimension takes its size from input_shape when given, from the dataset's samples otherwise",
        parameters: [
            ParameterSpec(CommonParameter.modelPath, .path, help: "Path of the .onnx or .tflite model"),
            ParameterSpec("model_name", .string, default: .null, nullable: true, help: "Name used in reports"),
            ParameterSpec("input_mean", .numberOrList, default: 0.0,
                          help: "Subtracted from every raw sample value: one number, or one per channel in the samples' channel order (e.g. ImageNet's [123.675, 116.28, 103.53] on 0–255 RGB pixels)"),
            ParameterSpec("input_std", .numberOrList, default: 1.0, range: 1e-12...1e12,
                          help: "Divides every value after the mean is subtracted: one number, or one per channel (e.g. [58.395, 57.12, 57.375])"),
            ParameterSpec(Key.inputLayout, .choice(["NCHW", "NHWC"]), default: "NCHW",
                          help: "Layout of the model's image input (a TFLite model's is always NHWC); samples are HWC (or HW for grey images)"),
            ParameterSpec(Key.inputShape, .numberList, default: .null, nullable: true,
                          help: "The model input's shape without the batch, e.g. [3, 224, 224]: fills its symbolic dimensions (checked against the declared ones and the samples); without it they take the samples' sizes"),
        ],
        outputFormats: [.onnx, .tflite])

    public let modelPath: String
    public let format: ModelFormat
    /// One value for every channel, or one per channel.
    public let mean: [Float]
    public let std: [Float]
    public let layout: String
    /// The input's shape without the batch, when given (input_shape).
    public let inputShape: [Int]?

    public var framework: FrameworkInfo { ModelFile.framework(format) }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        modelPath = p[CommonParameter.modelPath] ?? ""
        mean = Self.perChannel(p["input_mean"]) ?? [0]
        std = Self.perChannel(p["input_std"]) ?? [1]
        format = ModelFile.format(of: modelPath)
        layout = format == .tflite ? "NHWC" : p[Key.inputLayout] ?? "NCHW"
        let given = p.doubles(Key.inputShape.name)
        if let given {
            guard !given.isEmpty, given.allSatisfy({ $0 >= 1 && $0 <= 1e9 && $0.rounded() == $0 }) else {
                throw .badInput("input_shape \(given.map { $0.rounded() == $0 ? String(Int($0)) : String($0) }) is not a list of positive whole sizes",
                                path: "$.parameters.input_shape", fix: "give the input's sizes without the batch, e.g. [3, 224, 224]")
            }
        }
        inputShape = given.map { $0.map { Int($0) } }
    }

    public func artifact() throws(KenningError) -> ModelArtifact {
        let io = try ModelFile.io(modelPath, format: format)
        guard io.inputs.count == 1 else {
            throw .badInput("\(modelPath) has \(io.inputs.count) inputs; an image classifier takes exactly one", file: modelPath,
                            fix: "use a model with a single image input")
        }
        guard !io.outputs.isEmpty else { throw .badInput("\(modelPath) declares no outputs", file: modelPath, fix: "re-export the model") }
        guard let inputShape else { return ModelArtifact(path: modelPath, format: format, io: io) }
        // input_shape fills the symbolic dimensions; a fixed one must agree with it.
        var input = io.inputs[0]
        guard input.shape.count == inputShape.count + 1,
              zip(input.shape.dropFirst(), inputShape).allSatisfy({ $0 < 0 || $0 == $1 }) else {
            throw .badInput("input_shape \(inputShape) does not fit the model input \"\(input.name)\" \(input.shape) (batch first)",
                            file: modelPath, path: "$.parameters.input_shape",
                            fix: "give \(input.shape.count - 1) sizes without the batch, keeping the model's fixed ones")
        }
        input = TensorSpec(name: input.name, shape: [input.shape[0]] + inputShape, elementType: input.elementType)
        return ModelArtifact(path: modelPath, format: format, io: IOSpec(inputs: [input] + io.inputs.dropFirst(), outputs: io.outputs))
    }

    public func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor] {
        guard let spec = io.inputs.first else { throw .failure("the model has no input") }
        let perSample = sampleShape.reduce(1, *)
        var shape = spec.shape
        guard !shape.isEmpty else { throw .failure("input \"\(spec.name)\" has no shape in the model") }
        shape[0] = samples.count
        // Symbolic dimensions take the sample's own sizes: an image sample [h, w, c] fills NCHW as [c, h, w] and NHWC
        // as [h, w, c]; other samples fill the model's dimensions in order. A single unknown left is solved from the size.
        let sampleDims = sampleShape.count == 3 && layout == "NCHW" && shape.count == 4
            ? [sampleShape[2], sampleShape[0], sampleShape[1]] : sampleShape
        if shape.count - 1 == sampleDims.count {
            for i in 1..<shape.count where shape[i] < 0 { shape[i] = sampleDims[i - 1] }
        }
        let known = shape.dropFirst().filter { $0 > 0 }.reduce(1, *)
        if shape.dropFirst().filter({ $0 < 0 }).count == 1, let u = shape.dropFirst().firstIndex(where: { $0 < 0 }) {
            shape[u] = perSample / max(known, 1)
        }
        guard shape.dropFirst().allSatisfy({ $0 > 0 }), shape.dropFirst().reduce(1, *) == perSample else {
            throw .badInput("samples of shape \(sampleShape) do not fit the model input \"\(spec.name)\" \(spec.shape)",
                            fix: "use a dataset whose samples match the model, or another model")
        }
        let channels = sampleShape.count == 3 ? sampleShape[2] : 1
        for (name, values) in [("input_mean", mean), ("input_std", std)] where values.count != 1 && values.count != channels {
            throw .badInput("\(name) has \(values.count) values but the samples have \(channels) channel(s) (shape \(sampleShape))",
                            path: "$.model_wrapper.parameters.\(name)", fix: "give one value, or one per channel")
        }
        guard samples.allSatisfy({ $0.count == perSample }) else {
            throw .failure("a sample does not have the \(perSample) values of shape \(sampleShape) its dataset declares")
        }
        // One pass per sample, straight into the batch's buffer: normalized, and moved to NCHW when the model wants it.
        let transpose = layout == "NCHW" && sampleShape.count == 3 && sampleShape[2] > 1
        let means = channels > 1 && mean.count == 1 ? [Float](repeating: mean[0], count: channels) : mean
        let scales = (channels > 1 && std.count == 1 ? [Float](repeating: std[0], count: channels) : std).map { 1 / $0 }
        let values = [Float](unsafeUninitializedCapacity: samples.count * perSample) { out, initialized in
            for (k, s) in samples.enumerated() {
                let base = k * perSample
                s.withUnsafeBufferPointer { x in
                    if transpose {
                        // Written in order, one channel plane at a time.
                        let (pixels, c) = (sampleShape[0] * sampleShape[1], sampleShape[2])
                        for ch in 0..<c {
                            let plane = base + ch * pixels
                            let (m, f) = (means[ch], scales[ch])
                            for p in 0..<pixels { out[plane + p] = (x[p * c + ch] - m) * f }
                        }
                    } else if means.count == 1 {
                        let (m, f) = (means[0], scales[0])
                        for i in 0..<perSample { out[base + i] = (x[i] - m) * f }
                    } else {
                        // Channels last, as in the samples.
                        for i in 0..<perSample { out[base + i] = (x[i] - means[i % channels]) * scales[i % channels] }
                    }
                }
            }
            initialized = samples.count * perSample
        }
        return [Tensor(shape: shape, floats: values)]
    }

    /// A number or a list of numbers as one value per channel.
    static func perChannel(_ value: JSONValue?) -> [Float]? {
        value?.doubleValue.map { [Float($0)] } ?? value?.arrayValue?.compactMap(\.doubleValue).map { Float($0) }
    }

    public func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] {
        guard let out = outputs.first, out.shape.count >= 1 else { throw .failure("the model returned no output") }
        let n = out.shape[0]
        let classes = n > 0 ? out.count / n : 0
        let v = out.floats
        return (0..<n).map { Array(v[($0 * classes)..<(($0 + 1) * classes)]) }
    }
}
