import Foundation
import KenningCore
import KenningModel

/// A YOLO-style detector (ONNX or TFLite) with one image input and one output of box rows: YOLOv8's [batch, 4 + C, N]
/// (centre x, centre y, width, height, then C class scores) or YOLOv5's [batch, N, 5 + C] (with an objectness score
/// that multiplies the class scores). Samples (0–255 pixels) are scaled to 0–1 and laid out as the model expects;
/// boxes above `score_threshold` go through per-class non-maximum suppression, best `max_detections` kept.
public struct YOLODetector: ObjectDetector {
    enum Key {
        static let format = ParameterKey<String>("output_format")
        static let inputLayout = ParameterKey<String>("input_layout")
    }

    public static let description = BlockDescription(
        kind: .modelWrapper, name: "YOLODetector",
        summary: "A YOLOv8- or YOLOv5-style detector: boxes decoded from its output, per-class non-maximum suppression; scored with COCO's mAP on a detection dataset",
        parameters: [
            ParameterSpec(CommonParameter.modelPath, .path, help: "Path of the .onnx or .tflite model"),
            ParameterSpec("model_name", .string, default: .null, nullable: true, help: "Name used in reports"),
            ParameterSpec(Key.format, .choice(["auto", "yolov8", "yolov5"]), default: "auto",
                          help: "yolov8: [batch, 4 + classes, boxes]; yolov5: [batch, boxes, 5 + classes] with objectness; auto: yolov8 when the last axis is the longer one, else yolov5"),
            ParameterSpec(Key.inputLayout, .choice(["NCHW", "NHWC"]), default: "NCHW", help: "Layout of the model's image input (a TFLite model's is NHWC)"),
        ] + DetectionParameters.common(iou: 0.7),
        outputFormats: [.onnx, .tflite])

    public let modelPath: String
    public let format: ModelFormat
    let outputFormat: String
    let scoreThreshold: Double
    let iouThreshold: Double
    let maxDetections: Int
    let layout: String

    public var framework: FrameworkInfo { ModelFile.framework(format) }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        modelPath = p[CommonParameter.modelPath] ?? ""
        format = ModelFile.format(of: modelPath)
        outputFormat = p[Key.format] ?? "auto"
        scoreThreshold = p[DetectionParameters.scoreThreshold]
        iouThreshold = p[DetectionParameters.iouThreshold]
        maxDetections = p[DetectionParameters.maxDetections]
        layout = format == .tflite ? "NHWC" : p[Key.inputLayout] ?? "NCHW"
    }

    public func artifact() throws(KenningError) -> ModelArtifact {
        let io = try ModelFile.io(modelPath, format: format)
        guard io.inputs.count == 1, let out = io.outputs.first, out.shape.count == 3 || out.shape.allSatisfy({ $0 < 0 }) else {
            throw .badInput("\(modelPath) is not a YOLO-style detector: it needs one image input and a [batch, rows, boxes] output "
                            + "(it has \(io.inputs.count) input(s), output shape \(io.outputs.first?.shape ?? []))", path: "$.parameters.model_path",
                            fix: "use a YOLOv5/v8 export, or AnyModel to measure another model")
        }
        return ModelArtifact(path: modelPath, format: format, io: io)
    }

    public func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor] {
        guard let spec = io.inputs.first, sampleShape.count == 3 else { throw .failure("a detector takes [height, width, channels] images") }
        let (h, w, c) = (sampleShape[0], sampleShape[1], sampleShape[2])
        let expected = layout == "NCHW" ? [c, h, w] : [h, w, c]
        guard spec.shape.count == 4, zip(spec.shape.dropFirst(), expected).allSatisfy({ $0 < 0 || $0 == $1 }) else {
            throw .badInput("images of \(h)×\(w)×\(c) do not fit the model input \"\(spec.name)\" \(spec.shape) (\(layout))",
                            path: "$.dataset.parameters", fix: "set the dataset's image size to the model's input size")
        }
        var values = [Float](repeating: 0, count: samples.count * h * w * c)
        for (k, s) in samples.enumerated() {
            let base = k * h * w * c
            if layout == "NCHW" {
                for ch in 0..<c { for p in 0..<(h * w) { values[base + ch * h * w + p] = s[p * c + ch] / 255 } }
            } else {
                for i in 0..<(h * w * c) { values[base + i] = s[i] / 255 }
            }
        }
        return [Tensor(shape: [samples.count] + expected, floats: values)]
    }

    /// Every output value of each sample (what fidelity to the unoptimized model compares).
    public func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] {
        try AnyModel.rows(outputs)
    }

    public func detections(_ outputs: [Tensor], samples: Int) throws(KenningError) -> [[DetectedBox]] {
        guard let out = outputs.first, out.shape.count == 3, out.shape[0] == samples else {
            throw .failure("the detector's output \(outputs.first?.shape ?? []) is not [\(samples), rows, boxes]")
        }
        let (a, b) = (out.shape[1], out.shape[2])
        // YOLOv8 lays boxes along the last axis ([4 + C, N]); YOLOv5 along the middle one ([N, 5 + C]).
        let v8 = outputFormat == "yolov8" || (outputFormat == "auto" && a < b)
        let (count, width) = v8 ? (b, a) : (a, b)
        let objectness = !v8
        let classes = width - (objectness ? 5 : 4)
        guard classes >= 1 else { throw .failure("the detector's output \(out.shape) has no class scores") }
        let v = out.floats
        var result: [[DetectedBox]] = []
        for s in 0..<samples {
            let base = s * a * b
            func at(_ box: Int, _ field: Int) -> Float { v8 ? v[base + field * b + box] : v[base + box * b + field] }
            var found: [DetectedBox] = []
            for i in 0..<count {
                let obj = objectness ? at(i, 4) : 1
                var best = -Float.infinity, cls = 0
                for c in 0..<classes {
                    let score = at(i, (objectness ? 5 : 4) + c)
                    if score > best { (best, cls) = (score, c) }
                }
                let score = Double(best * obj)
                guard score >= scoreThreshold else { continue }
                let (cx, cy, bw, bh) = (Double(at(i, 0)), Double(at(i, 1)), Double(at(i, 2)), Double(at(i, 3)))
                found.append(DetectedBox(box: [cx - bw / 2, cy - bh / 2, bw, bh], score: score, classIndex: cls))
            }
            result.append(Self.suppress(found, iou: iouThreshold, keep: maxDetections))
        }
        return result
    }

    /// Greedy per-class non-maximum suppression, best score first.
    static func suppress(_ boxes: [DetectedBox], iou limit: Double, keep: Int) -> [DetectedBox] {
        let sorted = boxes.enumerated().sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }.map(\.element)
        var kept: [DetectedBox] = []
        for b in sorted where kept.count < keep {
            if !kept.contains(where: { $0.classIndex == b.classIndex && COCOEvaluation.iou(b.box, $0.box, crowd: false) > limit }) { kept.append(b) }
        }
        return kept
    }
}
