import Foundation
import KenningCore
import KenningWorkers

/// The Oxford-IIIT Pet data set in its published layout (`images/*.jpg`, `annotations/list.txt`); JPEGs are decoded
/// and resized by Pillow in an `images` worker, once: the pixels are cached in `<dataset_root>/.kenning-pixels-<size>.u8`.
public struct PetDataset: Dataset {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let classifyBy = ParameterKey<String>("classify_by")
        static let imageSize = ParameterKey<Int>("image_size")
    }

    public static let description = BlockDescription(
        kind: .dataset, name: "PetDataset", kenningModule: "kenning.datasets.pet_dataset",
        summary: "Oxford-IIIT Pet (37 breeds or 2 species) from a local folder in the published layout; images decoded by Pillow in a worker",
        parameters: DatasetParameters.common(root: "build/pet-dataset") + [
            ParameterSpec(Key.classifyBy, .choice(["breeds", "species"]), default: "breeds", help: "Classes: the 37 breeds or cat/dog"),
            ParameterSpec("image_memory_layout", .choice(["NHWC", "NCHW"]), default: "NHWC",
                          help: "Kenning's layout switch; samples are HWC here and the model wrapper lays them out"),
            ParameterSpec(Key.imageSize, .integer, default: 224, range: 8...2048, help: "Images are resized to image_size × image_size"),
        ])

    public let classNames: [String]
    public let sampleShape: [Int]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    private let pixels: [UInt8]
    private let labels: [Int]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        let root = p[CommonParameter.datasetRoot] ?? "build/pet-dataset"
        let listPath = root + "/annotations/list.txt"
        guard let text = try? String(contentsOfFile: listPath, encoding: .utf8) else {
            throw .badInput("Oxford-IIIT Pet annotations not found: \(listPath)", path: "$.parameters.dataset_root",
                            fix: "point dataset_root at a folder with images/ and annotations/list.txt (scripts/make-pet-fixture makes a small one; downloads are not available here)")
        }
        var names: [String] = [], breedIDs: [Int] = [], species: [Int] = []
        var breedNames: [Int: String] = [:]
        for (n, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let f = line.split(separator: " ")
            guard f.count >= 3, let c = Int(f[1]), let s = Int(f[2]), (1...37).contains(c), (1...2).contains(s) else {
                throw .badInput("\(listPath) line \(n + 1) is not \"<image> <class 1…37> <species 1…2> <breed id>\"", file: listPath,
                                fix: "restore the file from the data set")
            }
            let name = String(f[0])
            names.append(name)
            breedIDs.append(c - 1)
            species.append(s - 1)
            if breedNames[c - 1] == nil, let cut = name.lastIndex(of: "_") { breedNames[c - 1] = String(name[..<cut]) }
        }
        guard !names.isEmpty else { throw .badInput("\(listPath) lists no images", file: listPath, fix: "restore the file from the data set") }
        let byBreeds = p[Key.classifyBy] != "species"
        classNames = byBreeds ? (0..<37).map { breedNames[$0] ?? "class_\($0 + 1)" } : ["Cat", "Dog"]
        labels = byBreeds ? breedIDs : species
        let size = p[Key.imageSize]
        sampleShape = [size, size, 3]
        batchSize = p[CommonParameter.inferenceBatchSize]
        (trainIndices, testIndices) = DatasetParameters.split(labels: labels, p)
        pixels = try Self.decodeAll(root: root, names: names, size: size)
    }

    /// Every listed image as uint8 HWC pixels, from the cache when it matches, else decoded by an `images` worker.
    static func decodeAll(root: String, names: [String], size: Int) throws(KenningError) -> [UInt8] {
        let per = size * size * 3
        let cache = root + "/.kenning-pixels-\(size).u8"
        let listing = names.joined(separator: "\n")
        let stamp = FNV1a.hash(listing)
        if let data = FileManager.default.contents(atPath: cache), data.count == 8 + names.count * per,
           data.prefix(8).withUnsafeBytes({ $0.loadUnaligned(as: UInt64.self) }) == stamp
        {
            return [UInt8](data.dropFirst(8))
        }
        let worker = try FrameworkWorker(framework: "images")
        defer { worker.stop() }
        let io = IOSpec(inputs: [TensorSpec(name: "file", shape: [-1], elementType: .uint8)],
                        outputs: [TensorSpec(name: "pixels", shape: [1, size, size, 3], elementType: .uint8)])
        try worker.uploadJSON(.ioSpec, FrameworkWorker.ioSpecJSON(io, runtime: ("PetDataset", .object([]))))
        try worker.upload(.model, Array(#"{"size": [\#(size), \#(size)], "mode": "RGB"}"#.utf8))
        var out: [UInt8] = []
        out.reserveCapacity(names.count * per)
        for name in names {
            let path = root + "/images/" + name + ".jpg"
            guard let file = FileManager.default.contents(atPath: path) else {
                throw .badInput("image \(path) is listed in annotations/list.txt but missing", file: path, fix: "restore the data set's images/ folder")
            }
            try worker.upload(.data, [UInt8](file))
            do {
                try worker.upload(.process)
            } catch {
                throw .badInput("cannot decode \(path): \(error.problems.first?.what ?? "")", file: path, fix: "replace or remove the image")
            }
            let px = try worker.download(.output)
            guard px.count == per else { throw .failure("the images worker returned \(px.count) bytes for \(path), expected \(per)") }
            out += px
        }
        var header = withUnsafeBytes(of: stamp) { Data($0) }
        header.append(contentsOf: out)
        try? header.write(to: URL(fileURLWithPath: cache), options: .atomic)   // a read-only data set just is not cached
        return out
    }

    public func sample(_ index: Int) -> [Float] {
        let per = sampleShape.reduce(1, *)
        return pixels[(index * per)..<((index + 1) * per)].map { Float($0) }
    }

    public func label(_ index: Int) -> Int { labels[index] }
}
