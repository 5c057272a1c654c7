import Foundation
import KenningBlocks
import KenningCore
import KenningSearch

/// The state of one search: evaluations so far, the journal, the cache, and the output files.
struct SearchSession {
    let runner: FineTuneRunner
    let op: OptimizationParameters
    let cache: ArtifactCache
    let runDir: String
    /// The folder of the framework workers the measurement runs share (``WorkerPool``).
    var workerPool: String { Self.workerPool(runDir: runDir) }

    static func workerPool(runDir: String) -> String { (runDir as NSString).appendingPathComponent("workers") }
    let journal: Journal
    let earlier: [Evaluation]
    let excluded: [Candidate]
    let reference: [[Double]]?
    /// Where the runs read `reference` from (written once, when there is one).
    let referencePath: String?
    let start: Double
    let total: Int
    let stats = SearchStats()
    /// Where the runs are carried out (child processes here, or jobs on a Ray cluster).
    let executor: any RunExecutor
    var evaluations: [Evaluation] = []
    var measuredSeconds = 0.0
    var ties: [Int] = []
    /// The model wrapper's own model on the first candidate's runtime (`evaluate_unoptimized`): the deltas' baseline.
    var baseline: Evaluation?
    /// Successive halving picks only among the runs of its last rung (measured with the largest budget).
    var finalists: Set<Int>?

    init(runner: FineTuneRunner, op: OptimizationParameters, cache: ArtifactCache, runDir: String, journal: Journal, earlier: [Evaluation],
         excluded: [Candidate], reference: [[Double]]?, start: Double, total: Int, executor: any RunExecutor)
    {
        self.executor = executor
        self.runner = runner
        self.op = op
        self.cache = cache
        self.runDir = runDir
        self.journal = journal
        self.earlier = earlier
        self.excluded = excluded
        self.reference = reference
        let path = (runDir as NSString).appendingPathComponent("reference-outputs.json")
        referencePath = reference.flatMap { rows in
            (try? Files.writeAtomically(JSONValue.array(rows.map { JSONValue($0) }).serialized(indent: nil), to: path)).map { path }
        }
        self.start = start
        self.total = total
    }

    var outOfTime: Bool { op.maxTime.map { monotonicSeconds() - start >= $0 } ?? false }

    // MARK: Strategies

    mutating func search(_ runnable: [Candidate]) throws(KenningError) {
        var strategy = makeStrategy(runnable)
        while let batch = strategy.next() {
            precompile(batch.map { runnable[$0.candidate] })
            for proposal in batch {
                if outOfTime {
                    runner.say("max_time reached; stopping the search")
                    finalists = strategy.finalists.map { Set($0.compactMap { runnable[$0].id }) }
                    return
                }
                let e = try evaluate(runnable[proposal.candidate], budget: proposal.budget)
                strategy.observe(proposal, Outcome(succeeded: e.status == .ok, cost: op.objectives.first.flatMap { $0.cost(e.metricMap) }))
            }
        }
        finalists = strategy.finalists.map { Set($0.compactMap { runnable[$0].id }) }
    }

    /// The configured strategy over `runnable` (indices into it), seeded and limited by `max_runs`.
    func makeStrategy(_ runnable: [Candidate]) -> any SearchStrategy {
        var rng = SplitMix64(seed: op.seed)
        let limit = min(op.maxRuns ?? runnable.count, runnable.count)
        switch op.strategy {
        case .grid:
            return GridStrategy(count: runnable.count, limit: limit)
        case .random:
            return GridStrategy(count: runnable.count, limit: limit, shuffledWith: &rng)
        case .tpe:
            return TPEStrategy(features: runnable.map { TPEStrategy.features(of: $0.pipeline) }, limit: limit, rng: rng)
        case .successiveHalving:
            var order = Array(runnable.indices)
            if limit < runnable.count { order.shuffle(using: &rng) }
            let base = runnable.first?.pipeline["measurement"]
            let s = (try? MeasurementSettings.resolve(base))
                ?? MeasurementSettings(ResolvedParameters(values: MeasurementSettings.specs.map { ($0.name, $0.defaultValue!) }))
            let full = SuccessiveHalving.Budget(warmupRuns: s.warmupRuns, minRuns: s.minRuns, minTime: s.minTime, maxTime: s.maxTime,
                                                evalFraction: s.evalFraction)
            return SuccessiveHalving(candidates: Array(order.prefix(limit)), eta: op.halvingRate, full: full, fullJSON: base)
        }
    }

    // MARK: Selection

    func feasible(_ e: Evaluation) -> Bool { e.status == .ok && op.constraints.allSatisfy { $0.holds(e.metricMap) } }

    func currentBest() -> Evaluation? { select(evaluations.filter { feasible($0) && (finalists?.contains($0.id) ?? true) }) }

    /// The pick among feasible runs by the selection policy.
    func select(_ pool: [Evaluation]) -> Evaluation? {
        let front = paretoFront(pool)
        guard !front.isEmpty else { return nil }
        if op.selection == "utopia", op.objectives.count > 1 {
            let costs = front.map { e in op.objectives.map { $0.cost(e.metricMap) ?? .infinity } }
            let lo = op.objectives.indices.map { d in costs.map { $0[d] }.min()! }
            let hi = op.objectives.indices.map { d in costs.map { $0[d] }.max()! }
            let distance = costs.map { c in
                op.objectives.indices.reduce(0.0) { acc, d in
                    let span = hi[d] - lo[d]
                    let x = span > 0 ? (c[d] - lo[d]) / span : 0
                    return acc + x * x
                }
            }
            return front[distance.indices.min { distance[$0] < distance[$1] }!]
        }
        return front.min { a, b in
            for o in op.objectives {
                let x = o.cost(a.metricMap) ?? .infinity, y = o.cost(b.metricMap) ?? .infinity
                if x != y { return x < y }
            }
            return a.id < b.id
        }
    }

    func paretoFront(_ pool: [Evaluation]) -> [Evaluation] {
        let usable = pool.filter { e in op.objectives.allSatisfy { $0.cost(e.metricMap) != nil } }
        let costs = usable.map { e in op.objectives.map { $0.cost(e.metricMap)! } }
        return Pareto.front(costs).map { usable[$0] }
    }
}
