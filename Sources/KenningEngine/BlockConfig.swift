import KenningCore

/// One block of a scenario: its registry entry, validated parameters, and where it was written.
public struct BlockConfig: Sendable {
    public let entry: BlockEntry
    public let parameters: ResolvedParameters
    public let jsonPath: String

    /// The block as Kenning serializes it: full dotted `type` and every parameter.
    public var json: JSONValue {
        .object([("type", .string(entry.description.dottedName)), ("parameters", parameters.json)])
    }

    /// Short human label: `NativeRuntime(num_threads=2)` with only non-default, non-path parameters.
    public var label: String {
        let interesting = parameters.values.filter { name, value in
            guard let spec = entry.description.parameters.first(where: { $0.name == name }) else { return false }
            return spec.type != .path && spec.defaultValue != value
        }
        let args = interesting.map { "\($0.0)=\($0.1.serialized(indent: nil).replacingOccurrences(of: "\"", with: ""))" }
        return entry.description.name + (args.isEmpty ? "" : "(" + args.joined(separator: ", ") + ")")
    }

    public static func parse(_ value: JSONValue, kind: BlockKind, path: String, registry: BlockRegistry) throws(KenningError) -> BlockConfig {
        guard case let .object(pairs) = value else {
            throw .badInput("\(kind.displayName) block must be an object {\"type\": …, \"parameters\": {…}}, got \(value.typeName)", path: path,
                            fix: "write it as {\"type\": \"Name\", \"parameters\": {…}}")
        }
        var problems: [Problem] = []
        for (key, _) in pairs where key != "type" && key != "parameters" {
            problems.append(Problem("unknown key \"\(key)\" in a \(kind.displayName) block", path: "\(path).\(key)",
                                    fix: "a block has only \"type\" and \"parameters\""))
        }
        guard let type = value["type"]?.stringValue else {
            problems.append(Problem("\(kind.displayName) block has no \"type\"", path: path,
                                    fix: "add \"type\": one of `kenning list \(kind.rawValue)`"))
            throw KenningError(.badInput, problems)
        }
        let entry: BlockEntry
        do {
            entry = try registry.resolve(type, kind: kind)
        } catch {
            throw KenningError(.badInput, problems + error.under(path).problems)
        }
        let params: ResolvedParameters
        do {
            params = try ResolvedParameters.resolve(value["parameters"], specs: entry.description.parameters, blockName: entry.description.name)
        } catch {
            throw KenningError(.badInput, problems + error.under(path).problems)
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        return BlockConfig(entry: entry, parameters: params, jsonPath: path)
    }
}
