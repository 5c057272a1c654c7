import Foundation
import KenningCore

/// A bound on a metric, written `accuracy >= 0.97`.
public struct Constraint: Sendable, Equatable, CustomStringConvertible {
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

/// A metric to optimize and its direction.
public struct Objective: Sendable, Equatable {
    public var metric: String
    public var minimize: Bool

    public init(metric: String, minimize: Bool) {
        self.metric = metric
        self.minimize = minimize
    }

    /// Lower is better after this transform.
    public func cost(_ metrics: [String: Double]) -> Double? {
        metrics[metric].map { minimize ? $0 : -$0 }
    }
}

public enum Pareto {
    /// Indices of the points no other point dominates (all objectives as costs, lower is better).
    public static func front(_ costs: [[Double]]) -> [Int] {
        costs.indices.filter { i in
            !costs.indices.contains { j in
                j != i && zip(costs[j], costs[i]).allSatisfy { $0 <= $1 } && zip(costs[j], costs[i]).contains { $0 < $1 }
            }
        }
    }
}

/// Percentile bootstrap confidence interval of a statistic, with a seeded generator so reruns agree.
public enum Bootstrap {
    public static func interval(_ x: [Double], statistic: (inout [Double]) -> Double, resamples: Int = 200, level: Double = 0.95,
                                seed: UInt64 = 0x5EED) -> (low: Double, high: Double)
    {
        guard x.count > 1 else { let v = x.first ?? .nan; return (v, v) }
        var rng = SplitMix64(seed: seed)
        var stats: [Double] = []
        stats.reserveCapacity(resamples)
        var sample = [Double](repeating: 0, count: x.count)
        for _ in 0..<resamples {
            for i in 0..<x.count { sample[i] = x[Int(rng.next() % UInt64(x.count))] }
            stats.append(statistic(&sample))
        }
        let alpha = (1 - level) / 2 * 100
        return (Statistics.percentile(stats, alpha), Statistics.percentile(stats, 100 - alpha))
    }
}

extension Bootstrap {
    /// Mean of a resample.
    public static func mean(_ x: inout [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

    /// Median of a resample in linear time (quickselect; reorders `x`).
    public static func median(_ x: inout [Double]) -> Double {
        let n = x.count
        let hi = select(&x, n / 2)
        if n % 2 == 1 { return hi }
        var lo = -Double.infinity
        for i in 0..<(n / 2) where x[i] > lo { lo = x[i] }
        return (lo + hi) / 2
    }

    /// The k-th smallest element; afterwards x[..<k] are all ≤ it.
    static func select(_ x: inout [Double], _ k: Int) -> Double {
        var left = 0, right = x.count - 1
        while left < right {
            let pivot = x[(left + right) / 2]
            var i = left, j = right
            while i <= j {
                while x[i] < pivot { i += 1 }
                while x[j] > pivot { j -= 1 }
                if i <= j { x.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { right = j } else if k >= i { left = i } else { return x[k] }
        }
        return x[k]
    }
}

extension Bootstrap {
    /// 95 % intervals of the mean and the median of a latency series. Up to 5000 samples: percentile bootstrap.
    /// Longer series: the series is cut into 100 consecutive batches and their means (medians) are bootstrapped,
    /// which is cheaper and also accounts for drift and correlation between neighbouring samples.
    public static func latencyIntervals(_ x: [Double]) -> (mean: (low: Double, high: Double), median: (low: Double, high: Double)) {
        guard x.count > 5000 else { return (interval(x, statistic: mean), interval(x, statistic: median)) }
        let k = 100
        var means: [Double] = [], medians: [Double] = []
        for b in 0..<k {
            var slice = Array(x[(x.count * b / k)..<(x.count * (b + 1) / k)])
            means.append(mean(&slice))
            medians.append(median(&slice))
        }
        return (interval(means, statistic: mean), interval(medians, statistic: median))
    }
}
