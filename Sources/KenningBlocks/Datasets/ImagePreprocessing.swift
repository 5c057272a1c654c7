import Foundation
import KenningCore
import KenningWorkers

/// How an image dataset turns files into samples, declared once for every image dataset: size, resize rule, colour
/// mode and channel order. Files are decoded by Pillow in an `images` worker, once: the pixels are cached next to the
/// data (`.kenning-pixels-<hash>.u8`, keyed by these settings and the files' names, sizes and times). Normalization
/// and layout belong to the model wrapper (ONNXImageClassifier's per-channel `input_mean`/`input_std`, `input_layout`).
public struct ImagePreprocessing: Sendable, Equatable {
    /// Sample height and width; nil keeps the images' own size (they must then all have the same one).
    public var size: (height: Int, width: Int)?
    public var resize: String
    public var ratio: Double
    public var padValue: Int
    /// "bilinear" or "bicubic" (Pillow's filters).
    public var resample: String
    /// "RGB", "BGR" or "L" (grey).
    public var color: String

    public static func == (a: Self, b: Self) -> Bool {
        a.size?.height == b.size?.height && a.size?.width == b.size?.width && a.resize == b.resize && a.ratio == b.ratio
            && a.padValue == b.padValue && a.color == b.color && a.resample == b.resample
    }

    /// The parameters every image dataset takes.
    public static func parameters(defaultSize: JSONValue = .null, defaultResample: String = "bilinear") -> [ParameterSpec] {
        [
            ParameterSpec("image_size", .numberOrList, default: defaultSize, nullable: true, range: 1...16384,
                          help: "Sample size: one number (square) or [height, width]; null keeps the images' own size (all must be equal)"),
            ParameterSpec("resize", .choice(["exact", "shorter_side", "letterbox"]), default: "exact",
                          help: "exact: stretch to image_size; shorter_side: scale to cover image_size / resize_ratio, then cut the centre; letterbox: fit inside, keep the aspect ratio, pad"),
            ParameterSpec("resize_ratio", .number, default: 1.0, range: 0.1...1,
                          help: "shorter_side's crop ratio (0.875: resize to 256, cut 224)"),
            ParameterSpec("pad_value", .integer, default: 114, range: 0...255, help: "letterbox's fill value"),
            ParameterSpec("resample", .choice(["bilinear", "bicubic"]), default: .string(defaultResample), help: "Pillow's resize filter"),
            ParameterSpec("color", .choice(["RGB", "BGR", "L"]), default: "RGB", help: "Channels of the samples: RGB, BGR, or L (one grey channel)"),
        ]
    }

    public init(_ p: ResolvedParameters) {
        if let one = p["image_size"]?.doubleValue {
            size = (Int(one), Int(one))
        } else if let two = p.doubles("image_size"), two.count >= 2 {
            size = (Int(two[0]), Int(two[1]))
        } else if let one = p.doubles("image_size")?.first {
            size = (Int(one), Int(one))
        } else {
            size = nil
        }
        resize = p["resize"]?.stringValue ?? "exact"
        ratio = p["resize_ratio"]?.doubleValue ?? 1
        padValue = p["pad_value"]?.intValue ?? 114
        resample = p["resample"]?.stringValue ?? "bilinear"
        color = p["color"]?.stringValue ?? "RGB"
    }

    var channels: Int { color == "L" ? 1 : 3 }

    /// The images worker's configuration for these settings.
    var workerConfig: JSONValue {
        var pairs: [(String, JSONValue)] = [("mode", .string(color == "L" ? "L" : "RGB")), ("order", .string(color == "BGR" ? "BGR" : "RGB")),
                                            ("resize", .string(resize)), ("ratio", .double(ratio)), ("pad", .int(padValue)),
                                            ("resample", .string(resample))]
        pairs.append(("size", size.map { JSONValue.array([.int($0.width), .int($0.height)]) } ?? .null))
        return .object(pairs)
    }

    /// Decoded pixels of `files` (uint8, HWC, one after another) and the sample shape [h, w, c]. `what` names the
    /// dataset in messages; `cacheFolder` is where the pixel cache may be written (a read-only folder is not cached).
    public func decode(_ files: [String], cacheFolder: String, what: String,
                       log: (String) -> Void = { _ in }) throws(KenningError) -> (pixels: [UInt8], shape: [Int]) {
        let stamp = cacheStamp(files)
        let cache = (cacheFolder as NSString).appendingPathComponent(".kenning-pixels-\(String(stamp, radix: 16)).u8")
        if let data = FileManager.default.contents(atPath: cache), data.count >= 24 {
            let header = data.prefix(24).withUnsafeBytes { raw in (0..<3).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) } }
            let shape = [header[0], header[1], header[2]]
            if shape.allSatisfy({ $0 > 0 }), data.count == 24 + files.count * shape.reduce(1, *) { return ([UInt8](data.dropFirst(24)), shape) }
        }
        let worker = try FrameworkWorker(framework: "images")
        defer { worker.stop() }
        let io = IOSpec(inputs: [TensorSpec(name: "file", shape: [-1], elementType: .uint8)],
                        outputs: [TensorSpec(name: "pixels", shape: [1, -1, -1, channels], elementType: .uint8)])
        try worker.uploadJSON(.ioSpec, FrameworkWorker.ioSpecJSON(io, runtime: (what, .object([]))))
        try worker.upload(.model, Array(workerConfig.serialized(indent: nil).utf8))
        var out: [UInt8] = []
        var shape: [Int] = []
        var first = ""
        let start = Date()
        for path in files {
            guard let file = FileManager.default.contents(atPath: path) else {
                throw .badInput("cannot read the image \(path)", path: "$.parameters.dataset_root", fix: "check the file's permissions, or remove it")
            }
            try worker.upload(.data, [UInt8](file))
            do {
                try worker.upload(.process)
            } catch {
                throw .badInput("cannot decode the image \(path): \(error.problems.first?.what ?? "")", path: "$.parameters.dataset_root",
                                fix: "replace or remove the file (readable formats: jpg, png, bmp, webp, pgm/ppm, gif, tiff)")
            }
            let px = try worker.download(.output)
            if shape.isEmpty {
                let stats = try? JSONValue.parse(String(decoding: try worker.download(.stats), as: UTF8.self))
                shape = stats?["output_shapes"]?.arrayValue?.first?.arrayValue?.compactMap(\.intValue).dropFirst().map { $0 } ?? []
                guard shape.count == 3, shape.reduce(1, *) == px.count else {
                    throw .failure("the images worker described \(path) as \(shape), which does not fit its \(px.count) bytes")
                }
                out.reserveCapacity(files.count * px.count)
                first = path
            }
            guard px.count == shape.reduce(1, *) else {
                throw .badInput("\(path) is not \(shape[0])×\(shape[1]) like \(first); samples of one dataset must have one size",
                                path: "$.parameters.image_size", fix: "set image_size (e.g. [224, 224]) to resize every image")
            }
            out += px
        }
        let seconds = Date().timeIntervalSince(start)
        log(String(format: "%@: decoded %d images in %.2f s (%.0f images/s)", what, files.count, seconds, Double(files.count) / max(seconds, 1e-9)))
        var data = Data(count: 24)
        data.withUnsafeMutableBytes { raw in for (k, v) in shape.enumerated() { raw.storeBytes(of: UInt64(v), toByteOffset: k * 8, as: UInt64.self) } }
        data.append(contentsOf: out)
        try? data.write(to: URL(fileURLWithPath: cache), options: .atomic)
        return (out, shape)
    }

    /// Maps a box ([x, y, width, height]) in a sample's pixels back to the pixels of its `image` (width, height), undoing
    /// the resize exactly as the images worker made it.
    public func toImage(_ box: [Double], image: (width: Int, height: Int)) -> [Double] {
        guard let size = size else { return box }
        let (W, H, w, h) = (Double(image.width), Double(image.height), size.width, size.height)
        switch resize {
        case "letterbox":
            let scale = min(Double(w) / W, Double(h) / H)
            let sw = max(1, Int((W * scale).rounded(.toNearestOrEven))), sh = max(1, Int((H * scale).rounded(.toNearestOrEven)))
            let (ox, oy) = (Double((w - sw) / 2), Double((h - sh) / 2))
            let (fx, fy) = (W / Double(sw), H / Double(sh))
            return [(box[0] - ox) * fx, (box[1] - oy) * fy, box[2] * fx, box[3] * fy]
        case "shorter_side":
            let scale = max(Double(w) / ratio / W, Double(h) / ratio / H)
            let sw = max(w, Int((W * scale).rounded(.toNearestOrEven))), sh = max(h, Int((H * scale).rounded(.toNearestOrEven)))
            let (ox, oy) = (Double((sw - w) / 2), Double((sh - h) / 2))
            let (fx, fy) = (W / Double(sw), H / Double(sh))
            return [(box[0] + ox) * fx, (box[1] + oy) * fy, box[2] * fx, box[3] * fy]
        default:
            let (fx, fy) = (W / Double(w), H / Double(h))
            return [box[0] * fx, box[1] * fy, box[2] * fx, box[3] * fy]
        }
    }

    /// FNV-1a over the settings and each file's path, size and modification time.
    func cacheStamp(_ files: [String]) -> UInt64 {
        var text = workerConfig.serialized(indent: nil)
        for f in files {
            let a = try? FileManager.default.attributesOfItem(atPath: f)
            text += "\n\(f)|\((a?[.size] as? Int) ?? -1)|\((a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        return FNV1a.hash(text)
    }
}
