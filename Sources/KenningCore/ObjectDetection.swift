/// A box found in a sample: [x, y, width, height] in the sample's pixels, a score and a class index.
public struct DetectedBox: Sendable, Equatable {
    public var box: [Double]
    public var score: Double
    public var classIndex: Int
    public init(box: [Double], score: Double, classIndex: Int) {
        (self.box, self.score, self.classIndex) = (box, score, classIndex)
    }
}

/// A model wrapper that turns a detector's outputs into boxes (object detection).
public protocol ObjectDetector: ModelWrapper {
    /// The boxes of each sample of a batch, in the sample's pixel coordinates, best first.
    func detections(_ outputs: [Tensor], samples: Int) throws(KenningError) -> [[DetectedBox]]
}

/// A dataset whose samples carry the boxes to find, in COCO's terms (object detection).
public protocol DetectionDataset: Dataset {
    /// The image id of sample `index`.
    func imageID(_ index: Int) -> Int
    /// The ground truth of sample `index`, in its image's pixel coordinates.
    func truth(_ index: Int) -> [COCOEvaluation.Truth]
    /// The COCO category id of a class index.
    func category(ofClass index: Int) -> Int?
    /// A box in sample `index`'s pixels ([x, y, width, height]) in its image's pixels.
    func toImage(_ box: [Double], sample index: Int) -> [Double]
}
