
/// The catalogue of blocks; `type` strings resolve here (short names and Kenning's dotted names).
public struct BlockRegistry: Sendable {
    public private(set) var entries: [BlockEntry] = []

    public init(_ entries: [BlockEntry] = []) { self.entries = entries }

    public mutating func register(_ entry: BlockEntry) { entries.append(entry) }

    public func entries(of kind: BlockKind) -> [BlockEntry] { entries.filter { $0.description.kind == kind } }

    /// Finds a block by any kind (for `kenning info`).
    public func find(_ name: String) -> BlockEntry? {
        let short = name.split(separator: ".").last.map(String.init) ?? name
        return entries.first { $0.description.name == short || $0.description.name.lowercased() == short.lowercased() }
    }

    /// Resolves the `type` of a block of `kind`; unknown names get the nearest known ones.
    public func resolve(_ type: String, kind: BlockKind) throws(KenningError) -> BlockEntry {
        let candidates = entries(of: kind)
        let parts = type.split(separator: ".").map(String.init)
        let short = parts.last ?? type
        if let hit = candidates.first(where: { $0.description.name == short }) {
            if parts.count > 1 {
                let pkg = parts.dropLast().joined(separator: ".")
                let expected = hit.description.kenningModule ?? ""
                guard pkg == expected || pkg.hasPrefix(kind.kenningPackage) else {
                    throw .badInput("\(kind.displayName) type \"\(type)\": \(short) is not in package \(pkg)",
                                    path: "$.type", fix: "use \"\(short)\" or \"\(hit.description.dottedName)\"")
                }
            }
            return hit
        }
        if let other = entries.first(where: { $0.description.name == short }) {
            throw .badInput("\"\(type)\" is a \(other.description.kind.displayName), not a \(kind.displayName)", path: "$.type",
                            fix: "move it under \"\(other.description.kind.rawValue)\" or choose a \(kind.displayName) (`kenning list \(kind.rawValue)`)")
        }
        let names = candidates.map(\.description.name)
        var fix = "choose one of: \(names.joined(separator: ", ")) (`kenning list \(kind.rawValue)`)"
        let near = nearestNames(to: short, in: names)
        if !near.isEmpty { fix = "did you mean \(near.map { "\"\($0)\"" }.joined(separator: " or "))? " + fix }
        throw .badInput("unknown \(kind.displayName) type \"\(type)\"", path: "$.type", fix: fix)
    }
}
