import KenningCore

/// A job submission (`POST /api/jobs/`): the shell command, its id, what it reserves and its environment.
struct RayJobRequest: Sendable, Equatable {
    var entrypoint: String
    var submissionID: String
    var numCPUs: Double = 1
    /// Custom node resources reserved while it runs (e.g. `device_board-a: 1`).
    var resources: [String: Double] = [:]
    var environment: [String: String] = [:]
    var metadata: [String: String] = [:]

    var json: JSONValue {
        var pairs: [(String, JSONValue)] = [("entrypoint", .string(entrypoint)), ("submission_id", .string(submissionID)),
                                            ("entrypoint_num_cpus", .double(numCPUs))]
        if !resources.isEmpty { pairs.append(("entrypoint_resources", .object(resources.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }))) }
        if !environment.isEmpty {
            pairs.append(("runtime_env", .object([("env_vars", .object(environment.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))])))
        }
        if !metadata.isEmpty { pairs.append(("metadata", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))) }
        return .object(pairs)
    }
}
