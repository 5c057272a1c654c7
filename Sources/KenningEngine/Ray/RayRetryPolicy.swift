/// When a failed Ray job is submitted again: only when the cluster failed it (its supervisor or node died, its
/// environment could not be set up, it never started), never when the pipeline itself failed — Ray retries nothing.
struct RayRetryPolicy: Sendable {
    var maxAttempts = 3

    static let clusterFailures: Set<String> = [
        "JOB_SUPERVISOR_ACTOR_DIED", "RUNTIME_ENV_SETUP_FAILURE", "JOB_SUPERVISOR_ACTOR_START_TIMEOUT",
        "JOB_SUPERVISOR_ACTOR_START_FAILURE", "JOB_SUPERVISOR_ACTOR_UNKNOWN_FAILURE",
    ]

    /// Whether a job that ended as `info` after attempt `attempt` is tried again.
    func retries(_ info: RayJobInfo, attempt: Int) -> Bool {
        guard attempt < maxAttempts, info.status == "FAILED" else { return false }
        if let type = info.errorType { return Self.clusterFailures.contains(type) }
        // No error type and no exit code: the job never ran its command.
        return info.exitCode == nil
    }
}
