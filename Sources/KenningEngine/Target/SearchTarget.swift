import KenningBlocks
import KenningCore

/// One target of a search (`targets: [{name, protocol, platform, runtimes}]`, or the config's own `protocol` and
/// `platform`): every candidate whose runtime it takes is measured on it, and the best pipeline is picked per target.
struct SearchTarget: Sendable {
    var name: String
    var protocolBlock: JSONValue?
    var platform: JSONValue?
    /// Runtime block names this target measures (nil: all).
    var runtimes: [String]?

    static let keys = ["name", "protocol", "platform", "runtimes"]

    /// The targets a config names; nil when it names none (everything is measured here).
    static func parse(_ doc: JSONValue, registry: BlockRegistry, problems: inout [Problem]) -> [SearchTarget]? {
        func check(_ block: JSONValue?, _ kind: BlockKind, _ path: String) {
            guard let block, block != .null else { return }
            do {
                _ = try BlockConfig.parse(block, kind: kind, path: path, registry: registry)
            } catch {
                problems += error.problems
            }
        }
        if let list = doc["targets"] {
            if doc["protocol"] != nil || doc["platform"] != nil {
                problems.append(Problem("the config has both \"targets\" and a top-level protocol or platform", path: "$.targets",
                                        fix: "move the top-level protocol and platform into an entry of \"targets\""))
            }
            guard let entries = list.arrayValue, !entries.isEmpty else {
                problems.append(Problem("\"targets\" must be a non-empty list of {\"name\", \"protocol\", \"platform\"}", path: "$.targets",
                                        fix: "write \"targets\": [{\"name\": \"board-a\", \"protocol\": {\"type\": \"NetworkProtocol\", …}}]"))
                return nil
            }
            var targets: [SearchTarget] = []
            for (i, entry) in entries.enumerated() {
                let path = "$.targets[\(i)]"
                guard let pairs = entry.objectPairs else {
                    problems.append(Problem("a target must be an object, got \(entry.typeName)", path: path, fix: "write {\"name\": …, \"protocol\": {…}}"))
                    continue
                }
                for (key, _) in pairs where !keys.contains(key) {
                    problems.append(Problem("unknown key \"\(key)\" in a target", path: "\(path).\(key)",
                                            fix: nearestNames(to: key, in: keys).first.map { "did you mean \"\($0)\"?" } ?? "allowed: \(keys.joined(separator: ", "))"))
                }
                guard let name = entry["name"]?.stringValue, !name.isEmpty else {
                    problems.append(Problem("a target needs a \"name\"", path: "\(path).name", fix: "add \"name\": \"board-a\""))
                    continue
                }
                if targets.contains(where: { $0.name == name }) {
                    problems.append(Problem("two targets are named \"\(name)\"", path: "\(path).name", fix: "give each target its own name"))
                }
                check(entry["protocol"], .protocol, "\(path).protocol")
                check(entry["platform"], .platform, "\(path).platform")
                var runtimes: [String]?
                if let r = entry["runtimes"] {
                    runtimes = r.arrayValue?.compactMap(\.stringValue)
                    if runtimes == nil || runtimes!.isEmpty {
                        problems.append(Problem("\"runtimes\" must be a non-empty list of runtime names", path: "\(path).runtimes",
                                                fix: "write \"runtimes\": [\"NativeRuntime\"], or leave it out for all"))
                    }
                }
                targets.append(SearchTarget(name: name, protocolBlock: entry["protocol"], platform: entry["platform"], runtimes: runtimes))
            }
            return targets
        }
        guard doc["protocol"] != nil || doc["platform"] != nil else { return nil }
        check(doc["protocol"], .protocol, "$.protocol")
        check(doc["platform"], .platform, "$.platform")
        let name = doc["platform"]?["parameters"]?["name"]?.stringValue ?? "target"
        return [SearchTarget(name: name, protocolBlock: doc["protocol"], platform: doc["platform"], runtimes: nil)]
    }

    /// Whether this target measures `runtime` (a runtime block, or nil for the default NativeRuntime).
    func takes(runtime: JSONValue?) -> Bool {
        guard let runtimes else { return true }
        let type = runtime?["type"]?.stringValue ?? "NativeRuntime"
        let short = type.split(separator: ".").last.map(String.init) ?? type
        return runtimes.contains(short) || runtimes.contains(type)
    }

    /// The pipeline as measured on this target.
    func apply(to pipeline: JSONValue) -> JSONValue {
        var p = pipeline
        if let protocolBlock { p = p.setting("protocol", to: protocolBlock) }
        if let platform { p = p.setting("platform", to: platform) }
        return p.setting("target_name", to: .string(name))
    }
}
