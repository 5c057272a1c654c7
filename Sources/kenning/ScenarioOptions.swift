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

    @Option(name: .customLong("status-file"), help: .hidden)
    var statusFile: String?

    @Option(name: .customLong("input-model"), help: .hidden)
    var inputModel: String?

    @Option(name: .customLong("input-format"), help: .hidden)
    var inputFormat: String?

    func log() -> @Sendable (String) -> Void {
        let quiet = verbosity != .DEBUG && verbosity != .INFO
        return { line in if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
    }

    func runPipeline(optimize: Bool, test: Bool, commandName: [String]) throws {
        let doc = try ConfigFile.load(jsonCfg)
        let scenario: Scenario
        do {
            scenario = try Scenario.parse(doc, registry: .builtIn)
        } catch {
            throw error.inFile(jsonCfg)
        }
        if let m = measurements {
            try Files.ensureWritableDirectory((m as NSString).deletingLastPathComponent.isEmpty ? "." : (m as NSString).deletingLastPathComponent,
                                              for: "measurements")
        }
        var runner = PipelineRunner(scenario: scenario, configPath: jsonCfg, command: ["kenning"] + commandName + CommandLine.arguments.dropFirst(commandName.count + 1),
                                    log: log())
        let phase = PhaseBox()
        runner.onPhase = { phase.set($0) }
        do {
            try runner.run(optimize: optimize, test: test, measurementsPath: measurements, inputModel: inputModel,
                           inputFormat: inputFormat.map { ModelFormat(rawValue: $0) })
        } catch {
            if let statusFile {
                let status = JSONValue.object([("phase", .string(phase.get())), ("kind", .string(error.kind == .badInput ? "bad_input" : "failure")),
                                               ("code", .string(error.code.rawValue)), ("error", .string(error.description))])
                try? Files.writeJSON(status, to: statusFile)
            }
            throw error.inFile(jsonCfg)
        }
    }
}
