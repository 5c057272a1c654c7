import Foundation
import KenningCore

/// Runs each request as a child process here: `[run wrapper] kenning run-request REQUEST`, within the time limit.
struct LocalExecutor: RunExecutor {
    let command: [String]
    let timeout: Double
    /// The environment of a compile run and of a measurement run (which also gets the pooled workers).
    let environment: (_ pooled: Bool) -> [String: String]
    var parallelism: Int? { nil }

    func execute(_ request: RunRequest, requestPath: String, logPath: String, device: String?) -> ChildProcess.Result {
        let full = command + ["run-request", requestPath]
        return ChildProcess.run(executable: SearchSession.resolve(full[0]), arguments: Array(full.dropFirst()), logPath: logPath,
                                timeout: timeout, environment: environment(request.action == .test))
    }
}
