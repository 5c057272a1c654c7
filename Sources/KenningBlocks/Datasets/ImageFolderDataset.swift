import Foundation
import KenningCore

/// A classification dataset from a folder of class folders (`root/<class>/<image>`, the layout of torchvision's
/// ImageFolder): classes are the sub-folder names in sorted order, images any file Pillow reads (jpg, png, bmp, webp,
/// pgm/ppm, …) of any size and channel count, brought to one sample shape by the shared image preprocessing.
public struct ImageFolderDataset: Dataset {
    public static let extensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "webp", "pgm", "ppm", "pbm", "gif", "tif", "tiff"]

    public static let description = BlockDescription(
        kind: .dataset, name: "ImageFolderDataset",
        summary: "Images in one folder per class (root/<class>/<image>; jpg, png, bmp, webp, pgm …, any size); decoded by Pillow once and cached",
        parameters: DatasetParameters.common(root: nil) + ImagePreprocessing.parameters())

    public let classNames: [String]
    public let sampleShape: [Int]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    /// The image file of each sample.
    public let files: [String]
    private let pixels: [UInt8]
    private let labels: [Int]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        let root = p[CommonParameter.datasetRoot] ?? ""
        let (classes, files, labels) = try Self.listing(root: root)
        classNames = classes
        self.files = files
        self.labels = labels
        batchSize = p[CommonParameter.inferenceBatchSize]
        (trainIndices, testIndices) = DatasetParameters.split(labels: labels, p)
        let decoded = try ImagePreprocessing(p).decode(files, cacheFolder: root, what: "ImageFolderDataset")
        pixels = decoded.pixels
        sampleShape = decoded.shape
    }

    /// Class names (sorted sub-folders that hold images), image paths and their labels.
    static func listing(root: String) throws(KenningError) -> ([String], [String], [Int]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw .badInput("the image folder \(root.isEmpty ? "(none given)" : root) does not exist", path: "$.parameters.dataset_root",
                            fix: "set dataset_root to a folder with one sub-folder of images per class")
        }
        let folders = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        var classes: [String] = [], files: [String] = [], labels: [Int] = []
        for name in folders {
            let folder = (root as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else { continue }
            let images = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { !$0.hasPrefix(".") && extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            guard !images.isEmpty else { continue }
            for image in images {
                files.append((folder as NSString).appendingPathComponent(image))
                labels.append(classes.count)
            }
            classes.append(name)
        }
        guard !files.isEmpty else {
            throw .badInput("\(root) has no class folders with images (looked for \(extensions.sorted().joined(separator: ", ")) files in its sub-folders)",
                            path: "$.parameters.dataset_root", fix: "put each class's images in a sub-folder named after the class: \(root)/<class>/<image>")
        }
        return (classes, files, labels)
    }

    public func sample(_ index: Int) -> [Float] {
        let per = sampleShape.reduce(1, *)
        return pixels[(index * per)..<((index + 1) * per)].map { Float($0) }
    }

    public func label(_ index: Int) -> Int { labels[index] }
}
