import Foundation

// MARK: - Writing
// MARK: - Reading

/// A JSON document that keeps the order of object keys (Kenning's grid order depends on it).
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(serialized(indent: nil))
    }

    public subscript(key: String) -> JSONValue? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var objectPairs: [(String, JSONValue)]? {
        if case let .object(p) = self { return p }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case let .array(a) = self { return a }
        return nil
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var doubleValue: Double? {
        switch self {
        case let .double(d): return d
        case let .int(i): return Double(i)
        default: return nil
        }
    }

    public var intValue: Int? {
        switch self {
        case let .int(i): return i
        case let .double(d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// A short name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "list"
        case .object: return "object"
        }
    }

    /// Returns a copy with `key` set (replaced in place or appended).
    public func setting(_ key: String, to value: JSONValue) -> JSONValue {
        guard case var .object(pairs) = self else { return self }
        if let i = pairs.firstIndex(where: { $0.0 == key }) {
            pairs[i].1 = value
        } else {
            pairs.append((key, value))
        }
        return .object(pairs)
    }

    public func removing(_ key: String) -> JSONValue {
        guard case let .object(pairs) = self else { return self }
        return .object(pairs.filter { $0.0 != key })
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    public init(_ values: [Double]) { self = .array(values.map { .double($0) }) }
    public init(_ values: [Int]) { self = .array(values.map { .int($0) }) }
}

extension JSONValue {
    /// Serializes the value. `indent` nil gives one line; Kenning writes results with an indent of 4.
    public func serialized(indent: Int? = 4) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        return out
    }

    private func write(to out: inout String, indent: Int?, level: Int) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            if d.isNaN || d.isInfinite {
                out += "null"
            } else if d == d.rounded(), abs(d) < 1e16 {
                out += String(format: "%.1f", d)
            } else {
                out += "\(d)"
            }
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            let scalars = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            if scalars && items.count > 8 || indent == nil {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    item.write(to: &out, indent: indent, level: level + 1)
                }
                out += "]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                out += String(repeating: " ", count: (level + 1) * indent!)
                item.write(to: &out, indent: indent, level: level + 1)
            }
            out += "\n" + String(repeating: " ", count: level * indent!) + "]"
        case let .object(pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (k, v)) in pairs.enumerated() {
                if let indent {
                    out += i == 0 ? "\n" : ",\n"
                    out += String(repeating: " ", count: (level + 1) * indent)
                } else if i > 0 {
                    out += ","
                }
                JSONValue.writeString(k, to: &out)
                out += indent == nil ? ":" : ": "
                v.write(to: &out, indent: indent, level: level + 1)
            }
            if let indent { out += "\n" + String(repeating: " ", count: level * indent) }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// Parses JSON text. Errors name the line and column.
    public static func parse(_ text: String) throws(KenningError) -> JSONValue {
        var parser = JSONParser(Array(text.utf8))
        return try parser.parseDocument()
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var i = 0

    /// Bytes of the document followed by a NUL, so numbers can be read in place with strtod.
    init(_ bytes: [UInt8]) { self.bytes = bytes + [0] }

    var end: Int { bytes.count - 1 }

    func position(_ at: Int) -> String {
        var line = 1, col = 1
        for b in bytes[0..<min(at, end)] {
            if b == UInt8(ascii: "\n") { line += 1; col = 1 } else { col += 1 }
        }
        return "line \(line), column \(col)"
    }

    func fail(_ what: String) -> KenningError {
        .badInput("malformed JSON: \(what) at \(position(i))", fix: "correct the JSON syntax at that position")
    }

    mutating func skipSpace() {
        while i < end, [9, 10, 13, 32].contains(bytes[i]) { i += 1 }
    }

    mutating func parseDocument() throws(KenningError) -> JSONValue {
        skipSpace()
        if i < end, bytes[i] == 0xEF { i += 3 }  // UTF-8 BOM
        let v = try parseValue(depth: 0)
        skipSpace()
        if i != end { throw fail("unexpected text after the document") }
        return v
    }

    mutating func parseValue(depth: Int) throws(KenningError) -> JSONValue {
        guard depth < 512 else { throw fail("nesting too deep") }
        skipSpace()
        guard i < end else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var pairs: [(String, JSONValue)] = []
            skipSpace()
            if i < end, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
            while true {
                skipSpace()
                guard i < end, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let key = try parseString()
                if pairs.contains(where: { $0.0 == key }) { throw fail("duplicate key \"\(key)\"") }
                skipSpace()
                guard i < end, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
                i += 1
                let value = try parseValue(depth: depth + 1)
                pairs.append((key, value))
                skipSpace()
                guard i < end else { throw fail("unexpected end of input in an object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if i < end, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard i < end else { throw fail("unexpected end of input in a list") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            return try parseNumber()
        }
    }

    mutating func literal(_ word: String, _ value: JSONValue) throws(KenningError) -> JSONValue {
        let w = Array(word.utf8)
        guard i + w.count <= end, Array(bytes[i..<i + w.count]) == w else { throw fail("unexpected character") }
        i += w.count
        return value
    }

    mutating func parseNumber() throws(KenningError) -> JSONValue {
        let start = i
        var isInt = true
        while i < end {
            let c = bytes[i]
            if (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                i += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                isInt = false
                i += 1
            } else {
                break
            }
        }
        guard i > start else { throw fail("unexpected character") }
        if isInt, i - start < 19 {
            var v = 0
            var negative = false
            var k = start
            if bytes[k] == UInt8(ascii: "-") { negative = true; k += 1 }
            var digits = 0
            while k < i, bytes[k] >= 48, bytes[k] <= 57 { v = v * 10 + Int(bytes[k] - 48); k += 1; digits += 1 }
            if k == i, digits > 0 { return .int(negative ? -v : v) }
        }
        // Parse the digits in place with strtod (the buffer ends with a NUL, and JSON numbers end at a delimiter).
        var stop: UnsafeMutablePointer<CChar>?
        let d = bytes.withUnsafeBufferPointer { p -> Double in
            let base = UnsafeMutableRawPointer(mutating: p.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            let v = strtod(base, &stop)
            if stop != base + (i - start) { stop = nil }
            return v
        }
        guard stop != nil, !isInt || d.magnitude < 1e18 else {
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            i = start
            throw fail("invalid number '\(text)'")
        }
        return isInt && d == d.rounded() && d.magnitude < 9e18 ? .int(Int(d)) : .double(d)
    }

    mutating func parseString() throws(KenningError) -> String {
        i += 1
        var out: [UInt8] = []
        while i < end {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < end else { break }
                let e = bytes[i]
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "u"):
                    guard i + 4 < end, let code = UInt32(String(decoding: bytes[i + 1...i + 4], as: UTF8.self), radix: 16)
                    else { throw fail("bad \\u escape") }
                    i += 4
                    var scalarValue = code
                    if (0xD800..<0xDC00).contains(code), i + 6 < end, bytes[i + 1] == UInt8(ascii: "\\"),
                        bytes[i + 2] == UInt8(ascii: "u"),
                        let low = UInt32(String(decoding: bytes[i + 3...i + 6], as: UTF8.self), radix: 16)
                    {
                        scalarValue = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalarValue).map(Character.init) ?? "?").utf8))
                default: out.append(e)
                }
                i += 1
                continue
            }
            if c < 0x20 { throw fail("control character in a string") }
            out.append(c)
            i += 1
        }
        throw fail("unterminated string")
    }
}
