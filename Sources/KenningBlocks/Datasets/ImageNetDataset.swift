import Foundation
import KenningCore

/// Kenning's ImageNet layout (`<root>/images/<file>` and `<root>/labels.json` mapping each file name to its class
/// 0…999), read from a local folder (ImageNet cannot be downloaded here, nor by Kenning), with Kenning's
/// `preprocess_type`: caffe (BGR, minus the BGR means), tf (to −1…1), torch (÷255, ImageNet mean and std), none.
/// Images are resized as Kenning does (224 × 224, Pillow's bicubic filter); samples are HWC and the model wrapper lays
/// them out (`image_memory_layout` is Kenning's switch and recorded only).
public struct ImageNetDataset: Dataset {
    enum Key {
        static let preprocessType = ParameterKey<String>("preprocess_type")
    }

    public static let description = BlockDescription(
        kind: .dataset, name: "ImageNetDataset", kenningModule: "kenning.datasets.imagenet_dataset",
        summary: "ImageNet in Kenning's layout (images/ and labels.json: file name → class 0…999) from a local folder; Kenning's preprocess_type",
        parameters: DatasetParameters.common(root: nil) + [
            ParameterSpec("image_memory_layout", .choice(["NHWC", "NCHW"]), default: "NHWC",
                          help: "Kenning's layout switch; samples are HWC here and the model wrapper lays them out"),
            ParameterSpec(Key.preprocessType, .choice(["caffe", "tf", "torch", "none"]), default: "caffe",
                          help: "caffe: BGR minus [103.939, 116.779, 123.68]; tf: x / 127.5 − 1; torch: (x / 255 − [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]; none: 0–255 RGB"),
        ] + ImagePreprocessing.parameters(defaultSize: .int(224), defaultResample: "bicubic").filter { $0.name != "color" })

    public let classNames: [String]
    public let sampleShape: [Int]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    public let preprocessType: String
    private let pixels: [UInt8]
    private let labels: [Int]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        let root = p[CommonParameter.datasetRoot] ?? ""
        let labelsPath = (root as NSString).appendingPathComponent("labels.json")
        guard let data = FileManager.default.contents(atPath: labelsPath) else {
            throw .badInput("ImageNet labels not found: \(labelsPath)", path: "$.parameters.dataset_root",
                            fix: "point dataset_root at a folder with images/ and labels.json ({\"file.JPEG\": class 0…999, …}); ImageNet is not downloaded")
        }
        guard let doc = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), let pairs = doc.objectPairs, !pairs.isEmpty else {
            throw .badInput("\(labelsPath) is not a JSON object of file name → class", path: "$.parameters.dataset_root",
                            fix: "write {\"file.JPEG\": 65, …} with classes 0…999")
        }
        var files: [String] = [], labels: [Int] = []
        for (name, value) in pairs.sorted(by: { $0.0 < $1.0 }) {
            guard let c = value.intValue, (0..<1000).contains(c) else {
                throw .badInput("\(labelsPath): \"\(name)\" has the class \(value.serialized(indent: nil)), not a whole number 0…999",
                                path: "$.parameters.dataset_root", fix: "give each file in labels.json its ImageNet class index 0…999")
            }
            let path = (root as NSString).appendingPathComponent("images/" + name)
            guard FileManager.default.fileExists(atPath: path) else {
                throw .badInput("\(path) is listed in labels.json but missing", path: "$.parameters.dataset_root",
                                fix: "add the image or remove its entry from labels.json")
            }
            files.append(path)
            labels.append(c)
        }
        classNames = (0..<1000).map { String($0) }
        self.labels = labels
        preprocessType = p[Key.preprocessType] ?? "caffe"
        batchSize = p[CommonParameter.inferenceBatchSize]
        (trainIndices, testIndices) = DatasetParameters.split(labels: labels, p)
        var settings = ImagePreprocessing(p)
        settings.color = "RGB"
        let decoded = try settings.decode(files, cacheFolder: root, what: "ImageNetDataset")
        pixels = decoded.pixels
        sampleShape = decoded.shape
    }

    public func sample(_ index: Int) -> [Float] {
        let per = sampleShape.reduce(1, *)
        let px = pixels[(index * per)..<((index + 1) * per)]
        switch preprocessType {
        case "caffe":
            // To BGR, minus the BGR channel means.
            let means: [Float] = [103.939, 116.779, 123.68]
            var out = [Float](repeating: 0, count: per)
            var i = 0
            for p in stride(from: px.startIndex, to: px.endIndex, by: 3) {
                for c in 0..<3 { out[i + c] = Float(px[p + 2 - c]) - means[c] }
                i += 3
            }
            return out
        case "tf":
            return px.map { Float($0) / 127.5 - 1 }
        case "torch":
            let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
            return px.enumerated().map { k, v in (Float(v) / 255 - mean[k % 3]) / std[k % 3] }
        default:
            return px.map { Float($0) }
        }
    }

    public func label(_ index: Int) -> Int { labels[index] }
}
