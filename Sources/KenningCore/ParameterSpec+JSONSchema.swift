extension ParameterSpec {
    /// This parameter's JSON Schema (draft 2020-12), from the same declaration that decodes it: type, allowed values
    /// or range, default, help as the description. With `orList`, a list of such values is accepted too (the value
    /// lists of a fine-tune config's searched blocks).
    public func jsonSchema(orList: Bool) -> JSONValue {
        var pairs: [(String, JSONValue)]
        switch type {
        case .string, .path: pairs = [("type", "string")]
        case .integer: pairs = [("type", "integer")] + bounds
        case .number: pairs = [("type", "number")] + bounds
        case .boolean: pairs = [("type", "boolean")]
        case .booleanOrAuto: pairs = [("anyOf", [.object([("type", "boolean")]), .object([("const", "auto")])])]
        case let .choice(values): pairs = [("enum", .array(values.map { .string($0) }))]
        case .numberList: pairs = [("type", "array"), ("items", .object([("type", "number")]))]
        case .numberOrList:
            let number = JSONValue.object([("type", "number")] + bounds)
            pairs = [("anyOf", [number, .object([("type", "array"), ("items", number), ("minItems", 1)])])]
        case .stringList: pairs = [("type", "array"), ("items", .object([("type", "string")]))]
        }
        var value = JSONValue.object(pairs)
        if nullable || defaultValue == .null { value = .object([("anyOf", [value, .object([("type", "null")])])]) }
        if orList { value = .object([("anyOf", [value, .object([("type", "array"), ("items", value), ("minItems", 1)])])]) }
        var out = value.objectPairs ?? []
        out.append(("description", .string(help)))
        if let defaultValue { out.append(("default", defaultValue)) }
        return .object(out)
    }

    private var bounds: [(String, JSONValue)] {
        guard let range else { return [] }
        return [("minimum", .double(range.lowerBound)), ("maximum", .double(range.upperBound))]
    }
}
