import Foundation
import KenningBlocks
import KenningCore

extension PipelineRunner {
    /// Loads the scenario at `configPath` and runs it: the `optimize`, `test` and `optimize test` commands, and the
    /// isolated runs of a search (which start from `inputModel` for a step of a cached chain).
    public static func runScenario(configPath: String, optimize: Bool, test: Bool, measurementsPath: String?,
                                   inputModel: String? = nil, inputFormat: ModelFormat? = nil, referenceOutputsPath: String? = nil,
                                   evaluateUnoptimized: Bool = false, command: [String],
                                   log: @escaping @Sendable (String) -> Void,
                                   onPhase: @escaping @Sendable (String) -> Void = { _ in }) throws(KenningError) {
        let doc = try ConfigFile.load(configPath)
        let scenario: Scenario
        do {
            scenario = try Scenario.parse(doc, registry: .builtIn)
        } catch {
            throw error.inFile(configPath)
        }
        if let m = measurementsPath {
            let dir = (m as NSString).deletingLastPathComponent
            try Files.ensureWritableDirectory(dir.isEmpty ? "." : dir, for: "measurements")
        }
        var runner = PipelineRunner(scenario: scenario, configPath: configPath, command: command, log: log)
        runner.onPhase = onPhase
        if let referenceOutputsPath {
            guard let data = FileManager.default.contents(atPath: referenceOutputsPath),
                  let rows = (try? JSONValue.parse(String(decoding: data, as: UTF8.self)))?.arrayValue else {
                throw .failure("cannot read the reference outputs \(referenceOutputsPath)", fix: "this file is written by fine-tune-optimizers")
            }
            runner.referenceOutputs = rows.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] }
        }
        var unoptimized: JSONValue?
        if evaluateUnoptimized {
            // Kenning's --evaluate-unoptimized: the model wrapper's own model on the same runtime and data, nested in the
            // measurements as "__unoptimized__"; measured first here, so the optimized run records its fidelity to it.
            guard optimize, test, !scenario.optimizers.isEmpty else {
                throw KenningError.badInput("--evaluate-unoptimized compares the optimized model with the unoptimized one, and this run "
                                            + (scenario.optimizers.isEmpty ? "has no optimizers" : "does not optimize and test"),
                                            file: configPath, path: "$.optimizers",
                                            fix: "use it with `kenning optimize test` on a scenario with optimizers, or leave it out")
            }
            var plain = runner
            plain.scenario.optimizers = []
            plain.outputValueCap = nil
            log("measuring the unoptimized model")
            do {
                unoptimized = try plain.run(optimize: false, test: true, measurementsPath: nil)
            } catch {
                throw error.inFile(configPath)
            }
            runner.referenceOutputs = unoptimized?["output_samples"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] }
        }
        let measured: JSONValue
        do {
            measured = try runner.run(optimize: optimize, test: test, measurementsPath: measurementsPath, inputModel: inputModel, inputFormat: inputFormat)
        } catch {
            throw error.inFile(configPath)
        }
        if let unoptimized, let measurementsPath, case var .object(pairs) = measured {
            let cap = PipelineRunner.defaultOutputValueCap
            let trimmed = unoptimized.setting("output_samples", to: .array((unoptimized["output_samples"]?.arrayValue ?? []).map {
                .array(Array(($0.arrayValue ?? []).prefix(cap)))
            }))
            pairs.append(("__unoptimized__", trimmed))
            try Files.writeJSON(.object(pairs), to: measurementsPath, indent: 2)
        }
    }
}
