import KenningCore

/// The box filtering every detector wrapper takes, declared once: score threshold, NMS overlap, boxes kept.
enum DetectionParameters {
    static let scoreThreshold = ParameterKey<Double>("score_threshold")
    static let iouThreshold = ParameterKey<Double>("iou_threshold")
    static let maxDetections = ParameterKey<Int>("max_detections")

    static func common(iou: Double) -> [ParameterSpec] {
        [
            ParameterSpec(scoreThreshold, .number, default: 0.001, range: 0...1, help: "Boxes scoring below this are dropped (0.001: COCO evaluation)"),
            ParameterSpec(iouThreshold, .number, default: .double(iou), range: 0...1,
                          help: "Non-maximum suppression: a box overlapping a better one of its class more than this is dropped"),
            ParameterSpec(maxDetections, .integer, default: 100, range: 1...10000, help: "Boxes kept per image"),
        ]
    }
}
