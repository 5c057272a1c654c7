import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct Kenning: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kenning",
        abstract: "Find the best way to deploy a neural network: optimize, run and measure pipelines.",
        subcommands: [FineTuneOptimizers.self, Optimize.self, Test.self, OptimizeTest.self, List.self, Info.self])
}

enum Verbosity: String, ExpressibleByArgument, CaseIterable {
    case DEBUG, INFO, WARNING, ERROR, CRITICAL
}

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

struct Optimize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the scenario's optimizers (compile the model). Chain with test: `kenning optimize test`.")
    @OptionGroup var options: ScenarioOptions
    func run() throws { try options.runPipeline(optimize: true, test: false, commandName: ["optimize"]) }
}

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure the scenario's runtime on the dataset's test split (without compiling).")
    @OptionGroup var options: ScenarioOptions
    func run() throws { try options.runPipeline(optimize: false, test: true, commandName: ["test"]) }
}

struct OptimizeTest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "optimize-test", abstract: "Same as `kenning optimize test`.",
                                                    shouldDisplay: false)
    @OptionGroup var options: ScenarioOptions
    func run() throws { try options.runPipeline(optimize: true, test: true, commandName: ["optimize", "test"]) }
}

struct FineTuneOptimizers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fine-tune-optimizers",
        abstract: "Expand the grid of pipelines, run every compatible one, and report the best by the configured metric.")

    @Option(name: [.customLong("json-cfg"), .customLong("cfg")], help: "Optimization config (JSON or YAML)")
    var jsonCfg: String

    @Option(help: "Base path of the results: OUT.json (best), OUT_all_results.json, OUT_<id>.json")
    var output: String?

    @Option(name: .customLong("generate-scenarios"), help: "Only write one runnable scenario per compatible pipeline into this directory")
    var generateScenarios: String?

    @Option(help: "Log level passed to every run")
    var verbosity: Verbosity = .INFO

    @Option(help: "Seconds one pipeline may take before it is stopped and recorded as a timeout")
    var timeout: Double = 900

    @Option(help: "Compilation jobs run in parallel (measurements always run one at a time); default: the number of cores")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Continue an interrupted search from its journal (OUT_journal.jsonl) without repeating finished runs")
    var resume = false

    @Option(name: .customLong("cache-dir"), help: "Artifact cache directory (default: next to --output, kenning-cache/)")
    var cacheDir: String?

    @Option(name: .customLong("memory-limit"), help: "Memory limit of each run in MiB (address space)")
    var memoryLimit: Int = 8192

    func validate() throws {
        if output == nil && generateScenarios == nil {
            throw ValidationError("--output is required (or --generate-scenarios DIR)")
        }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if memoryLimit < 64 { throw ValidationError("--memory-limit must be at least 64 (MiB)") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var options = FineTuneOptions(configPath: jsonCfg, outputPath: output ?? "build/fine-tune/out.json", generateScenarios: generateScenarios,
                                      verbosity: verbosity.rawValue, timeout: timeout, executable: exe)
        options.jobs = jobs
        options.resume = resume
        options.cacheDirectory = cacheDir
        options.memoryLimitMB = memoryLimit
        options.liveProgress = isatty(2) == 1
        let runner = FineTuneRunner(
            options: options,
            say: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
        let status = try runner.run()
        if status != 0 { throw ExitCode(status) }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the available blocks, optionally of one kind.")

    @Argument(help: "model_wrapper, dataset, optimizers or runtime")
    var kind: String?

    func run() throws {
        let registry = BlockRegistry.builtIn
        var kinds = BlockKind.allCases.filter { !registry.entries(of: $0).isEmpty }
        if let kind {
            let aliases = ["optimizer": "optimizers", "runtimes": "runtime", "datasets": "dataset", "model_wrappers": "model_wrapper",
                           "modelwrapper": "model_wrapper", "modelwrappers": "model_wrapper"]
            guard let k = BlockKind(rawValue: aliases[kind] ?? kind) else {
                throw KenningError.badInput("unknown block kind \"\(kind)\"", fix: "use one of: \(kinds.map(\.rawValue).joined(separator: ", "))")
            }
            kinds = [k]
        }
        for k in kinds {
            print("\(k.rawValue):")
            for e in registry.entries(of: k) {
                print("  \(e.description.name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(e.description.summary)")
            }
        }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a block's parameters, defaults and model formats.")

    @Argument(help: "Block name, short (NativeRuntime) or dotted")
    var block: String

    func run() throws {
        guard let e = BlockRegistry.builtIn.find(block) else {
            let names = BlockRegistry.builtIn.entries.map(\.description.name)
            let near = nearestNames(to: block, in: names)
            throw KenningError.badInput("unknown block \"\(block)\"",
                                        fix: (near.isEmpty ? "" : "did you mean \(near.joined(separator: " or "))? ") + "`kenning list` shows all blocks")
        }
        let d = e.description
        print("\(d.name) (\(d.kind.displayName))")
        print("  type: \(d.name) or \(d.dottedName)")
        print("  \(d.summary)")
        if !d.inputFormats.isEmpty { print("  accepts: \(d.inputFormats.map(\.rawValue).joined(separator: ", "))") }
        if !d.outputFormats.isEmpty { print("  produces: \(d.outputFormats.map(\.rawValue).joined(separator: ", "))") }
        print("  parameters:")
        for p in d.parameters {
            let def = p.defaultValue.map { "default \($0.serialized(indent: nil))" } ?? "required"
            var line = "    \(p.name): \(p.type.name), \(def)"
            if let r = p.range { line += ", range \(r.lowerBound)…\(r.upperBound)" }
            print(line)
            print("        \(p.help)")
        }
    }
}

/// The stage a run is in, shared with the runner's callback.
final class PhaseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = "load"
    func set(_ v: String) { lock.lock(); value = v; lock.unlock() }
    func get() -> String { lock.lock(); defer { lock.unlock() }; return value }
}
