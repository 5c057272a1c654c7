import KenningCore

/// Where a search's isolated runs are carried out: child processes on this machine (`LocalExecutor`) or jobs on a Ray
/// cluster (`RayExecutor`). Strategies, cache, journal, resume and results are the same with either.
protocol RunExecutor {
    /// Carries out the run whose request is written at `requestPath`; its log goes to `logPath` and its `RunResult` to
    /// the request's `resultPath`. `device` names the device a measurement needs (a target's name), nil for none.
    func execute(_ request: RunRequest, requestPath: String, logPath: String, device: String?) -> ChildProcess.Result
    /// How many runs it can carry out at once (nil: as many as `--jobs` says).
    var parallelism: Int? { get }
}
