
/// Element types, with ONNX's `TensorProto.DataType` codes.
public enum ElementType: String, Sendable, CaseIterable {
    case float32, uint8, int8, uint16, int16, int32, int64, string, bool, float16, float64

    public var onnxCode: Int {
        switch self {
        case .float32: return 1
        case .uint8: return 2
        case .int8: return 3
        case .uint16: return 4
        case .int16: return 5
        case .int32: return 6
        case .int64: return 7
        case .string: return 8
        case .bool: return 9
        case .float16: return 10
        case .float64: return 11
        }
    }

    public init?(onnxCode: Int) {
        guard let t = ElementType.allCases.first(where: { $0.onnxCode == onnxCode }) else { return nil }
        self = t
    }

    /// Kenning / numpy spelling used in IO specification files.
    public var numpyName: String {
        switch self {
        case .float32: return "float32"
        case .float16: return "float16"
        case .float64: return "float64"
        default: return rawValue
        }
    }
}
