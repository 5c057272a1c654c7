import Foundation
import KenningCore

/// Kenning's MagicWandDataset: accelerometer recordings of three gestures and of other movement (TensorFlow Lite
/// Micro's magic wand data), read from `dataset_root/{wing,ring,slope,negative}/*.txt`. Each file holds "x,y,z" lines;
/// a line whose fields are not numbers (the format's "-,-,-") ends the current recording, and rows after the last such
/// line are dropped, as Kenning does. A recording is padded to a multiple of `window_shift` (first rows before it,
/// last rows after it, each plus noise of ±noise_level/2 rounded to 0.1) and cut into windows of `window_size` rows;
/// each window is one sample of shape [window_size, 3]. The noise is seeded by `split_seed` here (Kenning's is not
/// seeded), so runs are reproducible. Nothing is downloaded: the files must be in place.
public struct MagicWandDataset: Dataset {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let windowSize = ParameterKey<Int>("window_size")
        static let windowShift = ParameterKey<Int>("window_shift")
        static let noiseLevel = ParameterKey<Int>("noise_level")
    }

    public static let description = BlockDescription(
        kind: .dataset, name: "MagicWandDataset", kenningModule: "kenning.datasets.magic_wand_dataset",
        summary: "Accelerometer gestures (wing, ring, slope, negative) from local text files; windows of [window_size, 3]",
        parameters: DatasetParameters.common(root: nil) + [
            ParameterSpec(Key.windowSize, .integer, default: 128, range: 1...65536, help: "Rows (time steps) per sample"),
            ParameterSpec(Key.windowShift, .integer, default: 128, range: 1...65536,
                          help: "Recordings are padded to a multiple of this (Kenning's meaning; it must be a multiple of window_size)"),
            ParameterSpec(Key.noiseLevel, .integer, default: 20, range: 0...100_000, help: "Amplitude of the noise added to padding rows"),
        ])

    public static let classes = ["wing", "ring", "slope", "negative"]

    public let classNames = MagicWandDataset.classes
    public let sampleShape: [Int]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    private let samples: [[Float]]
    private let labels: [Int]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        let root = p[CommonParameter.datasetRoot] ?? ""
        let window = p[Key.windowSize], shift = p[Key.windowShift], noise = Double(p[Key.noiseLevel])
        guard shift % window == 0 else {
            throw .badInput("window_shift \(shift) is not a multiple of window_size \(window): the windows would differ in length",
                            path: "$.parameters.window_shift", fix: "use window_shift \(window) (the default)")
        }
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(p[CommonParameter.splitSeed])) ^ 0x3A6D)
        func jitter() -> Float {
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            return Float((((u - 0.5) * noise) * 10).rounded() / 10)
        }
        var samples: [[Float]] = [], labels: [Int] = []
        let fm = FileManager.default
        for (label, name) in Self.classes.enumerated() {
            let dir = (root as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw .badInput("the Magic Wand data set has no \(name) folder: \(dir)", path: "$.parameters.dataset_root",
                                fix: "put TensorFlow Lite Micro's magic wand data (folders wing, ring, slope, negative with *.txt) under \(root)")
            }
            let files = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".txt") && !$0.hasPrefix("._") }.sorted()
            for file in files {
                let path = (dir as NSString).appendingPathComponent(file)
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw .badInput("cannot read \(path) as UTF-8 text", file: path, fix: "remove the file or replace it with \"x,y,z\" lines")
                }
                for recording in Self.recordings(text) {
                    for w in Self.windows(recording, window: window, shift: shift, noise: jitter) {
                        samples.append(w)
                        labels.append(label)
                    }
                }
            }
        }
        guard !samples.isEmpty else {
            throw .badInput("no gesture recordings under \(root)", path: "$.parameters.dataset_root",
                            fix: "each class folder needs *.txt files of \"x,y,z\" lines separated by \"-,-,-\" lines")
        }
        self.samples = samples
        self.labels = labels
        sampleShape = [window, 3]
        batchSize = p[CommonParameter.inferenceBatchSize]
        (trainIndices, testIndices) = DatasetParameters.split(labels: labels, p)
    }

    /// The recordings of one file: rows of three numbers, ended by a line of three non-numbers; rows after the last
    /// such line are dropped; lines without exactly three fields are skipped.
    static func recordings(_ text: String) -> [[[Float]]] {
        var out: [[[Float]]] = [], current: [[Float]] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.trimmingCharacters(in: .whitespaces).split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let values = fields.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            if values.count == 3 {
                current.append(values)
            } else {
                if !current.isEmpty { out.append(current) }
                current = []
            }
        }
        return out
    }

    /// Pads a recording (first rows before it, last rows after it, each with fresh noise) and cuts it into windows.
    static func windows(_ rows: [[Float]], window: Int, shift: Int, noise: () -> Float) -> [[Float]] {
        let n = rows.count
        let before = abs(window - n) % window
        let after = (shift - (before + n) % shift) % shift
        var padded: [[Float]] = []
        padded.reserveCapacity(before + n + after)
        for _ in 0..<before { padded.append(rows[0].map { $0 + noise() }) }
        padded += rows
        for _ in 0..<after { padded.append(rows[n - 1].map { $0 + noise() }) }
        return stride(from: 0, to: padded.count - window + 1, by: window).map { Array(padded[$0..<($0 + window)].joined()) }
    }

    public func sample(_ index: Int) -> [Float] { samples[index] }
    public func label(_ index: Int) -> Int { labels[index] }
}
