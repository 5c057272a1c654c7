import Foundation
import KenningCore
import KenningModel

/// Any ONNX or TFLite model, with any number of inputs and outputs: each part of a sample (an ArrayDataset array, in
/// order) feeds the model input at the same position, in that input's element type; a symbolic dimension takes the
/// sample's size. Its outputs, one sample's slice of each in order, are what a run is judged by: fidelity to the
/// unoptimized model always, accuracy when the dataset has labels (then its first output should be the class scores
/// and its only one).
public struct AnyModel: ModelWrapper {
    public static let description = BlockDescription(
        kind: .modelWrapper, name: "AnyModel",
        summary: "Any ONNX or TFLite model with any inputs and outputs: sample parts feed inputs in order, in each input's type; judged by fidelity to the unoptimized model (and accuracy when the data has labels)",
        parameters: [
            ParameterSpec(CommonParameter.modelPath, .path, help: "Path of the .onnx or .tflite model"),
            ParameterSpec("model_name", .string, default: .null, nullable: true, help: "Name used in reports"),
        ],
        outputFormats: [.onnx, .tflite])

    public let modelPath: String
    public let format: ModelFormat

    public var framework: FrameworkInfo { ModelFile.framework(format) }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        modelPath = p[CommonParameter.modelPath] ?? ""
        format = ModelFile.format(of: modelPath)
    }

    public func artifact() throws(KenningError) -> ModelArtifact {
        let io = try ModelFile.io(modelPath, format: format)
        guard !io.inputs.isEmpty, !io.outputs.isEmpty else {
            throw .badInput("\(modelPath) declares \(io.inputs.count) inputs and \(io.outputs.count) outputs", path: "$.parameters.model_path",
                            fix: "re-export the model with its inputs and outputs declared")
        }
        return ModelArtifact(path: modelPath, format: format, io: io)
    }

    public func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor] {
        try preprocess(samples, inputShapes: [sampleShape], io: io)
    }

    public func preprocess(_ samples: [[Float]], inputShapes: [[Int]], io: IOSpec) throws(KenningError) -> [Tensor] {
        guard inputShapes.count == io.inputs.count else {
            throw .badInput("the dataset's samples have \(inputShapes.count) part(s), the model \(io.inputs.count) input(s) (\(io.inputs.map(\.name).joined(separator: ", ")))",
                            path: "$.dataset.parameters.inputs", fix: "list one array per model input, in the model's input order")
        }
        var offset = 0
        var tensors: [Tensor] = []
        for (spec, part) in zip(io.inputs, inputShapes) {
            let per = part.reduce(1, *)
            guard spec.shape.count == part.count + 1,
                  zip(spec.shape.dropFirst(), part).allSatisfy({ $0 < 0 || $0 == $1 }) else {
                throw .badInput("samples of shape \(part) do not fit the model input \"\(spec.name)\" \(spec.shape) (batch first)",
                                path: "$.dataset.parameters.inputs", fix: "save that array with the input's shape after the batch dimension")
            }
            var values: [Float] = []
            values.reserveCapacity(samples.count * per)
            for s in samples { values += s[offset..<(offset + per)] }
            let shape = [samples.count] + part
            switch spec.elementType {
            case .float32: tensors.append(Tensor(shape: shape, floats: values))
            case .float16: tensors.append(Tensor(shape: shape, float16Bits: values.map(\.halfBits)))
            case .int8: tensors.append(Tensor(shape: shape, int8s: values.map { Int8(clamping: Int($0)) }))
            case .int32: tensors.append(Tensor(shape: shape, int32s: values.map { Int32(clamping: Int($0)) }))
            default: tensors.append(Tensor(shape: shape, ints: values.map { Int64($0) }))
            }
            offset += per
        }
        return tensors
    }

    public func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] {
        try Self.rows(outputs)
    }

    /// Each sample's slice of every output, one after another.
    static func rows(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] {
        guard let first = outputs.first, let n = first.shape.first, n > 0 else { throw .failure("the model returned no output") }
        var rows = [[Float]](repeating: [], count: n)
        for out in outputs {
            let values = out.floats
            if out.shape.first == n, out.count % n == 0 {
                let per = out.count / n
                for i in 0..<n { rows[i] += values[(i * per)..<((i + 1) * per)] }
            } else {
                // An output without the batch dimension (a recurrent state): the same for every sample.
                for i in 0..<n { rows[i] += values }
            }
        }
        return rows
    }
}
