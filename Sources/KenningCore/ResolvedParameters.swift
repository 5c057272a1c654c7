
/// Validated parameter values of one block, defaults filled in, in declaration order.
public struct ResolvedParameters: Sendable, Equatable {
    public private(set) var values: [(String, JSONValue)]

    public static func == (a: ResolvedParameters, b: ResolvedParameters) -> Bool {
        JSONValue.object(a.values) == JSONValue.object(b.values)
    }

    public init(values: [(String, JSONValue)]) { self.values = values }

    /// Validates `given` against `specs`, reporting every problem at once. Paths are relative to the
    /// block's `parameters` object (`$.parameters.<name>`).
    public static func resolve(_ given: JSONValue?, specs: [ParameterSpec], blockName: String) throws(KenningError) -> ResolvedParameters {
        var problems: [Problem] = []
        let pairs: [(String, JSONValue)]
        switch given {
        case nil, .null?: pairs = []
        case let .object(p)?: pairs = p
        case let other?:
            throw KenningError(.badInput, [Problem("\"parameters\" of \(blockName) must be an object, got \(other.typeName)",
                                                   path: "$.parameters", fix: "write the parameters as {\"name\": value, …}")])
        }
        let known = specs.map(\.name)
        for (key, _) in pairs where !known.contains(key) {
            var fix = "remove it; run `kenning info \(blockName)` for the parameters this block takes"
            if let near = nearestNames(to: key, in: known).first { fix = "did you mean \"\(near)\"? (`kenning info \(blockName)` lists all)" }
            problems.append(Problem("unknown parameter \"\(key)\" for \(blockName)", path: "$.parameters.\(key)", fix: fix))
        }
        var out: [(String, JSONValue)] = []
        for spec in specs {
            if let value = pairs.first(where: { $0.0 == spec.name })?.1 {
                switch spec.check(value) {
                case let .ok(.string(v)) where spec.type == .path:
                    // Kenning's resource URIs name local files (its cache); a download is refused.
                    switch ResourceURI.localPath(v) {
                    case let .ok(local): out.append((spec.name, local))
                    case let .bad(reason):
                        problems.append(Problem("\(blockName).\(spec.name): \(reason)", path: "$.parameters.\(spec.name)",
                                                fix: "give a local path (Kenning's cache is \(ResourceURI.cacheDirectory))"))
                    }
                case let .ok(v): out.append((spec.name, v))
                case let .bad(reason):
                    problems.append(Problem("invalid value for \(blockName).\(spec.name): \(reason)", path: "$.parameters.\(spec.name)",
                                            fix: "give \(spec.type.name) (\(spec.help))"))
                }
            } else if let d = spec.defaultValue {
                out.append((spec.name, d))
            } else {
                problems.append(Problem("missing required parameter \"\(spec.name)\" for \(blockName)", path: "$.parameters",
                                        fix: "add \"\(spec.name)\": \(spec.type.name) (\(spec.help))"))
            }
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        return ResolvedParameters(values: out)
    }

    public subscript(_ name: String) -> JSONValue? { values.first { $0.0 == name }?.1 }

    public func string(_ name: String) -> String? { self[name]?.stringValue }
    public func int(_ name: String) -> Int { self[name]?.intValue ?? 0 }
    public func double(_ name: String) -> Double { self[name]?.doubleValue ?? 0 }
    public func bool(_ name: String) -> Bool { self[name]?.boolValue ?? false }
    /// A `booleanOrAuto` parameter: nil for `"auto"`.
    public func boolOrAuto(_ name: String) -> Bool? { self[name]?.boolValue }
    public func doubles(_ name: String) -> [Double]? { self[name]?.arrayValue?.compactMap(\.doubleValue) }

    public var json: JSONValue { .object(values) }
}
