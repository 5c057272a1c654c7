import Foundation
import KenningCore
import KenningEngine
import KenningSearch
import Testing

@Suite struct SearchPieces {
    @Test func sha256KnownVectors() {
        #expect(ContentHash.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ContentHash.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHash.hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test("file hashes, read in pieces, match coreutils' sha256sum (empty, one piece, several pieces)", arguments: [0, 1000, 9 << 20 | 7])
    func fileHashMatchesSha256sum(_ size: Int) throws {
        let path = temporaryDirectory() + "/blob.bin"
        try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }).write(to: URL(fileURLWithPath: path))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(ContentHash.file(path) == text.split(separator: " ").first.map(String.init))
        #expect(ContentHash.file(path + ".missing") == nil)
    }

    @Test func constraintsParseAndHold() throws {
        let c = try Constraint.parse("accuracy >= 0.97", path: "$")
        #expect(c.metric == "accuracy" && c.relation == .atLeast && c.bound == 0.97)
        #expect(c.holds(["accuracy": 0.98]) && !c.holds(["accuracy": 0.9]))
        #expect(abs(c.violation(["accuracy": 0.873]) - 0.1) < 1e-9)
        let t = try Constraint.parse("inferencetime_p99<=0.004", path: "$")
        #expect(t.relation == .atMost && t.holds(["inferencetime_p99": 0.003]))
        #expect(throws: KenningError.self) { try Constraint.parse("acuracy >= 1", path: "$") }
        #expect(throws: KenningError.self) { try Constraint.parse("accuracy > 1", path: "$") }
    }

    @Test func paretoFrontByHand() {
        // (latency, -accuracy): point 2 is dominated by 0; 3 is dominated by 1.
        let costs: [[Double]] = [[1, -0.9], [2, -0.95], [1.5, -0.85], [3, -0.94]]
        #expect(Pareto.front(costs) == [0, 1])
    }

    @Test func bootstrapIntervalCoversTheMean() {
        var rng = SystemRandomNumberGenerator()
        let x = (0..<2000).map { _ in Double.random(in: 0...1, using: &rng) }
        let ci = Bootstrap.interval(x, statistic: Bootstrap.mean)
        let m = Statistics.mean(x)
        #expect(ci.low < m && m < ci.high)
        #expect(ci.high - ci.low < 0.05)
        var y = [5.0, 1, 4, 2, 3, 6]
        #expect(Bootstrap.median(&y) == 3.5)
        var z = [9.0, 1, 5]
        #expect(Bootstrap.median(&z) == 5)
    }

    @Test func optimizationParametersValidateEverything() throws {
        let doc = try JSONValue.parse("""
        {"optimization_parameters": {"strategy": "tpe", "optimizable": ["runtime"], "objectives": [{"metric": "inferencetime_p99", "policy": "min"},
          {"metric": "Accuracy", "policy": "max"}], "constraints": ["accuracy >= 0.97"], "max_runs": 5, "seed": 7}, "runtime": []}
        """)
        let op = try OptimizationParameters.parse(doc)
        #expect(op.objectives.map(\.metric) == ["inferencetime_p99", "accuracy"])
        #expect(op.metric == "inferencetime_p99" && op.maxRuns == 5 && op.seed == 7)
        let bad = try JSONValue.parse("""
        {"optimization_parameters": {"strategy": "tpee", "metric": "accuracy", "max_runs": 0, "selection": "best", "constraints": ["latency <= 1"]}}
        """)
        do {
            _ = try OptimizationParameters.parse(bad)
            Issue.record("accepted a bad config")
        } catch {
            #expect(error.problems.count == 4)
            #expect(error.description.contains("did you mean \"tpe\""))
        }
    }
}
