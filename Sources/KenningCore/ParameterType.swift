
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
    /// One number, or a list of them (e.g. one value per image channel).
    case numberOrList
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
        case .numberOrList: return "number or list of numbers"
        case .stringList: return "list of strings"
        }
    }
}
