import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

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
    var jobs: Int?

    @Flag(help: "Continue an interrupted search from its journal (OUT_journal.jsonl) without repeating finished runs")
    var resume = false

    @Option(name: .customLong("cache-dir"), help: "Artifact cache directory (default: next to --output, kenning-cache/)")
    var cacheDir: String?

    @Option(name: .customLong("memory-limit"), help: "Memory limit of each run in MiB (address space)")
    var memoryLimit: Int = 8192

    @Option(name: .customLong("run-wrapper"), help: "Start every run under this command, e.g. \"taskset -c 1\" to pin measurements to one core")
    var runWrapper: String?

    @Flag(name: .customLong("no-report"), help: "Do not write OUT_report.md and OUT_report.html (a report is `kenning report --search OUT.json`)")
    var noReport = false

    @Option(help: "Where runs are carried out: local (child processes) or ray (jobs on a Ray cluster; token from RAY_AUTH_TOKEN)")
    var executor: String = "local"

    @Option(name: .customLong("ray-address"), help: "The Ray dashboard's address, e.g. http://10.0.0.1:8265")
    var rayAddress: String?

    @Option(name: .customLong("ray-device"), help: "Device resource every measurement reserves (device_<name>) when its pipeline names no target")
    var rayDevice: String?

    @Option(name: .customLong("ray-shared-store"), help: "Folder the Ray nodes see at the same path; output, cache and working folder must be in it")
    var raySharedStore: String?

    @Option(name: .customLong("ray-kenning"), help: "The kenning command on the Ray nodes (default: this one's path)")
    var rayKenning: String?

    func validate() throws {
        if !["local", "ray"].contains(executor) { throw ValidationError("--executor must be local or ray") }
        if executor == "ray" && rayAddress == nil { throw ValidationError("--executor ray needs --ray-address http://HEAD:8265") }
        if output == nil && generateScenarios == nil {
            throw ValidationError("--output is required (or --generate-scenarios DIR)")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if memoryLimit < 64 { throw ValidationError("--memory-limit must be at least 64 (MiB)") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var options = FineTuneOptions(configPath: jsonCfg, outputPath: output ?? "build/fine-tune/out.json", generateScenarios: generateScenarios,
                                      verbosity: verbosity.rawValue, timeout: timeout, executable: exe)
        options.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        options.resume = resume
        options.cacheDirectory = cacheDir
        options.memoryLimitMB = memoryLimit
        options.runWrapper = runWrapper.map { $0.split(separator: " ").map(String.init) } ?? []
        options.liveProgress = isatty(2) == 1
        options.writeReport = !noReport
        options.executor = executor
        options.rayAddress = rayAddress
        options.rayDevice = rayDevice
        options.raySharedStore = raySharedStore
        options.rayKenning = rayKenning
        let runner = FineTuneRunner(
            options: options,
            say: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
        let status = try runner.run()
        if status != 0 { throw ExitCode(status) }
    }
}
