/// How one run of a search ended. The raw values are the `status` strings of `OUT_all_results.json` and the journal.
public enum RunStatus: String, Sendable, CaseIterable {
    /// Measured, outputs within tolerance, every objective's metric present.
    case ok
    /// The pipeline cannot run: formats, ops, or a kernel that cannot be exact on this CPU (`KenningError.Code.incompatiblePipeline`).
    case incompatible
    /// An optimizer failed.
    case compileError = "compile_error"
    /// The run's process died from a signal.
    case crash
    /// No result within the time limit, or the target stopped answering within the protocol's timeout.
    case timeout
    /// The target measuring the run went away (its server died, the link dropped); `--resume` runs it again.
    case targetLost = "target_lost"
    /// The run's process ran out of memory (its limit, or the machine's).
    case oom
    /// Outputs differ from the unoptimized model's by more than the precision's tolerance.
    case outputMismatch = "output_mismatch"
    /// An objective's metric was not measured.
    case metricMissing = "metric_missing"
    /// Any other failure.
    case failed

    /// A status read back from a result file or the journal (an unknown string counts as `failed`).
    public init(recorded text: String) { self = RunStatus(rawValue: text) ?? .failed }
}
