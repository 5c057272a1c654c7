import Foundation
import KenningCore
import KenningModel

/// What every wrapper of an ONNX or TFLite file needs: its format from its first bytes, its framework record, and its
/// IO spec read without its weights (a problem named at `$.parameters.model_path`).
enum ModelFile {
    static func format(of path: String) -> ModelFormat { TFLite.isTFLite(path: path) ? .tflite : .onnx }

    static func framework(_ format: ModelFormat) -> FrameworkInfo {
        FrameworkInfo(name: format == .tflite ? "tflite" : "onnx", version: format == .tflite ? "flatbuffer" : "ir")
    }

    static func io(_ path: String, format: ModelFormat) throws(KenningError) -> IOSpec {
        do {
            return format == .tflite ? try TFLite.ioSpec(path: path) : try ONNX.signature(path: path).io
        } catch {
            throw error.under("$.parameters.model_path")
        }
    }
}
