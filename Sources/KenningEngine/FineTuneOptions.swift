import Foundation
import KenningBlocks
import KenningCore

/// The command line's settings of one `fine-tune-optimizers` run: files, limits, parallelism and how runs are started.
public struct FineTuneOptions: Sendable {
    public var configPath: String
    public var outputPath: String
    public var generateScenarios: String?
    public var verbosity: String
    public var timeout: Double
    public var executable: String
    public var jobs: Int = 1
    public var resume: Bool = false
    public var cacheDirectory: String?
    public var memoryLimitMB: Int = 8192
    /// A command each isolated run is started under (e.g. `taskset -c 1`, `nice -n 5`); empty for none.
    public var runWrapper: [String] = []
    public var liveProgress: Bool = false
    /// Where runs are carried out: `local` (child processes) or `ray` (jobs on the Ray cluster at `rayAddress`).
    public var executor: String = "local"
    /// The Ray dashboard's address (`http://HEAD:8265`); the token comes from `RAY_AUTH_TOKEN`.
    public var rayAddress: String?
    /// The device every measurement reserves on the cluster when its pipeline names no target (`device_<name>`).
    public var rayDevice: String?
    /// The folder every node sees at the same path (NFS, or this machine's `/`): output, cache and working folder
    /// must lie in it. nil: the whole file system is taken to be shared.
    public var raySharedStore: String?
    /// The `kenning` command on the nodes (default: this one's path).
    public var rayKenning: String?
    /// Write `OUT_report.md` and `OUT_report.html` when the search ends.
    public var writeReport: Bool = true

    public init(configPath: String, outputPath: String, generateScenarios: String?, verbosity: String, timeout: Double, executable: String) {
        self.configPath = configPath
        self.outputPath = outputPath
        self.generateScenarios = generateScenarios
        self.verbosity = verbosity
        self.timeout = timeout
        self.executable = executable
    }
}
