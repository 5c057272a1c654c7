import Foundation
import KenningCore

/// Runs each request as a job on a Ray cluster through its Jobs API. Nodes see the search's files at the same paths
/// (one machine, or a shared file system); the job runs `kenning run-request` there and prints its result between
/// markers, which come back through the job's logs. Compile jobs reserve a CPU; measurement jobs also reserve their
/// device (`device_<name>`: 1), so each device measures one run at a time. A job the cluster failed (its node or
/// supervisor died, its environment failed) is submitted again under a new id; a pipeline's own failure is not. Each
/// attempt is journaled; on `--resume` a job still running or finished on the cluster is adopted, not resubmitted.
final class RayExecutor: RunExecutor {
    let client: RayJobsClient
    /// The `kenning` command on the nodes, and the folder runs start in.
    let kenning: String
    let directory: String
    let timeout: Double
    let policy: RayRetryPolicy
    /// Names this search's jobs (kept in the run folder, so `--resume` finds its jobs).
    let searchID: String
    let resume: Bool
    let journal: Journal
    /// Seconds between status polls.
    var pollInterval = 0.5
    /// Extra seconds a job may wait for a free CPU or device before it counts against the time limit.
    var pendingAllowance = 300.0
    /// The cluster's CPUs when the search started: compile steps never outnumber them.
    let parallelism: Int?

    static let resultBegin = "KENNING_RESULT_BEGIN"
    static let resultEnd = "KENNING_RESULT_END"

    init(client: RayJobsClient, kenning: String, directory: String, timeout: Double, policy: RayRetryPolicy = RayRetryPolicy(),
         runDir: String, resume: Bool, journal: Journal) {
        self.client = client
        self.kenning = kenning
        self.directory = directory
        self.timeout = timeout
        self.policy = policy
        self.resume = resume
        self.journal = journal
        let idFile = (runDir as NSString).appendingPathComponent("ray-search-id")
        if resume, let id = try? String(contentsOfFile: idFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !id.isEmpty {
            searchID = id
        } else {
            searchID = "kenning-" + String(UUID().uuidString.lowercased().prefix(8))
            try? searchID.write(toFile: idFile, atomically: true, encoding: .utf8)
        }
        parallelism = client.cpus().map { max(1, Int($0.total)) }
        RayInFlight.shared.install(client: client)
    }

    /// Waits (up to the pending allowance) while every CPU of the cluster is taken and this search has a job running:
    /// jobs wait here rather than pile up pending on the cluster, where Ray fails them after its start timeout.
    func awaitCapacity() {
        let deadline = monotonicSeconds() + pendingAllowance
        while monotonicSeconds() < deadline, RayInFlight.shared.count > 0, let cpus = client.cpus(), cpus.used >= cpus.total {
            usleep(UInt32(pollInterval * 1e6))
        }
    }

    /// Checks the cluster answers and takes the token; the reason otherwise.
    static func check(_ client: RayJobsClient) throws(KenningError) {
        do {
            _ = try client.version()
        } catch let failure {
            switch failure {
            case .unauthorized:
                throw .badInput("Ray at \(client.address.absoluteString) refused the request: \(failure.description)",
                                fix: "export RAY_AUTH_TOKEN with the cluster's token")
            default:
                throw .badInput("cannot use Ray at \(client.address.absoluteString): \(failure.description)",
                                fix: "start the cluster (`ray start --head --dashboard-host …`) or correct --ray-address (the dashboard's http://HOST:8265)")
            }
        }
    }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The shell command of a job: the run, then its result between markers, then the run's exit status.
    func entrypoint(_ request: RunRequest, requestPath: String) -> String {
        "cd \(Self.quote(directory)) && \(Self.quote(kenning)) run-request \(Self.quote(requestPath)); s=$?; "
            + "echo \(Self.resultBegin); cat \(Self.quote(request.resultPath)) 2>/dev/null; echo; echo \(Self.resultEnd); exit $s"
    }

    /// The text between the markers in a job's logs (nil when they are missing).
    static func result(inLogs logs: String) -> String? {
        guard let begin = logs.range(of: resultBegin + "\n"), let end = logs.range(of: resultEnd, range: begin.upperBound..<logs.endIndex) else { return nil }
        let text = logs[begin.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    func execute(_ request: RunRequest, requestPath: String, logPath: String, device: String?) -> ChildProcess.Result {
        let tag = ((requestPath as NSString).lastPathComponent as NSString).deletingPathExtension.replacingOccurrences(of: ".request", with: "")
        var job = RayJobRequest(entrypoint: entrypoint(request, requestPath: requestPath), submissionID: "")
        job.numCPUs = 1
        if request.action == .test, let device { job.resources["device_\(device)"] = 1 }
        job.environment = ["SWIFT_BACKTRACE": "enable=no", "OPENBLAS_NUM_THREADS": ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "1"]
        job.metadata = ["search": searchID, "run": tag, "action": request.action.rawValue]
        var attempt = 1
        var adopt: String?
        if resume { (attempt, adopt) = adoptable(tag) }
        while true {
            let id = "\(searchID)-\(tag)-a\(attempt)"
            if adopt != id {
                awaitCapacity()
                job.submissionID = id
                job.environment["KENNING_ATTEMPT"] = String(attempt)
                do {
                    _ = try client.submit(job)
                } catch {
                    record(tag, id: id, attempt: attempt, status: "SUBMIT_FAILED", info: nil, note: error.description)
                    if attempt < policy.maxAttempts, case .unreachable = error { attempt += 1; sleep(2); continue }
                    return .launchFailed("Ray did not take the job: \(error.description)")
                }
            }
            RayInFlight.shared.add(id)
            let outcome = wait(for: id)
            RayInFlight.shared.remove(id)
            switch outcome {
            case let .finished(info):
                record(tag, id: id, attempt: attempt, status: info.status, info: info, note: nil)
                if policy.retries(info, attempt: attempt) {
                    attempt += 1
                    adopt = nil
                    continue
                }
                return conclude(id, info: info, request: request, logPath: logPath)
            case .timedOut:
                client.stop(id)
                record(tag, id: id, attempt: attempt, status: "TIMED_OUT", info: nil, note: nil)
                return .timedOut
            case let .lost(why):
                record(tag, id: id, attempt: attempt, status: "LOST", info: nil, note: why)
                return .launchFailed("lost track of Ray job \(id): \(why)")
            }
        }
    }

    enum Outcome { case finished(RayJobInfo), timedOut, lost(String) }

    /// Polls a job until it ends, the time limit passes, or the cluster stops answering for a minute.
    func wait(for id: String) -> Outcome {
        let deadline = monotonicSeconds() + timeout + pendingAllowance
        var silentSince: Double?
        while monotonicSeconds() < deadline {
            do {
                let info = try client.info(id)
                silentSince = nil
                if info.finished { return .finished(info) }
            } catch {
                if silentSince == nil { silentSince = monotonicSeconds() }
                if monotonicSeconds() - silentSince! > 60 { return .lost(error.description) }
            }
            usleep(UInt32(pollInterval * 1e6))
        }
        return .timedOut
    }

    /// The highest attempt of this run already on the cluster (resume): the attempt to continue with, and the job id to
    /// adopt instead of submitting (nil when that attempt must be submitted anew).
    func adoptable(_ tag: String) -> (Int, String?) {
        var last: (Int, RayJobInfo)?
        for attempt in 1...policy.maxAttempts {
            guard let info = try? client.info("\(searchID)-\(tag)-a\(attempt)") else { break }
            last = (attempt, info)
        }
        guard let (attempt, info) = last else { return (1, nil) }
        // A job the cluster failed, or one stopped when the search was interrupted, runs again under the next id.
        if (info.status == "FAILED" && policy.retries(info, attempt: attempt)) || info.status == "STOPPED" { return (attempt + 1, nil) }
        return (attempt, "\(searchID)-\(tag)-a\(attempt)")
    }

    /// A finished job as a run's outcome: its logs to `logPath`, its result (from the markers) to the result file.
    func conclude(_ id: String, info: RayJobInfo, request: RunRequest, logPath: String) -> ChildProcess.Result {
        let logs = (try? client.logs(id)) ?? ""
        try? Data(logs.utf8).write(to: URL(fileURLWithPath: logPath))
        if let result = Self.result(inLogs: logs) { try? Data(result.utf8).write(to: URL(fileURLWithPath: request.resultPath), options: .atomic) }
        switch info.status {
        case "SUCCEEDED":
            return .exited(0, lastError: nil)
        case "STOPPED":
            return .launchFailed("the Ray job \(id) was stopped")
        default:
            if let code = info.exitCode {
                return code > 128 ? .signaled(Int32(code - 128)) : .exited(Int32(code), lastError: ChildProcess.lastError(inLog: logPath))
            }
            return .launchFailed("Ray failed the job \(id) (\(info.errorType ?? "no error type")): \(info.message ?? "")")
        }
    }

    func record(_ tag: String, id: String, attempt: Int, status: String, info: RayJobInfo?, note: String?) {
        var pairs: [(String, JSONValue)] = [("submission_id", .string(id)), ("run", .string(tag)), ("attempt", .int(attempt)), ("status", .string(status))]
        if let type = info?.errorType { pairs.append(("error_type", .string(type))) }
        if let message = info?.message { pairs.append(("message", .string(String(message.prefix(300))))) }
        if let note { pairs.append(("note", .string(note))) }
        journal.append(.object([("ray_job", .object(pairs))]))
    }
}
