
/// A model file format, as Kenning names it (`onnx`, `keras`, `tflite`, `tvm`, …).
public struct ModelFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let onnx = ModelFormat(rawValue: "onnx")
    public static let keras = ModelFormat(rawValue: "keras")
    public static let tflite = ModelFormat(rawValue: "tflite")
    public static let tvm = ModelFormat(rawValue: "tvm")
    public static let iree = ModelFormat(rawValue: "iree")
    public static let openvino = ModelFormat(rawValue: "openvino")
}
