import Foundation
import KenningCore

/// Successive halving: every candidate with a small measurement budget, the best 1/η of those that succeeded with
/// η times more, and so on until one is left, which gets the full budget; the pick is made among the last rung.
public struct SuccessiveHalving: SearchStrategy {
    /// The full measurement budget the rungs scale down from.
    public struct Budget: Sendable, Equatable {
        public var warmupRuns: Int, minRuns: Int, minTime: Double, maxTime: Double, evalFraction: Double

        public init(warmupRuns: Int, minRuns: Int, minTime: Double, maxTime: Double, evalFraction: Double) {
            self.warmupRuns = warmupRuns
            self.minRuns = minRuns
            self.minTime = minTime
            self.maxTime = maxTime
            self.evalFraction = evalFraction
        }
    }

    let eta: Double
    let full: Budget
    /// The candidates' own measurement settings, given to the last survivor.
    let fullJSON: JSONValue?
    let rungs: Int
    /// The next rung to propose, and the one proposed and not yet closed.
    var rung = 0
    var open: Int?
    var alive: [Int]
    var results: [(candidate: Int, cost: Double)] = []
    var over = false
    public private(set) var finalists: Set<Int>?

    /// `candidates` (indices) in the order they are measured; `eta` ≥ 2.
    public init(candidates: [Int], eta: Int, full: Budget, fullJSON: JSONValue?) {
        self.eta = Double(eta)
        self.full = full
        self.fullJSON = fullJSON
        var r = 1
        while Double(candidates.count) / pow(Double(eta), Double(r)) >= 1 { r += 1 }
        rungs = r
        alive = candidates
    }

    /// The budget of rung `k`: the full one scaled by η^(k − last rung) (warm-up and time cap unchanged).
    public func budget(rung k: Int) -> JSONValue {
        let scale = pow(eta, Double(k - (rungs - 1)))
        return .object([
            ("warmup_runs", .int(full.warmupRuns)), ("min_runs", .int(max(1, Int(Double(full.minRuns) * scale)))),
            ("min_time", .double(full.minTime * scale)), ("max_time", .double(full.maxTime)),
            ("eval_fraction", .double(min(1, max(0.05, full.evalFraction * scale)))),
        ])
    }

    public mutating func next() -> [Proposal]? {
        if over { return nil }
        if let k = open {
            open = nil
            finalists = Set(results.map(\.candidate))
            let keep = max(1, Int((Double(results.count) / eta).rounded(.up)))
            alive = results.sorted { $0.cost < $1.cost }.prefix(keep).map(\.candidate)
            results = []
            if alive.count <= 1 && k < rungs - 1 {
                over = true
                // Give the survivor the full budget so its numbers are comparable with a grid's.
                guard let last = alive.first else { return nil }
                finalists = [last]
                return [Proposal(candidate: last, budget: fullJSON)]
            }
        }
        guard rung < rungs else { return nil }
        open = rung
        defer { rung += 1 }
        return alive.map { Proposal(candidate: $0, budget: budget(rung: rung)) }
    }

    /// Only the rungs' runs that succeeded with the metric go on; the survivor's full-budget run decides nothing.
    public mutating func observe(_ proposal: Proposal, _ outcome: Outcome) {
        guard open != nil, outcome.succeeded, let cost = outcome.cost else { return }
        results.append((proposal.candidate, cost))
    }
}
