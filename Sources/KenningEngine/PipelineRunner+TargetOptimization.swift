import Foundation
import KenningBlocks
import KenningCore

extension PipelineRunner {
    /// Runs a batch of `location: target` optimizers on the scenario's target; one `optimization_time` entry and one
    /// optimizer record per block (the target times the batch as a whole: each block's entry is its share of the
    /// OPTIMIZE_MODEL round trip, and `protocol_model_optimization` keeps the round trip itself).
    func optimizeOnTarget(_ batch: [(config: BlockConfig, block: any Optimizer)], artifact: ModelArtifact, built: Built,
                          times: inout [JSONValue], records: inout [JSONValue], roundTrips: inout [JSONValue]) throws(KenningError) -> ModelArtifact
    {
        let first = batch[0].config
        guard let proto = built.proto else {
            throw .badInput("\(first.label) runs on the target (location \"target\"), and the scenario has no protocol to reach one",
                            path: "\(first.jsonPath).parameters.location",
                            fix: "add a \"protocol\" block (NetworkProtocol to a `kenning server --json-cfg …` on the target), or set location to \"host\"")
        }
        if let platform = built.platform, !platform.runsOptimizers {
            throw .badInput("\(first.label) runs on the target, and \(platform.displayName ?? platform.name ?? "the platform") runs firmware, not optimizers",
                            path: "\(first.jsonPath).parameters.location", fix: "set location to \"host\"")
        }
        let (compiled, seconds) = try RemoteOptimization(batch: batch, proto: proto).run(artifact, log: log)
        roundTrips.append(.double(seconds))
        for (_, block) in batch {
            times.append(.double(seconds / Double(batch.count)))
            records.append(.object([("compiler_framework", .string(block.framework.name)), ("compiler_version", .string(block.framework.version)),
                                    ("location", "target")]))
        }
        return compiled
    }
}
