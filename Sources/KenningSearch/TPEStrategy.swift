import KenningCore

/// Tree-structured Parzen estimator over the candidates' categorical features: a few random picks first, then,
/// one at a time, the candidate whose features are most likely among the best quarter of the costs seen so far.
public struct TPEStrategy: SearchStrategy {
    let features: [[String: String]]
    let limit: Int
    let startup: Int
    var rng: SplitMix64
    var remaining: [Int]
    var done: [(index: Int, cost: Double)] = []

    /// `features[i]` describes candidate i (see `TPE.features(of:)` for pipelines).
    public init(features: [[String: String]], limit: Int, rng: SplitMix64) {
        self.features = features
        self.limit = min(limit, features.count)
        self.startup = max(2, min(10, self.limit / 4))
        self.rng = rng
        remaining = Array(features.indices)
    }

    /// The features of a pipeline, as TPE compares them.
    public static func features(of pipeline: JSONValue) -> [String: String] { TPE.features(of: pipeline) }

    public mutating func next() -> [Proposal]? {
        guard !remaining.isEmpty, done.count < limit else { return nil }
        let pick: Int
        if done.count < startup {
            pick = remaining.remove(at: Int(rng.next() % UInt64(remaining.count)))
        } else {
            let scores = remaining.map { TPE.score(features[$0], observed: done.map { (features[$0.index], $0.cost) }) }
            let best = scores.indices.max { scores[$0] < scores[$1] }!
            pick = remaining.remove(at: best)
        }
        return [Proposal(candidate: pick)]
    }

    /// A run without the metric counts as the worst cost seen.
    public mutating func observe(_ proposal: Proposal, _ outcome: Outcome) {
        let cost = outcome.cost ?? .infinity
        done.append((proposal.candidate, cost.isFinite ? cost : .greatestFiniteMagnitude))
    }
}
