import Foundation
import KenningBlocks
import KenningCore

extension PipelineRunner {
    /// Loads the scenario at `configPath` and runs it: the `optimize`, `test` and `optimize test` commands, and the
    /// isolated runs of a search (which start from `inputModel` for a step of a cached chain).
    public static func runScenario(configPath: String, optimize: Bool, test: Bool, measurementsPath: String?,
                                   inputModel: String? = nil, inputFormat: ModelFormat? = nil, referenceOutputsPath: String? = nil,
                                   command: [String],
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
        do {
            _ = try runner.run(optimize: optimize, test: test, measurementsPath: measurementsPath, inputModel: inputModel, inputFormat: inputFormat)
        } catch {
            throw error.inFile(configPath)
        }
    }
}
