import Foundation
import Testing

/// A real two-node Ray cluster on loopback (scripts/ray-cluster: head 127.0.0.2, worker 127.0.0.3 holding the
/// resource device_fake, token auth), started and stopped by the test.
@Suite(.serialized) struct RayClusterTests {
    static let script = CLI.root + "/scripts/ray-cluster"
    static let available = FileManager.default.isExecutableFile(atPath: CLI.root + "/.venv-ray/bin/ray")

    /// GET on the dashboard with the token (curl), as JSON.
    func get(_ url: String, token: String) -> [String: Any]? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-m", "5", "-H", "Authorization: Bearer \(token)", url]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    @Test(.enabled(if: available, "Ray is not installed (scripts/setup-ray makes .venv-ray; scripts/test runs it)"))
    func theSameResultsOnTheClusterAndAKilledNodesRunIsRetried() throws {
        let dir = CLI.tempDir()
        #expect(sh([Self.script, "start", dir]) == 0, "\((try? String(contentsOfFile: "\(dir)/head.log", encoding: .utf8)) ?? "")")
        defer { sh([Self.script, "stop", dir]) }
        let env = try String(contentsOfFile: "\(dir)/cluster.env", encoding: .utf8).split(separator: "\n")
            .reduce(into: [String: String]()) { d, line in
                let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { d[kv[0]] = kv[1] }
            }
        let address = try #require(env["RAY_ADDRESS_HTTP"]), token = try #require(env["RAY_AUTH_TOKEN"])
        // Runs long enough (≥ 3 s each) that the node can be killed while one measures.
        let config = rayGrid(dir).replacingOccurrences(of: #""measurement": {"min_time": 0.1, "max_time": 0.5}"#,
                                                       with: #""measurement": {"min_time": 3, "max_time": 4}"#)
        try config.write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let local = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/local/r.json", "--no-report"])
        #expect(local.status == 0, "\(local.stderr)")

        let search = Process()
        search.executableURL = URL(fileURLWithPath: CLI.binary)
        search.arguments = ["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/ray/r.json", "--no-report",
                            "--executor", "ray", "--ray-address", address, "--ray-device", "fake"]
        search.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        search.environment = ProcessInfo.processInfo.environment.merging(["RAY_AUTH_TOKEN": token]) { $1 }
        search.standardOutput = FileHandle.nullDevice
        search.standardError = FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: "\(dir)/search.log", contents: nil); return "\(dir)/search.log" }())
        try search.run()
        // The worker node is killed (its raylet by process id) while the second measurement runs on it, then restarted.
        var killedAt: Date?
        let deadline = Date().addingTimeInterval(240)
        while search.isRunning, killedAt == nil, Date() < deadline {
            if let sid = try? String(contentsOfFile: "\(dir)/ray/r_runs/ray-search-id", encoding: .utf8),
               let job = get("\(address)/api/jobs/\(sid)-run_1-a1", token: token), job["status"] as? String == "RUNNING" {
                usleep(1_500_000)
                #expect(sh([Self.script, "kill-worker", dir]) == 0)
                killedAt = Date()
                sleep(3)
                #expect(sh([Self.script, "worker", dir]) == 0)
            }
            usleep(200_000)
        }
        while search.isRunning, Date() < deadline { usleep(200_000) }
        if search.isRunning { kill(search.processIdentifier, SIGINT) }
        search.waitUntilExit()
        let log = (try? String(contentsOfFile: "\(dir)/search.log", encoding: .utf8)) ?? ""
        #expect(killedAt != nil, "the run never ran: \(log)")
        #expect(search.terminationStatus == 0, "\(log)")

        // The same results: ids, statuses, accuracy; latencies of the same order.
        let a = try #require(try CLI.json("\(dir)/local/r_all_results.json") as? [[String: Any]])
        let b = try #require(try CLI.json("\(dir)/ray/r_all_results.json") as? [[String: Any]])
        func summary(_ rows: [[String: Any]]) -> [String] {
            rows.map { "\($0["id"] ?? "-") \($0["status"] ?? "-") \(((($0["metrics"] as? [String: Double])?["accuracy"]) ?? -1))" }.sorted()
        }
        #expect(summary(a) == summary(b))
        for (x, y) in zip(a, b) {
            let lx = (x["metrics"] as? [String: Double])?["inferencetime_mean"] ?? 0, ly = (y["metrics"] as? [String: Double])?["inferencetime_mean"] ?? 0
            #expect(lx > 0 && ly > 0 && max(lx, ly) / min(lx, ly) < 5, "\(lx) vs \(ly)")
        }
        // The killed node's run failed once (the cluster's failure) and was retried under a new submission id.
        let attempts = try rayAttempts("\(dir)/ray/r_journal.jsonl")
        let run1 = attempts.filter { $0["run"] as? String == "run_1" }
        #expect(run1.count == 2 && run1.first?["status"] as? String == "FAILED" && run1.last?["status"] as? String == "SUCCEEDED", "\(attempts)")
        print("ray: the killed node's run: \(run1.map { "\($0["submission_id"] ?? "") \($0["status"] ?? "") \($0["error_type"] ?? "")" })")
    }
}
