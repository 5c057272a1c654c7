/// A parameter's name with the Swift type it is read as. A block declares each key once, builds its `ParameterSpec`
/// from it and reads the resolved value through it, so the name is written once and a misspelt key does not compile.
public struct ParameterKey<Value>: Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

extension ParameterSpec {
    /// The declaration of the parameter `key` names.
    public init<Value>(_ key: ParameterKey<Value>, _ type: ParameterType, default defaultValue: JSONValue? = nil, nullable: Bool = false,
                       range: ClosedRange<Double>? = nil, help: String) {
        self.init(key.name, type, default: defaultValue, nullable: nullable, range: range, help: help)
    }
}

extension ResolvedParameters {
    public subscript(_ key: ParameterKey<Int>) -> Int { int(key.name) }
    public subscript(_ key: ParameterKey<Double>) -> Double { double(key.name) }
    public subscript(_ key: ParameterKey<Bool>) -> Bool { bool(key.name) }
    /// A string parameter (nil when null or absent).
    public subscript(_ key: ParameterKey<String>) -> String? { string(key.name) }
    /// A list of numbers (empty when absent).
    public subscript(_ key: ParameterKey<[Double]>) -> [Double] { doubles(key.name) ?? [] }
    /// A `booleanOrAuto` parameter: nil for `"auto"`.
    public subscript(_ key: ParameterKey<Bool?>) -> Bool? { boolOrAuto(key.name) }
    /// A list of strings; nil when null or absent.
    public subscript(_ key: ParameterKey<[String]>) -> [String]? { self[key.name]?.arrayValue?.compactMap(\.stringValue) }
}
