import Foundation
import KenningCore

/// TensorFlow Lite models (`.tflite` FlatBuffers) read into the graph IR, so the native runtime and the graph passes
/// run them like ONNX models.
///
/// The importer covers the float builtin operators of today's edge CNNs (convolutions, depthwise convolutions, fully
/// connected, pooling, padding, element-wise arithmetic and activations, reshapes, concatenation, mean, softmax,
/// resizing) and weights stored as float16 or int8 behind DEQUANTIZE. TFLite is channels-last; the graph keeps the
/// model's NHWC inputs and outputs and works NCHW inside, with a Transpose only where a tensor changes side.
public enum TFLite {
    /// True when `bytes` carry TFLite's file identifier ("TFL3" at offset 4).
    public static func isTFLite(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 8 && Array(bytes[4..<8]) == Array("TFL3".utf8)
    }

    /// True when the file at `path` is a TFLite model (by its identifier).
    public static func isTFLite(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return isTFLite([UInt8](handle.readData(ofLength: 8)))
    }

    /// The inputs and outputs a `.tflite` file declares, read without converting its operators (so a model with
    /// operators the importer lacks still has an IO spec for TFLiteRuntime).
    public static func ioSpec(path: String) throws(KenningError) -> IOSpec {
        try reading(path) { importer in try importer.ioSpec() }
    }

    /// Reads the `.tflite` file at `path` into a model.
    public static func load(path: String) throws(KenningError) -> Model {
        try reading(path) { importer in try importer.model() }
    }

    /// Reads a TFLite model from its bytes (`path` names it in messages).
    public static func decode(_ bytes: [UInt8], path: String = "<bytes>") throws(KenningError) -> Model {
        try reading(bytes, path) { importer in try importer.model() }
    }

    private static func reading<T>(_ path: String, _ body: (inout TFLiteImporter) throws -> T) throws(KenningError) -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badInput("model file not found: \(path)", file: path, fix: "check the model path")
        }
        return try reading([UInt8](data), path, body)
    }

    private static func reading<T>(_ bytes: [UInt8], _ path: String, _ body: (inout TFLiteImporter) throws -> T) throws(KenningError) -> T {
        guard isTFLite(bytes) else {
            throw .badInput("\(path) is not a TFLite model (no \"TFL3\" identifier)", file: path, fix: "give a .tflite file written by a TFLite converter")
        }
        do {
            var importer = TFLiteImporter(FlatBuffer(bytes: bytes))
            return try body(&importer)
        } catch let e as TFLiteImporter.Unsupported {
            throw .badInput("\(path): \(e.reason)", file: path,
                            fix: "use TFLiteRuntime for this model, or convert it to ONNX and use the ONNX model")
        } catch let e as FlatBuffer.Malformed {
            throw .badInput("\(path) is a corrupt TFLite file: \(e.reason)", file: path, fix: "re-export the model")
        } catch let e as KenningError {
            throw e
        } catch {
            throw .badInput("\(path): \(error)", file: path)
        }
    }
}
