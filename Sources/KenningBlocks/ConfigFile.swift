import Foundation
import KenningCore
import Yams

/// Reads a scenario or optimization config (JSON or YAML) into an order-preserving document.
public enum ConfigFile {
    public static func load(_ path: String) throws(KenningError) -> JSONValue {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw .badInput("config file not found: \(path)", file: path, fix: "check the path given to --json-cfg")
        }
        guard !isDir.boolValue else { throw .badInput("\(path) is a directory, not a config file", file: path, fix: "pass a .json or .yml file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badInput("cannot read config file \(path)", file: path, fix: "check the file's permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .badInput("config file \(path) is not UTF-8 text", file: path, fix: "save it as UTF-8 JSON or YAML")
        }
        do {
            return try parse(text, yaml: isYAML(path: path, text: text))
        } catch {
            throw error.inFile(path)
        }
    }

    static func isYAML(path: String, text: String) -> Bool {
        let ext = (path as NSString).pathExtension.lowercased()
        if ext == "yml" || ext == "yaml" { return true }
        if ext == "json" { return false }
        let first = text.first { !$0.isWhitespace }
        return first != "{" && first != "["
    }

    public static func parse(_ text: String, yaml: Bool) throws(KenningError) -> JSONValue {
        if !yaml { return try JSONValue.parse(text) }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw .badInput("malformed YAML: \(yamlMessage(e))", fix: "correct the YAML syntax at that position")
        } catch {
            throw .badInput("malformed YAML: \(error)", fix: "correct the YAML syntax")
        }
        guard let node else { throw .badInput("the config file is empty", fix: "write a scenario object") }
        return try convert(node, path: "$")
    }

    static func yamlMessage(_ e: YamlError) -> String {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
            return "\(problem)\(context.map { " \($0.text)" } ?? "") at line \(mark.line), column \(mark.column)"
        default:
            return "\(e)".split(separator: "\n").first.map(String.init) ?? "\(e)"
        }
    }

    static func convert(_ node: Node, path: String) throws(KenningError) -> JSONValue {
        switch node {
        case let .scalar(s):
            return scalarValue(s)
        case let .sequence(seq):
            var items: [JSONValue] = []
            for (i, n) in seq.enumerated() { items.append(try convert(n, path: "\(path)[\(i)]")) }
            return .array(items)
        case let .mapping(map):
            var pairs: [(String, JSONValue)] = []
            for (k, v) in map {
                guard case let .scalar(key) = k else {
                    throw .badInput("YAML mapping key at \(path) is not a plain string", path: path, fix: "use string keys")
                }
                if pairs.contains(where: { $0.0 == key.string }) {
                    throw .badInput("duplicate key \"\(key.string)\"", path: path, fix: "keep one of them")
                }
                pairs.append((key.string, try convert(v, path: "\(path).\(key.string)")))
            }
            return .object(pairs)
        }
    }

    /// YAML 1.2 core-schema resolution of a scalar; quoted scalars stay strings.
    static func scalarValue(_ s: Node.Scalar) -> JSONValue {
        let text = s.string
        guard s.style == .plain || s.style == .any else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int(text) { return .int(i) }
        if text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true, let d = Double(text) { return .double(d) }
        switch text.lowercased() {
        case ".inf", "+.inf": return .double(.infinity)
        case "-.inf": return .double(-.infinity)
        default: return .string(text)
        }
    }
}
