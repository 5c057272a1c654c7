import Foundation
import KenningCore

/// A bound on a metric, written `accuracy >= 0.97`.
public struct Constraint: Sendable, Equatable, CustomStringConvertible {
    /// How the metric must compare with the bound.
    public enum Relation: String, Sendable { case atLeast = ">=", atMost = "<=" }
    public var metric: String
    public var relation: Relation
    public var bound: Double

    public var description: String { "\(metric) \(relation.rawValue) \(bound)" }

    public static func parse(_ text: String, path: String) throws(KenningError) -> Constraint {
        for rel in [Relation.atLeast, .atMost] {
            let parts = text.components(separatedBy: rel.rawValue)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard let metric = Metrics.canonicalName(name) else {
                throw .badInput("constraint \"\(text)\" names an unknown metric \"\(name)\"", path: path,
                                fix: (nearestNames(to: name, in: Metrics.allKeys).first.map { "did you mean \"\($0)\"? " } ?? "") + "metrics: \(Metrics.allKeys.joined(separator: ", "))")
            }
            guard let bound = Double(parts[1].trimmingCharacters(in: .whitespaces)) else {
                throw .badInput("constraint \"\(text)\" has no numeric bound", path: path, fix: "write e.g. \"accuracy >= 0.97\"")
            }
            return Constraint(metric: metric, relation: rel, bound: bound)
        }
        throw .badInput("cannot read the constraint \"\(text)\"", path: path, fix: "write \"metric >= number\" or \"metric <= number\"")
    }

    public func holds(_ metrics: [String: Double]) -> Bool {
        guard let v = metrics[metric] else { return false }
        return relation == .atLeast ? v >= bound : v <= bound
    }

    /// Relative amount by which the bound is missed (0 when it holds).
    public func violation(_ metrics: [String: Double]) -> Double {
        guard let v = metrics[metric] else { return .infinity }
        let scale = max(abs(bound), 1e-12)
        return relation == .atLeast ? max(0, (bound - v) / scale) : max(0, (v - bound) / scale)
    }
}
