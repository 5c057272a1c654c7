import KenningCore

/// Kenning's grid expansion (`grid_search`), deterministic: the same config always gives the same pipelines in the same order.
public enum GridSearch {
    /// Cartesian product of lists; the last list varies fastest.
    public static func product<T>(_ lists: [[T]]) -> [[T]] {
        lists.reduce([[]]) { acc, list in acc.flatMap { prefix in list.map { prefix + [$0] } } }
    }

    /// Every order-preserving subset with at least one element: by size, then lexicographically by position.
    public static func orderedPowerSet<T>(_ items: [T]) -> [[T]] {
        guard !items.isEmpty else { return [] }
        var out: [[T]] = []
        func combinations(_ k: Int, from start: Int, _ current: [Int]) {
            if current.count == k { out.append(current.map { items[$0] }); return }
            guard start < items.count else { return }
            for i in start..<items.count { combinations(k, from: i + 1, current + [i]) }
        }
        for k in 1...items.count { combinations(k, from: 0, []) }
        return out
    }

    /// Expands one alternative `{type, parameters: {name: [values]}}` into concrete blocks (parameter key order, last fastest).
    public static func expand(alternative: JSONValue, path: String) throws(KenningError) -> [JSONValue] {
        guard case .object = alternative, let type = alternative["type"] else {
            throw .badInput("an optimizable alternative must be an object with \"type\" and \"parameters\"", path: path,
                            fix: "write {\"type\": \"Name\", \"parameters\": {\"name\": [v1, v2]}}")
        }
        let params = alternative["parameters"]?.objectPairs ?? []
        if let p = alternative["parameters"], p.objectPairs == nil, p != .null {
            throw .badInput("\"parameters\" must be an object of lists, got \(p.typeName)", path: "\(path).parameters",
                            fix: "write {\"name\": [v1, v2]}")
        }
        var problems: [Problem] = []
        var lists: [[(String, JSONValue)]] = []
        for (name, value) in params {
            guard let values = value.arrayValue else {
                problems.append(Problem("parameter \"\(name)\" of an optimizable block must be a list of values, got \(value.typeName)",
                                        path: "\(path).parameters.\(name)", fix: "wrap it in a list: [\(value.serialized(indent: nil))]"))
                continue
            }
            if values.isEmpty {
                problems.append(Problem("parameter \"\(name)\" has an empty list of values, so the grid is empty",
                                        path: "\(path).parameters.\(name)", fix: "give at least one value"))
            }
            lists.append(values.map { (name, $0) })
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        return product(lists).map { combo in .object([("type", type), ("parameters", .object(combo))]) }
    }

    /// Candidates for one optimizable key. For `optimizers`: product of per-optimizer grids, then ordered power sets, de-duplicated.
    public static func candidates(for key: String, value: JSONValue, path: String) throws(KenningError) -> [JSONValue] {
        guard let alternatives = value.arrayValue else {
            throw .badInput("optimizable \"\(key)\" must be a list of alternatives, got \(value.typeName)", path: path,
                            fix: "write \"\(key)\": [{\"type\": …, \"parameters\": {\"name\": [values]}}]")
        }
        guard !alternatives.isEmpty else {
            throw .badInput("optimizable \"\(key)\" has no alternatives, so the grid is empty", path: path, fix: "list at least one block")
        }
        var problems: [Problem] = []
        var expansions: [[JSONValue]] = []
        for (i, alt) in alternatives.enumerated() {
            do {
                expansions.append(try expand(alternative: alt, path: "\(path)[\(i)]"))
            } catch {
                problems += error.problems
            }
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems) }
        guard key == "optimizers" else { return expansions.flatMap { $0 } }
        var chains: [JSONValue] = []
        var seen = Set<String>()
        for tuple in product(expansions) {
            for subset in orderedPowerSet(tuple) {
                let chain = JSONValue.array(subset)
                if seen.insert(chain.serialized(indent: nil)).inserted { chains.append(chain) }
            }
        }
        return chains
    }
}
