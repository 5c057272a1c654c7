
/// Name, shape (-1 = any size), and element type of one model input or output.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var elementType: ElementType

    public init(name: String, shape: [Int], elementType: ElementType) {
        self.name = name
        self.shape = shape
        self.elementType = elementType
    }

    public var json: JSONValue {
        .object([("name", .string(name)), ("shape", JSONValue(shape)), ("dtype", .string(elementType.numpyName))])
    }
}
