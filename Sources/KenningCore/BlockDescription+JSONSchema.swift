extension BlockDescription {
    /// The JSON Schema of one block entry, `{"type": …, "parameters": {…}}`: the type by its short or a dotted name,
    /// every declared parameter, the required ones, nothing else. With `orLists`, each parameter also takes a list.
    public func jsonSchema(orLists: Bool) -> JSONValue {
        let properties = parameters.map { ($0.name, $0.jsonSchema(orList: orLists)) }
        let required = parameters.filter(\.isRequired).map { JSONValue.string($0.name) }
        var parametersSchema: [(String, JSONValue)] = [("type", "object"), ("properties", .object(properties)), ("additionalProperties", false)]
        if !required.isEmpty { parametersSchema.append(("required", .array(required))) }
        var entry: [(String, JSONValue)] = [
            ("type", "object"),
            ("description", .string(summary)),
            ("properties", .object([
                // The short name, or any dotted module path ending in it (Kenning's, e.g. `\(dottedName)`).
                ("type", .object([("type", "string"), ("pattern", .string("^([A-Za-z_][A-Za-z0-9_]*\\.)*\(name)$"))])),
                ("parameters", .object(parametersSchema)),
            ])),
            ("required", .array(required.isEmpty ? ["type"] : ["type", "parameters"])),
            ("additionalProperties", false),
        ]
        if let k = kenningModule { entry.append(("x-kenning-module", .string(k))) }
        return .object(entry)
    }
}
