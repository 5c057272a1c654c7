import Foundation
import KenningCore

/// The UCI handwritten digits (1797 8×8 images, values 0…16) shipped in `data/digits/digits.bin`.
public struct DigitsDataset: Dataset {
    public static let fileName = "digits.bin"
    public static let description = BlockDescription(
        kind: .dataset, name: "DigitsDataset",
        summary: "1797 real 8×8 handwritten digits (UCI, as shipped with scikit-learn); no download needed",
        parameters: DatasetParameters.common(root: "data/digits"))

    public let classNames = (0..<10).map(String.init)
    public let sampleShape = [8, 8]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    private let pixels: [UInt8]
    private let labels: [Int]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        let root = p[CommonParameter.datasetRoot] ?? "data/digits"
        let path = (root as NSString).appendingPathComponent(Self.fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badInput("digits data file not found: \(path)", path: "$.parameters.dataset_root",
                            fix: "point dataset_root at the repository's data/digits folder (or regenerate it with scripts/make-digits-data.py)")
        }
        let bytes = [UInt8](data)
        guard !bytes.isEmpty, bytes.count % 65 == 0 else {
            throw .badInput("\(path) is not a digits data file (\(bytes.count) bytes is not a multiple of 65)", file: path,
                            fix: "restore data/digits/digits.bin from the repository")
        }
        let n = bytes.count / 65
        var labels: [Int] = []
        var pixels: [UInt8] = []
        pixels.reserveCapacity(n * 64)
        for r in 0..<n {
            let label = Int(bytes[r * 65])
            guard label < 10 else {
                throw .badInput("\(path): record \(r) has label \(label), expected 0…9", file: path, fix: "restore the file from the repository")
            }
            labels.append(label)
            pixels.append(contentsOf: bytes[(r * 65 + 1)..<(r * 65 + 65)])
        }
        self.labels = labels
        self.pixels = pixels
        self.batchSize = p[CommonParameter.inferenceBatchSize]
        (self.trainIndices, self.testIndices) = DatasetParameters.split(labels: labels, p)
    }

    public func sample(_ index: Int) -> [Float] {
        pixels[(index * 64)..<(index * 64 + 64)].map { Float($0) }
    }

    public func label(_ index: Int) -> Int { labels[index] }
}
