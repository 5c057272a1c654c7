import Foundation
import KenningCore

/// Pareto dominance over several objectives.
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
