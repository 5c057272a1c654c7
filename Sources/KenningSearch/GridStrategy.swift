import KenningCore

/// Kenning's grid search: every candidate, in the grid's order, up to `limit`; or, seeded, a random order
/// (`random_search`).
public struct GridStrategy: SearchStrategy {
    private var order: [Int]?

    /// The first `limit` of `count` candidates in order.
    public init(count: Int, limit: Int) { order = Array(0..<min(limit, count)) }

    /// The first `limit` of `count` candidates after a seeded shuffle.
    public init(count: Int, limit: Int, shuffledWith rng: inout SplitMix64) {
        var all = Array(0..<count)
        all.shuffle(using: &rng)
        order = Array(all.prefix(limit))
    }

    public mutating func next() -> [Proposal]? {
        defer { order = nil }
        return order.map { $0.map { Proposal(candidate: $0) } }
    }

    public mutating func observe(_ proposal: Proposal, _ outcome: Outcome) {}
}
