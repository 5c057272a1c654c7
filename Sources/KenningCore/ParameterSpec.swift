
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
        case .numberOrList:
            let numbers = value.doubleValue.map { [$0] } ?? value.arrayValue.flatMap { items in
                let ds = items.compactMap(\.doubleValue)
                return ds.count == items.count && !ds.isEmpty ? ds : nil
            }
            guard let numbers else {
                return .bad("expected a number or a non-empty list of numbers, got \(value.typeName) \(value.serialized(indent: nil))")
            }
            if let range, let out = numbers.first(where: { !range.contains($0) }) {
                return .bad("\(out) is outside the allowed range \(Self.format(range))")
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
