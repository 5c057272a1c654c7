import Foundation
import KenningCore
import KenningModel

/// An SSD-style detector with anchors (MediaPipe's convention, e.g. BlazeFace): one image input, a box output
/// [batch, anchors, coordinates] of offsets from fixed anchors and a score output [batch, anchors, classes] of logits.
/// Anchors lie on one grid per stride (`anchor_strides`; consecutive equal strides share a grid), `anchors_per_layer`
/// at each cell centre, all of the input's size; a box is (dx / scale + anchor x, dy / scale + anchor y, w / scale,
/// h / scale) in input fractions. Scores go through a sigmoid; per-class non-maximum suppression follows.
public struct SSDDetector: ObjectDetector {
    enum Key {
        static let strides = ParameterKey<[Double]>("anchor_strides")
        static let perLayer = ParameterKey<Int>("anchors_per_layer")
    }

    public static let description = BlockDescription(
        kind: .modelWrapper, name: "SSDDetector",
        summary: "An SSD-style detector with anchor grids (MediaPipe's convention, e.g. BlazeFace): boxes decoded from anchor offsets, sigmoid scores, per-class NMS; scored with COCO's mAP on a detection dataset",
        parameters: [
            ParameterSpec(CommonParameter.modelPath, .path, help: "Path of the .onnx or .tflite model"),
            ParameterSpec("model_name", .string, default: .null, nullable: true, help: "Name used in reports"),
            ParameterSpec(Key.strides, .numberList, default: [8, 16, 16, 16], help: "One stride per anchor layer (BlazeFace short range: [8, 16, 16, 16])"),
            ParameterSpec(Key.perLayer, .integer, default: 2, range: 1...64, help: "Anchors per grid cell and layer"),
            ParameterSpec("input_mean", .number, default: 127.5, help: "Subtracted from every 0–255 pixel"),
            ParameterSpec("input_std", .number, default: 127.5, range: 1e-12...1e12, help: "Divides every pixel after the mean"),
        ] + DetectionParameters.common(iou: 0.3),
        outputFormats: [.onnx, .tflite])

    public let modelPath: String
    public let format: ModelFormat
    let strides: [Int]
    let perLayer: Int
    let mean: Float, std: Float
    let scoreThreshold: Double, iouThreshold: Double
    let maxDetections: Int
    /// The model input's height and width (NHWC), read from the model.
    let inputSize: (Int, Int)?

    public var framework: FrameworkInfo { ModelFile.framework(format) }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        modelPath = p[CommonParameter.modelPath] ?? ""
        format = ModelFile.format(of: modelPath)
        strides = p[Key.strides].map { Int($0) }
        guard !strides.isEmpty, strides.allSatisfy({ $0 >= 1 }) else {
            throw .badInput("anchor_strides must be whole numbers ≥ 1", path: "$.parameters.anchor_strides", fix: "e.g. [8, 16, 16, 16]")
        }
        perLayer = p[Key.perLayer]
        mean = Float(p["input_mean"]?.doubleValue ?? 127.5)
        std = Float(p["input_std"]?.doubleValue ?? 127.5)
        scoreThreshold = p[DetectionParameters.scoreThreshold]
        iouThreshold = p[DetectionParameters.iouThreshold]
        maxDetections = p[DetectionParameters.maxDetections]
        let io = format == .tflite ? try? TFLite.ioSpec(path: modelPath) : try? ONNX.signature(path: modelPath).io
        inputSize = io?.inputs.first.flatMap { $0.shape.count == 4 && $0.shape[1] > 0 && $0.shape[2] > 0 ? ($0.shape[1], $0.shape[2]) : nil }
    }

    public func artifact() throws(KenningError) -> ModelArtifact {
        let io = try ModelFile.io(modelPath, format: format)
        guard io.inputs.count == 1, io.outputs.count >= 2, io.inputs[0].shape.count == 4 else {
            throw .badInput("\(modelPath) is not an SSD-style detector: it needs one NHWC image input and box and score outputs",
                            path: "$.parameters.model_path", fix: "use an anchor-based SSD export, or AnyModel to measure another model")
        }
        return ModelArtifact(path: modelPath, format: format, io: io)
    }

    /// The anchor centres, in input fractions, in the model's order.
    func anchors(height: Int, width: Int) -> [(x: Double, y: Double)] {
        var out: [(Double, Double)] = []
        var layer = 0
        while layer < strides.count {
            var last = layer
            while last + 1 < strides.count, strides[last + 1] == strides[layer] { last += 1 }
            let stride = strides[layer], count = (last - layer + 1) * perLayer
            let (rows, cols) = ((height + stride - 1) / stride, (width + stride - 1) / stride)
            for y in 0..<rows {
                for x in 0..<cols {
                    for _ in 0..<count { out.append(((Double(x) + 0.5) / Double(cols), (Double(y) + 0.5) / Double(rows))) }
                }
            }
            layer = last + 1
        }
        return out
    }

    public func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor] {
        guard let spec = io.inputs.first, sampleShape.count == 3, spec.shape.count == 4,
              zip(spec.shape.dropFirst(), sampleShape).allSatisfy({ $0 < 0 || $0 == $1 }) else {
            throw .badInput("images of shape \(sampleShape) do not fit the model input \(io.inputs.first?.shape ?? []) (NHWC)",
                            path: "$.dataset.parameters", fix: "set the dataset's image size to the model's input size")
        }
        let scale = 1 / std
        return [Tensor(shape: [samples.count] + sampleShape, floats: samples.flatMap { $0.map { ($0 - mean) * scale } })]
    }

    public func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] {
        try AnyModel.rows(outputs)
    }

    public func detections(_ outputs: [Tensor], samples: Int) throws(KenningError) -> [[DetectedBox]] {
        // The box output is the one with more values per anchor (at least 4 coordinates); the other holds class logits.
        let ordered = outputs.filter { $0.shape.count == 3 }.sorted { ($0.shape.last ?? 0) > ($1.shape.last ?? 0) }
        guard ordered.count >= 2, ordered[0].shape[0] == samples, ordered[0].shape[1] == ordered[1].shape[1], ordered[0].shape[2] >= 4 else {
            throw .failure("the SSD outputs \(outputs.map(\.shape)) are not [batch, anchors, coordinates] and [batch, anchors, classes]")
        }
        let (boxes, scores) = (ordered[0], ordered[1])
        let (n, coords, classes) = (boxes.shape[1], boxes.shape[2], scores.shape[2])
        guard let (height, width) = inputSize else { throw .failure("the model's input size is unknown") }
        let grid = anchors(height: height, width: width)
        guard grid.count == n else {
            throw .badInput("anchor_strides \(strides) with \(perLayer) anchors per layer give \(grid.count) anchors; the model has \(n)",
                            path: "$.model_wrapper.parameters.anchor_strides", fix: "give the strides and anchors per layer the model was trained with")
        }
        let (b, sc) = (boxes.floats, scores.floats)
        var result: [[DetectedBox]] = []
        for s in 0..<samples {
            var found: [DetectedBox] = []
            for i in 0..<n {
                for c in 0..<classes {
                    let logit = Double(max(-100, min(100, sc[(s * n + i) * classes + c])))
                    let score = 1 / (1 + exp(-logit))
                    guard score >= scoreThreshold else { continue }
                    let r = (s * n + i) * coords
                    let cx = Double(b[r]) / Double(width) + grid[i].x, cy = Double(b[r + 1]) / Double(height) + grid[i].y
                    let w = Double(b[r + 2]) / Double(width), h = Double(b[r + 3]) / Double(height)
                    found.append(DetectedBox(box: [(cx - w / 2) * Double(width), (cy - h / 2) * Double(height), w * Double(width), h * Double(height)],
                                             score: score, classIndex: c))
                }
            }
            result.append(YOLODetector.suppress(found, iou: iouThreshold, keep: maxDetections))
        }
        return result
    }
}
