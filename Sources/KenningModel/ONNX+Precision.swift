import Foundation

extension ONNX {
    /// Operators that make a graph integer-quantized.
    static let quantizedOperators: Set<String> = ["QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger"]

    /// What an ONNX model computes in — "int8" (quantized operators), "float16" (float16 weights) or "float32" — read
    /// from the main graph's operator types and weight types alone, without decoding any tensor (a fraction of a full
    /// `load` on a large model). nil when the file is not a readable ONNX model.
    public static func precision(path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        do {
            var model = ProtoReader(bytes[...])
            var float16 = false
            while let (field, value) = try model.next() {
                guard field == 7 else { continue }
                var graph = ProtoReader(try value.bytes())
                while let (g, item) = try graph.next() {
                    if g == 1 {
                        var node = ProtoReader(try item.bytes())
                        while let (n, v) = try node.next() {
                            if n == 4, quantizedOperators.contains(try v.string()) { return "int8" }
                        }
                    } else if g == 5 {
                        var tensor = ProtoReader(try item.bytes())
                        while let (t, v) = try tensor.next() {
                            if t == 2, try v.int() == 10 { float16 = true }
                        }
                    }
                }
            }
            return float16 ? "float16" : "float32"
        } catch {
            return nil
        }
    }
}
