import Foundation
import KenningBlocks
import KenningCore
import Testing

/// Real images (scripts/make-image-fixtures: scikit-image's photographs, the repository's digits as PNG files) through
/// the image datasets and the shared preprocessing.
@Suite struct ImageDatasets {
    static let fixtures = repo("build/image-fixtures")
    static var ready: Bool { FileManager.default.fileExists(atPath: fixtures + "/imagenet/kenning-none.npy") }

    func folder(_ values: [(String, JSONValue)]) throws -> ImageFolderDataset {
        try ImageFolderDataset(try resolved(ImageFolderDataset.description.parameters,
                                            [("dataset_root", .string(Self.fixtures + "/image-folder/photos"))] + values))
    }

    @Test func photographsInSixFormatsAndTheirOwnSizes() throws {
        try #require(Self.ready, "run scripts/make-image-fixtures")
        let exact = try folder([("image_size", [224, 160])])
        #expect(exact.classNames == ["documents", "scenes", "textures"])
        #expect(exact.files.count == 16)
        #expect(exact.sampleShape == [224, 160, 3])
        #expect(exact.trainIndices.count + exact.testIndices.count == 16)
        // Letterbox keeps the aspect ratio: page.png is 384 × 191, so rows above and below it are the pad value.
        let boxed = try folder([("image_size", 128), ("resize", "letterbox"), ("pad_value", 7), ("color", "L")])
        #expect(boxed.sampleShape == [128, 128, 1])
        let page = try #require(boxed.files.firstIndex { $0.hasSuffix("page.png") })
        let px = boxed.sample(page)
        #expect(px.prefix(128 * 20).allSatisfy { $0 == 7 } && px.suffix(128 * 20).allSatisfy { $0 == 7 })
        #expect(px[128 * 64 ..< 128 * 65].contains { $0 != 7 })
        // Shorter side then centre cut: no padding anywhere in a wide image's sample.
        let cut = try folder([("image_size", 128), ("resize", "shorter_side"), ("resize_ratio", 0.875), ("color", "L")])
        #expect(cut.sample(page).prefix(128 * 4).contains { $0 != cut.sample(page)[0] })
        // BGR is RGB with the channels reversed.
        let bgr = try folder([("image_size", 32), ("color", "BGR")]), rgb = try folder([("image_size", 32)])
        let (a, b) = (bgr.sample(3), rgb.sample(3))
        var reversed = true
        for p in stride(from: 0, to: a.count, by: 3) where a[p] != b[p + 2] || a[p + 1] != b[p + 1] || a[p + 2] != b[p] { reversed = false }
        #expect(reversed)
    }

    @Test func imageNetLayoutGivesKenningsSamples() throws {
        try #require(Self.ready, "run scripts/make-image-fixtures")
        for type in ["caffe", "tf", "torch", "none"] {
            let ds = try ImageNetDataset(try resolved(ImageNetDataset.description.parameters,
                                                      [("dataset_root", .string(Self.fixtures + "/imagenet")), ("preprocess_type", .string(type)),
                                                       ("split_fraction_test", 1.0)]))
            #expect(ds.classNames.count == 1000 && ds.sampleShape == [224, 224, 3])
            let (shape, expected) = try npyFloats(Self.fixtures + "/imagenet/kenning-\(type).npy")
            #expect(shape == [ds.testIndices.count, 224, 224, 3])
            var worst: Float = 0
            for (k, index) in ds.testIndices.enumerated() {
                let mine = ds.sample(index)
                let per = mine.count
                worst = max(worst, zip(mine, expected[(k * per)..<((k + 1) * per)]).map { abs($0 - $1) }.max() ?? 0)
            }
            #expect(worst <= 1e-4, "\(type): largest difference from Kenning's samples \(worst)")
        }
    }

    @Test func splitNeverComesOutEmpty() {
        // 120 classes with one sample each: per-class rounding gives none; the fallback draws round(120 · 0.2) = 24.
        let labels = Array(0..<120)
        let s = stratifiedSplit(labels: labels, indices: labels, testFraction: 0.2, seed: 1234)
        #expect(s.test.count == 24 && s.train.count == 96 && Set(s.test).isDisjoint(with: s.train))
        #expect(stratifiedSplit(labels: labels, indices: labels, testFraction: 0.2, seed: 1234) == s)
        // Two samples in all still give a test sample and a training sample.
        #expect(stratifiedSplit(labels: [0, 1], indices: [0, 1], testFraction: 0.01, seed: 7).test.count == 1)
    }

    @Test func perChannelNormalization() throws {
        let w = try ONNXImageClassifier(try resolved(ONNXImageClassifier.description.parameters,
                                                     [("model_path", .string(repo("models/digits-cnn.onnx"))), ("input_mean", [10, 20, 30]),
                                                      ("input_std", [2, 4, 5])]))
        let io = IOSpec(inputs: [TensorSpec(name: "x", shape: [-1, 3, 1, 2], elementType: .float32)], outputs: [])
        // One 1 × 2 RGB sample, HWC: pixels (12, 24, 40) and (14, 28, 45).
        let t = try w.preprocess([[12, 24, 40, 14, 28, 45]], sampleShape: [1, 2, 3], io: io)[0]
        #expect(t.shape == [1, 3, 1, 2])
        #expect(t.floats == [1, 2, 1, 2, 2, 3])
    }
}

/// A little-endian float32 .npy file (format 1.0/2.0) as its shape and values.
func npyFloats(_ path: String) throws -> ([Int], [Float]) {
    let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let headerLength = data[6] == 1 ? Int(data[8]) | Int(data[9]) << 8 : Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
    let start = data[6] == 1 ? 10 : 12
    let header = String(decoding: data[start..<(start + headerLength)], as: UTF8.self)
    let shapeText = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
    let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let body = Array(data[(start + headerLength)...])
    let values = stride(from: 0, to: body.count, by: 4).map { i in
        Float(bitPattern: UInt32(body[i]) | UInt32(body[i + 1]) << 8 | UInt32(body[i + 2]) << 16 | UInt32(body[i + 3]) << 24)
    }
    return (shape, values)
}
