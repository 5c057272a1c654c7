import KenningCore

/// A search strategy, as values: it proposes batches of candidates (indices into the runnable list, each with an
/// optional measurement budget) and learns from what each evaluation gave. It starts no process and measures
/// nothing; the fine-tune orchestration compiles each batch, measures it and reports back.
public protocol SearchStrategy {
    /// The next candidates to evaluate, in order; nil when the search is over.
    mutating func next() -> [Proposal]?
    /// The outcome of one proposal of the last batch.
    mutating func observe(_ proposal: Proposal, _ outcome: Outcome)
    /// The candidates the pick may come from (successive halving: its last rung); nil for every candidate.
    var finalists: Set<Int>? { get }
}

extension SearchStrategy {
    public var finalists: Set<Int>? { nil }
}

/// One candidate to evaluate and its measurement budget (nil: the pipeline's own settings).
public struct Proposal: Sendable, Equatable {
    public var candidate: Int
    public var budget: JSONValue?

    public init(candidate: Int, budget: JSONValue? = nil) {
        self.candidate = candidate
        self.budget = budget
    }
}

/// What an evaluation gave a strategy: whether it succeeded, and the first objective's cost (lower is better) when
/// its metric was measured.
public struct Outcome: Sendable, Equatable {
    public var succeeded: Bool
    public var cost: Double?

    public init(succeeded: Bool, cost: Double?) {
        self.succeeded = succeeded
        self.cost = cost
    }
}
