import KenningCore

/// A named value of a graph with its element type and shape, when the model declares them.
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    public var elementType: ElementType
    public var shape: [Dimension]?

    public init(name: String, elementType: ElementType, shape: [Dimension]?) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }

    /// The shape with unknown dimensions as -1 (Kenning's IO-spec convention).
    public var specShape: [Int] { (shape ?? []).map { $0.value ?? -1 } }

    public var tensorSpec: TensorSpec { TensorSpec(name: name, shape: specShape, elementType: elementType) }
}
