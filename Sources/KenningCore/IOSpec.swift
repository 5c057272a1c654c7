
/// A model's IO specification; travels with every artifact (Kenning's `<model>.json` side file).
public struct IOSpec: Sendable, Equatable {
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]

    public init(inputs: [TensorSpec], outputs: [TensorSpec]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    public var json: JSONValue {
        .object([("input", .array(inputs.map(\.json))), ("output", .array(outputs.map(\.json)))])
    }
}
