import KenningCore

/// One operator of a graph: op type and domain, named inputs and outputs (empty names are absent optional inputs),
/// and its attributes in file order.
public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [(String, AttributeValue)]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [(String, AttributeValue)] = [])
    {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    public static func == (a: Node, b: Node) -> Bool {
        a.name == b.name && a.opType == b.opType && a.domain == b.domain && a.inputs == b.inputs && a.outputs == b.outputs
            && a.attributes.count == b.attributes.count
            && zip(a.attributes, b.attributes).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public subscript(attribute name: String) -> AttributeValue? { attributes.first { $0.0 == name }?.1 }

    public func int(_ name: String, default d: Int) -> Int {
        if case let .int(v)? = self[attribute: name] { return v }
        return d
    }

    public func float(_ name: String, default d: Float) -> Float {
        if case let .float(v)? = self[attribute: name] { return v }
        return d
    }

    public func ints(_ name: String) -> [Int]? {
        if case let .ints(v)? = self[attribute: name] { return v }
        return nil
    }

    public func floatList(_ name: String) -> [Float]? {
        if case let .floats(v)? = self[attribute: name] { return v }
        return nil
    }

    public func string(_ name: String) -> String? {
        if case let .string(v)? = self[attribute: name] { return v }
        return nil
    }

    /// Human-readable reference used in error messages.
    public var label: String { "node \"\(name.isEmpty ? outputs.first ?? "?" : name)\" (\(opType))" }

    /// The subgraphs among the attributes (If's branches), with their attribute names.
    public var subgraphs: [(String, Graph)] {
        attributes.compactMap { name, value in
            if case let .graph(g) = value { return (name, g) }
            return nil
        }
    }

    /// Values of enclosing scopes that this node's subgraphs read (at any depth): inputs in all but name.
    public var capturedInputs: Set<String> {
        var captured = Set<String>()
        for (_, g) in subgraphs { captured.formUnion(g.outerReferences) }
        return captured
    }

    /// Names of real inputs (ONNX marks an omitted optional input with an empty name).
    public var presentInputs: [String] { inputs.filter { !$0.isEmpty } }
}
