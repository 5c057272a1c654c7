import Foundation
import Testing

/// A stand-in for Ray's Jobs API that runs jobs here (Support/ray-stub.py), for the executor's requests, retry policy
/// and log parsing without a cluster.
final class RayStub {
    let process = Process()
    let requests: String
    private(set) var port = 0

    init(token: String, failRun: String? = nil, dir: String) throws {
        requests = "\(dir)/requests.jsonl"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [CLI.root + "/Tests/KenningCLITests/Support/ray-stub.py"]
        var env = ProcessInfo.processInfo.environment
        env["STUB_TOKEN"] = token
        env["STUB_REQUESTS"] = requests
        env["STUB_FAIL_RUN"] = failRun ?? ""
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([10]) { line += byte }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
    }

    var address: String { "http://127.0.0.1:\(port)" }

    /// The job submissions it received, in order.
    func submissions() throws -> [[String: Any]] { try received().filter { $0["stop"] == nil } }

    /// The ids of the jobs it was asked to stop.
    func stops() throws -> [String] { try received().compactMap { $0["stop"] as? String } }

    func received() throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: requests) else { return [] }
        return try String(contentsOfFile: requests, encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// The Ray attempts a search journaled (`ray_job` lines), in order.
func rayAttempts(_ journal: String) throws -> [[String: Any]] {
    try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").compactMap {
        (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["ray_job"] as? [String: Any]
    }
}

/// A small grid (2 graph optimizer settings × 2 backends) on the digits data.
func rayGrid(_ dir: String) -> String {
    fineTuneConfig(optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/g.onnx"], "fuse_activations": [true, false]}}]"#,
                   runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/m.onnx"], "backend": ["reference", "onednn"]}}]"#,
                   dataset: #"{"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits", "reduce_dataset": 0.3}}"#,
                   extra: #""measurement": {"min_time": 0.1, "max_time": 0.5},"#)
}

@Suite(.serialized) struct RayExecutorTests {
    @Test func jobsRetriedOnlyWhenTheClusterFailedThem() throws {
        let dir = CLI.tempDir()
        let stub = try RayStub(token: "s3cret", failRun: "run_1", dir: dir)
        try rayGrid(dir).write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/out/r.json", "--no-report",
                             "--executor", "ray", "--ray-address", stub.address, "--ray-device", "fake", "--ray-shared-store", "/",
                             "--ray-kenning", CLI.binary], environment: ["RAY_AUTH_TOKEN": "s3cret"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try CLI.json("\(dir)/out/r_all_results.json") as? [[String: Any]])
        #expect(rows.count == 4 && rows.allSatisfy { $0["status"] as? String == "ok" }, "\(rows.map { $0["reason"] ?? $0["status"] ?? "" })")
        // Each attempt is journaled: the run whose node "died" failed once and succeeded under a new submission id.
        let attempts = try rayAttempts("\(dir)/out/r_journal.jsonl")
        let run1 = attempts.filter { $0["run"] as? String == "run_1" }
        #expect(run1.map { $0["status"] as? String } == ["FAILED", "SUCCEEDED"], "\(run1)")
        #expect(run1.first?["error_type"] as? String == "JOB_SUPERVISOR_ACTOR_DIED")
        #expect((run1.last?["submission_id"] as? String)?.hasSuffix("-run_1-a2") == true)
        // What was asked of the cluster: a CPU for every job, the device only for measurements, the attempt in the environment.
        let jobs = try stub.submissions()
        #expect(jobs.count == attempts.count && Set(jobs.compactMap { $0["submission_id"] as? String }).count == jobs.count)
        for job in jobs {
            let run = (job["metadata"] as? [String: String])?["run"] ?? ""
            let resources = job["entrypoint_resources"] as? [String: Double]
            #expect(job["entrypoint_num_cpus"] as? Double == 1)
            #expect(run.hasPrefix("run_") ? resources == ["device_fake": 1] : resources == nil, "\(job)")
            #expect(((job["runtime_env"] as? [String: Any])?["env_vars"] as? [String: String])?["KENNING_ATTEMPT"] != nil)
            #expect((job["entrypoint"] as? String)?.contains("'\(CLI.binary)' run-request") == true)
        }
        // A pipeline's own failure is not retried: runs that exceed the memory limit fail once each.
        let oom = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/oom/r.json", "--no-report",
                               "--memory-limit", "64", "--executor", "ray", "--ray-address", stub.address], environment: ["RAY_AUTH_TOKEN": "s3cret"])
        #expect(oom.status == 1)
        let failed = try rayAttempts("\(dir)/oom/r_journal.jsonl")
        #expect(!failed.isEmpty && failed.allSatisfy { $0["attempt"] as? Int == 1 }, "\(failed)")
    }

    /// Starts a search on the stub in the background; returns it once a measurement job is on the "cluster".
    func startSearch(_ stub: RayStub, dir: String, output: String, resume: Bool = false) throws -> Process {
        let search = Process()
        search.executableURL = URL(fileURLWithPath: CLI.binary)
        search.arguments = ["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", output, "--no-report",
                            "--executor", "ray", "--ray-address", stub.address] + (resume ? ["--resume"] : [])
        search.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        search.environment = ProcessInfo.processInfo.environment.merging(["RAY_AUTH_TOKEN": "s3cret"]) { $1 }
        search.standardOutput = FileHandle.nullDevice
        search.standardError = FileHandle.nullDevice
        try search.run()
        return search
    }

    /// Ctrl-C stops the search's jobs on the cluster; `--resume` adopts a job that went on without it instead of
    /// submitting it again, and submits a stopped one anew.
    @Test func interruptedSearchesStopTheirJobsAndResumeAdoptsTheRest() throws {
        let dir = CLI.tempDir()
        let stub = try RayStub(token: "s3cret", dir: dir)
        try rayGrid(dir).replacingOccurrences(of: #""min_time": 0.1, "max_time": 0.5"#, with: #""min_time": 2, "max_time": 3"#)
            .write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        func waitForRun(_ n: Int) throws {
            for _ in 0..<600 where try !stub.submissions().contains(where: { ($0["metadata"] as? [String: String])?["run"] == "run_\(n)" }) {
                usleep(100_000)
            }
            usleep(500_000)
        }
        // Ctrl-C while run_0 measures: its job is stopped on the cluster.
        let first = try startSearch(stub, dir: dir, output: "\(dir)/out/r.json")
        try waitForRun(0)
        kill(first.processIdentifier, SIGINT)
        first.waitUntilExit()
        #expect(first.terminationStatus == 130)
        let stopped = try stub.stops()
        #expect(stopped.contains { $0.hasSuffix("-run_0-a1") }, "\(stopped)")
        // Killed outright while run_0 measures again (after --resume submitted it as a2): the job runs on.
        let second = try startSearch(stub, dir: dir, output: "\(dir)/out/r.json", resume: true)
        for _ in 0..<600 where try !stub.submissions().contains(where: { ($0["submission_id"] as? String)?.hasSuffix("-run_0-a2") == true }) {
            usleep(100_000)
        }
        kill(second.processIdentifier, SIGKILL)
        second.waitUntilExit()
        sleep(4)
        // The next --resume adopts that job (no third submission of run_0) and finishes the search.
        let third = try startSearch(stub, dir: dir, output: "\(dir)/out/r.json", resume: true)
        third.waitUntilExit()
        #expect(third.terminationStatus == 0)
        let ids = try stub.submissions().compactMap { $0["submission_id"] as? String }
        #expect(ids.filter { $0.contains("-run_0-") }.map { String($0.suffix(2)) } == ["a1", "a2"], "\(ids)")
        #expect(Set(ids).count == ids.count)
        let rows = try #require(try CLI.json("\(dir)/out/r_all_results.json") as? [[String: Any]])
        #expect(rows.count == 4 && rows.allSatisfy { $0["status"] as? String == "ok" })
    }

    @Test func aWrongTokenOrNoClusterIsOneClearMessage() throws {
        let dir = CLI.tempDir()
        let stub = try RayStub(token: "right", dir: dir)
        try rayGrid(dir).write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let wrong = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/a/r.json", "--executor", "ray",
                                 "--ray-address", stub.address], environment: ["RAY_AUTH_TOKEN": "wrong"])
        #expect(wrong.status == 2 && wrong.stderr.contains("refused") && wrong.stderr.contains("RAY_AUTH_TOKEN"), "\(wrong.stderr)")
        // A shared store the output is not in: nothing is submitted.
        let outside = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/c/r.json", "--executor", "ray",
                                   "--ray-address", stub.address, "--ray-shared-store", "/srv/kenning-shared"], environment: ["RAY_AUTH_TOKEN": "right"])
        #expect(outside.status == 2 && outside.stderr.contains("outside the shared store /srv/kenning-shared") && outside.stderr.contains("fix:"),
                "\(outside.stderr)")
        let none = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/b/r.json", "--executor", "ray",
                                "--ray-address", "http://127.0.0.1:9"])
        #expect(none.status == 2 && none.stderr.contains("cannot use Ray") && none.stderr.contains("fix:"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stub.requests), "nothing is submitted")
    }
}
