import KenningCore
import KenningSearch
import Testing

/// The search strategies as values, driven by a fake evaluator: no process, no measurement.
@Suite struct StrategyUnits {
    /// Runs `strategy` to its end; `cost(i)` is candidate i's cost, nil for a failed run. Returns the proposals in order.
    static func drive(_ strategy: inout some SearchStrategy, cost: (Int) -> Double?) -> [[Proposal]] {
        var batches: [[Proposal]] = []
        while let batch = strategy.next() {
            batches.append(batch)
            for p in batch { strategy.observe(p, Outcome(succeeded: cost(p.candidate) != nil, cost: cost(p.candidate))) }
            if batches.count > 1000 { break }
        }
        return batches
    }

    @Test func gridProposesEveryCandidateInOrderUpToTheLimit() {
        var all = GridStrategy(count: 5, limit: 5)
        #expect(Self.drive(&all) { Double($0) }.map { $0.map(\.candidate) } == [[0, 1, 2, 3, 4]])
        var some = GridStrategy(count: 5, limit: 3)
        #expect(Self.drive(&some) { Double($0) }.flatMap { $0.map(\.candidate) } == [0, 1, 2])
        #expect(some.finalists == nil)
    }

    @Test func randomSearchIsASeededPermutation() {
        func order(_ seed: UInt64, limit: Int = 20) -> [Int] {
            var rng = SplitMix64(seed: seed)
            var s = GridStrategy(count: 20, limit: limit, shuffledWith: &rng)
            return Self.drive(&s) { _ in 1 }.flatMap { $0.map(\.candidate) }
        }
        #expect(order(1).sorted() == Array(0..<20))
        #expect(order(1) == order(1))
        #expect(order(1) != order(2))
        #expect(order(1, limit: 7) == Array(order(1).prefix(7)))
    }

    /// 50 candidates on a 5 × 5 × 2 grid of settings; the cost has one best point (a = 3, b = 1, c = 0).
    static let features: [[String: String]] = (0..<50).map { i in ["a": "\(i % 5)", "b": "\(i / 5 % 5)", "c": "\(i / 25)"] }
    static func cost(_ i: Int) -> Double {
        let f = features[i]
        return pow2(Double(f["a"]!)! - 3) + pow2(Double(f["b"]!)! - 1) + Double(f["c"]!)!
    }
    static func pow2(_ x: Double) -> Double { x * x }

    @Test func tpeFindsTheBestSettingsWithFewerEvaluationsThanRandomOrder() {
        var tpeWins = 0
        for seed: UInt64 in 1...8 {
            var tpe = TPEStrategy(features: Self.features, limit: 18, rng: SplitMix64(seed: seed))
            let picked = Self.drive(&tpe, cost: Self.cost).flatMap { $0.map(\.candidate) }
            #expect(picked.count == 18 && Set(picked).count == 18, "each candidate at most once, up to the limit")
            var rng = SplitMix64(seed: seed)
            var random = GridStrategy(count: 50, limit: 18, shuffledWith: &rng)
            let randomPicked = Self.drive(&random, cost: Self.cost).flatMap { $0.map(\.candidate) }
            let tpeBest = picked.map(Self.cost).min()!, randomBest = randomPicked.map(Self.cost).min()!
            if tpeBest <= randomBest { tpeWins += 1 }
            // Once past its random start-up, TPE's picks cost clearly less than the grid's average (6.5): it learns.
            let later = picked.dropFirst(4).map(Self.cost)
            let gridMean = (0..<50).map(Self.cost).reduce(0, +) / 50
            #expect(later.reduce(0, +) / Double(later.count) < 0.75 * gridMean,
                    "seed \(seed): mean cost after start-up \(later.reduce(0, +) / Double(later.count)), grid mean \(gridMean)")
        }
        #expect(tpeWins >= 6, "TPE matched or beat random order on \(tpeWins) of 8 seeds")
    }

    @Test func tpeCountsAFailedRunAsTheWorst() {
        var tpe = TPEStrategy(features: Self.features, limit: 50, rng: SplitMix64(seed: 3))
        // Every run with c = 1 fails: after start-up TPE should leave them for last.
        let picked = Self.drive(&tpe) { i in Self.features[i]["c"] == "1" ? nil : Self.cost(i) }.flatMap { $0.map(\.candidate) }
        let firstHalf = picked.prefix(25).filter { Self.features[$0]["c"] == "1" }.count
        #expect(firstHalf <= 8, "\(firstHalf) failing candidates among the first 25 picks")
    }

    static let full = SuccessiveHalving.Budget(warmupRuns: 2, minRuns: 90, minTime: 0.9, maxTime: 10, evalFraction: 1)

    @Test func successiveHalvingKeepsTheBestThirdAndGivesTheSurvivorTheFullBudget() throws {
        var sh = SuccessiveHalving(candidates: Array(0..<27), eta: 3, full: Self.full, fullJSON: .object([("min_runs", .int(90))]))
        // Costs: candidate 17 is best, then 5, then 22; 9 fails every time.
        let costs: [Int: Double] = [17: 0.1, 5: 0.2, 22: 0.3]
        let batches = Self.drive(&sh) { i in i == 9 ? nil : costs[i] ?? (1 + Double(i)) }
        #expect(batches.map(\.count) == [27, 9, 3, 1])
        #expect(batches[1].contains { $0.candidate == 17 } && !batches[1].contains { $0.candidate == 9 })
        #expect(Set(batches[2].map(\.candidate)) == [17, 5, 22])
        #expect(batches[3] == [Proposal(candidate: 17, budget: .object([("min_runs", .int(90))]))])
        let minRuns = batches.prefix(3).map { $0[0].budget?["min_runs"]?.intValue ?? 0 }
        #expect(minRuns == [3, 10, 30], "\(minRuns)")
        #expect(batches.prefix(3).allSatisfy { b in b.allSatisfy { $0.budget?["warmup_runs"]?.intValue == 2 } })
        #expect(sh.finalists == [17])
    }

    @Test func successiveHalvingEndsOnItsLastRungWhenSeveralSurvive() {
        // 9 candidates, η = 3: rungs of 9 and 3, then one left → the survivor's full-budget run.
        var sh = SuccessiveHalving(candidates: Array(0..<9), eta: 3, full: Self.full, fullJSON: nil)
        let batches = Self.drive(&sh) { Double(9 - $0) }
        #expect(batches.map(\.count) == [9, 3, 1])
        #expect(batches.last?.first?.candidate == 8 && batches.last?.first?.budget == nil)
        #expect(sh.finalists == [8])
        // Nothing to search: one empty rung, no finalist.
        var none = SuccessiveHalving(candidates: [], eta: 3, full: Self.full, fullJSON: nil)
        let empty = Self.drive(&none) { _ in 1 }
        #expect(empty.allSatisfy { $0.isEmpty })
        #expect(none.finalists == [])
    }
}
