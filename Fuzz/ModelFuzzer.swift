import KenningCore
import KenningModel

/// libFuzzer entry point: the bytes are a model file for the decoder chosen at build time (`-D FUZZ_TFLITE`, else
/// ONNX). A decoded ONNX model also goes through shape inference with its declared input sizes. Errors are expected;
/// a crash, trap or sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    #if FUZZ_TFLITE
    _ = try? TFLite.decode(bytes)
    #else
    if let model = try? ONNX.decode(bytes) {
        var shapes: [String: [Int]] = [:]
        for input in model.graph.runtimeInputs {
            // Small sizes keep one execution fast; a hostile declared size is capped, not trusted.
            shapes[input.name] = (input.shape ?? []).map { min(max($0.value ?? 1, 1), 64) }
        }
        _ = try? ShapeInference.infer(model, inputShapes: shapes)
    }
    #endif
    return 0
}
