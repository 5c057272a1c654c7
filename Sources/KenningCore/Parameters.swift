/// The type of one block parameter, as declared once by the block.
public enum ParameterType: Sendable, Equatable {
    case string
    case path
    case integer
    case number
    case boolean
    /// `true`, `false`, or the string `"auto"` (the block decides from the machine).
    case booleanOrAuto
    case choice([String])
    case numberList
    case stringList

    public var name: String {
        switch self {
        case .string: return "string"
        case .path: return "path"
        case .integer: return "integer"
        case .number: return "number"
        case .boolean: return "boolean"
        case .booleanOrAuto: return "true, false or \"auto\""
        case let .choice(values): return "one of " + values.map { "\"\($0)\"" }.joined(separator: ", ")
        case .numberList: return "list of numbers"
        case .stringList: return "list of strings"
        }
    }
}

/// One parameter of a block: Kenning's JSON name, type, default, allowed range and help text.
/// Decoding, `kenning info` and the grid's search space all read this one declaration.
public struct ParameterSpec: Sendable {
    public let name: String
    public let type: ParameterType
    public let defaultValue: JSONValue?
    public let nullable: Bool
    public let range: ClosedRange<Double>?
    public let help: String

    /// A parameter with no default is required.
    public init(_ name: String, _ type: ParameterType, default defaultValue: JSONValue? = nil, nullable: Bool = false,
                range: ClosedRange<Double>? = nil, help: String)
    {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.nullable = nullable
        self.range = range
        self.help = help
    }

    public var isRequired: Bool { defaultValue == nil }

    /// Checks and normalizes one value; returns nil and a reason when the value does not fit.
    func check(_ value: JSONValue) -> Checked {
        if value == .null {
            return nullable || defaultValue == .null ? .ok(.null) : .bad("must not be null")
        }
        switch type {
        case .string, .path:
            guard case .string = value else { return .bad("expected a \(type.name), got \(value.typeName) \(value.serialized(indent: nil))") }
            return .ok(value)
        case .integer:
            guard let i = value.intValue else { return .bad("expected an integer, got \(value.typeName) \(value.serialized(indent: nil))") }
            if let range, !range.contains(Double(i)) { return .bad("\(i) is outside the allowed range \(Self.format(range))") }
            return .ok(.int(i))
        case .number:
            guard let d = value.doubleValue else { return .bad("expected a number, got \(value.typeName) \(value.serialized(indent: nil))") }
            if let range, !range.contains(d) { return .bad("\(d) is outside the allowed range \(Self.format(range))") }
            return .ok(value)
        case .boolean:
            guard case .bool = value else { return .bad("expected true or false, got \(value.typeName) \(value.serialized(indent: nil))") }
            return .ok(value)
        case .booleanOrAuto:
            if case .bool = value { return .ok(value) }
            if value.stringValue == "auto" { return .ok(value) }
            return .bad("expected true, false or \"auto\", got \(value.typeName) \(value.serialized(indent: nil))")
        case let .choice(values):
            guard let s = value.stringValue, values.contains(s) else {
                var reason = "\(value.serialized(indent: nil)) is not allowed; expected \(type.name)"
                if let s = value.stringValue, let near = nearestNames(to: s, in: values).first {
                    reason += " (did you mean \"\(near)\"?)"
                }
                return .bad(reason)
            }
            return .ok(value)
        case .numberList:
            guard let items = value.arrayValue, items.allSatisfy({ $0.doubleValue != nil }) else {
                return .bad("expected a list of numbers, got \(value.typeName) \(value.serialized(indent: nil))")
            }
            return .ok(value)
        case .stringList:
            guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                return .bad("expected a list of strings, got \(value.typeName) \(value.serialized(indent: nil))")
            }
            return .ok(value)
        }
    }

    private static func format(_ r: ClosedRange<Double>) -> String {
        func f(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)" }
        return "[\(f(r.lowerBound)), \(f(r.upperBound))]"
    }
}

enum Checked {
    case ok(JSONValue)
    case bad(String)
}

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

/// Edit distance used for "did you mean" suggestions.
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased()), y = Array(b.lowercased())
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count)
    var cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// Names close to `name`, best first (at most three).
public func nearestNames(to name: String, in candidates: [String]) -> [String] {
    let limit = max(2, name.count / 3)
    return candidates
        .map { ($0, editDistance(name, $0)) }
        .filter { $0.1 <= limit || $0.0.lowercased().contains(name.lowercased()) || name.lowercased().contains($0.0.lowercased()) }
        .sorted { $0.1 < $1.1 }
        .prefix(3)
        .map(\.0)
}
