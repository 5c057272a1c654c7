import Foundation
import KenningCore

/// COCO-format object detection from a local folder in Kenning's layout (`<root>/<dataset_type>/<image>` and
/// `<root>/annotations/instances_<dataset_type>.json`): any images with COCO instance annotations, not only COCO's
/// own (which cannot be downloaded here). Images go through the shared image preprocessing (Kenning's default: an
/// exact resize to image_width × image_height); detections are mapped back to each image's pixels and scored with
/// COCO's mAP.
public struct COCODataset2017: DetectionDataset {
    enum Key {
        static let datasetType = ParameterKey<String>("dataset_type")
        static let imageWidth = ParameterKey<Int>("image_width")
        static let imageHeight = ParameterKey<Int>("image_height")
    }

    public static let description = BlockDescription(
        kind: .dataset, name: "COCODataset2017", kenningModule: "kenning.datasets.coco_dataset",
        summary: "COCO-format object detection (images + instances JSON) from a local folder in Kenning's layout; scored with COCO's mAP",
        parameters: DatasetParameters.common(root: nil) + [
            ParameterSpec("task", .choice(["object_detection"]), default: "object_detection", help: "Kenning's task (object detection)"),
            ParameterSpec(Key.datasetType, .string, default: "val2017", help: "The images' folder and the annotations' suffix: <root>/<type>/, annotations/instances_<type>.json"),
            ParameterSpec("image_memory_layout", .choice(["NHWC", "NCHW"]), default: "NCHW",
                          help: "Kenning's layout switch; samples are HWC here and the model wrapper lays them out"),
            ParameterSpec("show_on_eval", .boolean, default: false, help: "Kenning's image window during evaluation (not available here; must be false)"),
            ParameterSpec(Key.imageWidth, .integer, default: 416, range: 1...16384, help: "Sample width"),
            ParameterSpec(Key.imageHeight, .integer, default: 416, range: 1...16384, help: "Sample height"),
            ParameterSpec("min_iou", .number, default: 0.5, range: 0...1, help: "Kenning's IoU threshold for its own mAP; COCO's mAP here uses 0.50:0.05:0.95 and reports map50 too"),
            ParameterSpec("max_preds", .integer, default: 100, range: 1...10000, help: "Detections kept per image"),
        ] + ImagePreprocessing.parameters().filter { $0.name != "image_size" })

    public let classNames: [String]
    public let sampleShape: [Int]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    public let maxDetections: Int
    private let categories: [Int]
    private let images: [(id: Int, width: Int, height: Int)]
    private let boxes: [[COCOEvaluation.Truth]]
    private let preprocessing: ImagePreprocessing
    private let pixels: [UInt8]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        try p.requireDefaults(Self.description.parameters.filter { $0.name == "show_on_eval" }, block: "COCODataset2017",
                              why: "there is no image window here")
        let root = p[CommonParameter.datasetRoot] ?? ""
        let type = p[Key.datasetType] ?? "val2017"
        let path = (root as NSString).appendingPathComponent("annotations/instances_\(type).json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badInput("COCO annotations not found: \(path)", path: "$.parameters.dataset_root",
                            fix: "point dataset_root at a folder with \(type)/ (the images) and annotations/instances_\(type).json; COCO is not downloaded")
        }
        guard let doc = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), let imageList = doc["images"]?.arrayValue,
              let cats = doc["categories"]?.arrayValue, let anns = doc["annotations"]?.arrayValue else {
            throw .badInput("\(path) is not COCO instances JSON (it needs \"images\", \"categories\" and \"annotations\")", path: "$.parameters.dataset_root",
                            fix: "write the annotations in COCO's format")
        }
        var categories: [Int] = [], names: [String] = []
        for c in cats {
            guard let id = c["id"]?.intValue, let name = c["name"]?.stringValue else {
                throw .badInput("\(path): a category without an integer \"id\" and a \"name\"", path: "$.parameters.dataset_root", fix: "give every category an id and a name")
            }
            categories.append(id)
            names.append(name)
        }
        var images: [(id: Int, width: Int, height: Int)] = [], files: [String] = []
        for (k, im) in imageList.enumerated() {
            guard let id = im["id"]?.intValue, let file = im["file_name"]?.stringValue, let w = im["width"]?.intValue, let h = im["height"]?.intValue, w > 0, h > 0 else {
                throw .badInput("\(path): image #\(k) lacks an integer id, a file_name, or its width and height", path: "$.parameters.dataset_root",
                                fix: "give every image its id, file_name, width and height")
            }
            let file_ = ((root as NSString).appendingPathComponent(type) as NSString).appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: file_) else {
                throw .badInput("\(file_) is listed in \(path) but missing", path: "$.parameters.dataset_root", fix: "add the image or remove it from the annotations")
            }
            images.append((id, w, h))
            files.append(file_)
        }
        guard !images.isEmpty else { throw .badInput("\(path) lists no images", path: "$.parameters.dataset_root", fix: "add images to the annotations") }
        let index = Dictionary(images.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var boxes = [[COCOEvaluation.Truth]](repeating: [], count: images.count)
        for (k, a) in anns.enumerated() {
            guard let id = a["id"]?.intValue, id != 0, let image = a["image_id"]?.intValue, let at = index[image], let c = a["category_id"]?.intValue,
                  categories.contains(c), let box = a["bbox"]?.arrayValue?.compactMap(\.doubleValue), box.count == 4 else {
                throw .badInput("\(path): annotation #\(k) needs a non-zero id, a listed image_id and category_id, and a bbox [x, y, width, height]",
                                path: "$.parameters.dataset_root", fix: "correct that annotation")
            }
            boxes[at].append(COCOEvaluation.Truth(id: id, image: image, category: c, box: box, crowd: a["iscrowd"]?.intValue == 1))
        }
        self.categories = categories
        classNames = names
        self.images = images
        self.boxes = boxes
        maxDetections = p["max_preds"]?.intValue ?? 100
        batchSize = p[CommonParameter.inferenceBatchSize]
        var settings = ImagePreprocessing(p)
        settings.size = (p[Key.imageHeight], p[Key.imageWidth])
        preprocessing = settings
        (trainIndices, testIndices) = DatasetParameters.split(labels: [Int](repeating: 0, count: images.count), p)
        let decoded = try settings.decode(files, cacheFolder: root, what: "COCODataset2017")
        pixels = decoded.pixels
        sampleShape = decoded.shape
    }

    public func sample(_ index: Int) -> [Float] {
        let per = sampleShape.reduce(1, *)
        return pixels[(index * per)..<((index + 1) * per)].map { Float($0) }
    }

    /// Detection has no single class per sample.
    public func label(_ index: Int) -> Int { 0 }

    public func imageID(_ index: Int) -> Int { images[index].id }
    public func truth(_ index: Int) -> [COCOEvaluation.Truth] { boxes[index] }
    public func category(ofClass index: Int) -> Int? { index >= 0 && index < categories.count ? categories[index] : nil }
    public func toImage(_ box: [Double], sample index: Int) -> [Double] {
        preprocessing.toImage(box, image: (images[index].width, images[index].height))
    }
}
