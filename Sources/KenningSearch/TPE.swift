import Foundation

import KenningCore

/// Tree-structured Parzen estimator over categorical pipeline features.
enum TPE {
    /// `path=value` features of a pipeline (output paths left out: they never change a result).
    static func features(of pipeline: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        func visit(_ v: JSONValue, _ path: String) {
            switch v {
            case let .object(pairs):
                for (k, x) in pairs where !k.hasSuffix("_path") { visit(x, path.isEmpty ? k : "\(path).\(k)") }
            case let .array(items) where path == "optimizers":
                out["optimizers.chain"] = items.compactMap { $0["type"]?.stringValue }.joined(separator: "+")
                for item in items {
                    let t = item["type"]?.stringValue ?? "?"
                    visit(item["parameters"] ?? .null, "optimizers.\(t)")
                }
            default:
                out[path] = v.serialized(indent: nil)
            }
        }
        visit(pipeline.removing("measurement"), "")
        return out
    }

    /// log l(x) − log g(x): density of x among the best quarter of observations over its density among the rest.
    static func score(_ x: [String: String], observed: [([String: String], Double)]) -> Double {
        let sorted = observed.sorted { $0.1 < $1.1 }
        let nGood = max(1, Int((Double(sorted.count) * 0.25).rounded(.up)))
        let good = sorted.prefix(nGood).map(\.0), bad = sorted.dropFirst(nGood).map(\.0)
        var s = 0.0
        for (dim, value) in x {
            let values = Set(observed.map { $0.0[dim] ?? "∅" } + [value]).count
            let l = (Double(good.filter { $0[dim] == value }.count) + 1) / (Double(good.count) + Double(values))
            let g = (Double(bad.filter { $0[dim] == value }.count) + 1) / (Double(bad.count) + Double(values))
            s += log(l) - log(g)
        }
        return s
    }
}
