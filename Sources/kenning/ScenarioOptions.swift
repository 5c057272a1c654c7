import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct ScenarioOptions: ParsableArguments {
    @Option(name: [.customLong("json-cfg"), .customLong("cfg")], help: "Scenario file (JSON or YAML)")
    var jsonCfg: String

    @Option(help: "Where to write the measurements JSON")
    var measurements: String?

    @Option(help: "Log level: DEBUG, INFO, WARNING, ERROR, CRITICAL")
    var verbosity: Verbosity = .INFO

    @Flag(name: .customLong("evaluate-unoptimized"),
          help: "Also measure the model before optimization (nested as __unoptimized__; the optimized run records its fidelity to it)")
    var evaluateUnoptimized = false

    func log() -> @Sendable (String) -> Void {
        let quiet = verbosity != .DEBUG && verbosity != .INFO
        return { line in if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
    }

    func runPipeline(optimize: Bool, test: Bool, commandName: [String]) throws {
        try PipelineRunner.runScenario(configPath: jsonCfg, optimize: optimize, test: test, measurementsPath: measurements,
                                       evaluateUnoptimized: evaluateUnoptimized, command: ["kenning"] + commandName + CommandLine.arguments.dropFirst(commandName.count + 1), log: log())
    }
}
