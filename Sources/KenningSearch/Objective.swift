import Foundation
import KenningCore

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
