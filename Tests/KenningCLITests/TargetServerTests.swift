import Foundation
import KenningWorkers
import Testing

/// A `kenning server` process (optionally run through a wrapper such as `ip netns exec NS` or `taskset -c 0`).
final class ServerProcess {
    let process = Process()
    let log: String
    private let out: String
    /// The address it listens on (`ip:port`), or the serial line it serves.
    private(set) var address = ""

    init(config: String, args: [String] = [], wrapper: [String] = [], dir: String, name: String = "server") throws {
        out = "\(dir)/\(name).out"
        log = "\(dir)/\(name).log"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: log, contents: nil)
        let command = wrapper + [CLI.binary, "server", "--json-cfg", config] + args
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        // The server prints one line when it listens.
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: out, encoding: .utf8), let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening ") }) {
                address = String(line.dropFirst("listening ".count))
                return
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw ServerError.notListening((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    enum ServerError: Error { case notListening(String) }

    var port: Int { Int(address.split(separator: ":").last ?? "") ?? 0 }
    var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    func kill(_ signal: Int32 = SIGKILL) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        process.waitUntilExit()
    }

    deinit { kill() }
}

/// A client scenario: the digits CNN on the digits data, measured through `protocol` (and on `platform`).
func targetScenario(_ proto: String, platform: String? = nil, runtime: String = #"{"type": "NativeRuntime", "parameters": {"save_model_path": "SCRATCH/remote.onnx"}}"#) -> String {
    """
    {
        "model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_mean": 0.0, "input_std": 16.0}},
        "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
        "runtime": \(runtime.replacingOccurrences(of: "SCRATCH", with: CLI.scratch)),
        \(platform.map { "\"platform\": \($0)," } ?? "")
        "protocol": \(proto)
    }
    """
}

let serverScenario = #"{"runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "unused.onnx"}}, "protocol": {"type": "NetworkProtocol", "parameters": {"port": 12345}}}"#

/// `kenning server` and the protocol blocks, with real processes on loopback: the measurement equals a local one but
/// is timed on the target; the security items; the faults a client may cause.
@Suite(.serialized) struct TargetServerTests {
    func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }

    @Test func measuresOnTheTargetAsHereTimedThere() throws {
        let dir = CLI.tempDir()
        try write(serverScenario, "\(dir)/server.json")
        let server = try ServerProcess(config: "\(dir)/server.json", args: ["--port", "0"], dir: dir)
        // Loopback unless --host says otherwise.
        #expect(server.address.hasPrefix("127.0.0.1:"))
        try write(targetScenario(#"{"type": "NetworkProtocol", "parameters": {"host": "127.0.0.1", "port": \#(server.port), "timeout": 30}}"#),
                  "\(dir)/remote.json")
        try write(targetScenario("null"), "\(dir)/local.json")
        let remote = try CLI.run(["test", "--json-cfg", "\(dir)/remote.json", "--measurements", "\(dir)/remote-m.json"])
        #expect(remote.status == 0, "\(remote.stderr)\n\(server.logText)")
        let local = try CLI.run(["test", "--json-cfg", "\(dir)/local.json", "--measurements", "\(dir)/local-m.json"])
        #expect(local.status == 0, "\(local.stderr)")
        let r = try #require(try CLI.json("\(dir)/remote-m.json") as? [String: Any])
        let l = try #require(try CLI.json("\(dir)/local-m.json") as? [String: Any])
        // The same predictions, sample for sample.
        #expect(r["eval_confusion_matrix"] as? [[Int]] == l["eval_confusion_matrix"] as? [[Int]])
        #expect(r["total"] as? Int == l["total"] as? Int)
        let ro = try #require(r["output_samples"] as? [[Double]]), lo = try #require(l["output_samples"] as? [[Double]])
        #expect(zip(ro.joined(), lo.joined()).allSatisfy { abs($0 - $1) < 1e-5 })
        // Timed on the target, with the round trips kept; the target says who it is; resources are the target's.
        #expect(r["inference_step_source"] as? String == "target")
        let target = try #require(r["target_inference_step"] as? [Double]), trips = try #require(r["protocol_inference_step"] as? [Double])
        // Round trips are kept for warm-up inferences too: the measured ones are the last.
        #expect(trips.count >= target.count && target.count > 0)
        #expect(zip(target, trips.suffix(target.count)).allSatisfy { $0 <= $1 }, "a target-side time exceeds its round trip")
        let identity = try #require(r["target"] as? [String: Any])
        #expect(identity["hostname"] as? String != nil && identity["cpu_isa"] != nil && identity["usable_cores"] as? Int != nil)
        #expect(r["host_utilization_cpus_percent"] != nil && r["session_utilization_cpus_percent"] != nil)
        #expect(server.logText.contains("model loaded"))
        let overhead = (trips.suffix(target.count).reduce(0, +) - target.reduce(0, +)) / Double(target.count)
        print("loopback: per-inference protocol overhead \(Int(overhead * 1e6)) µs (round trip of PROCESS minus the target's time)")
    }

    @Test func sharedSecretIsAskedAndChecked() throws {
        let dir = CLI.tempDir()
        try write(serverScenario, "\(dir)/server.json")
        try write("a shared secret of enough bytes\n", "\(dir)/server.secret")
        try write("a wrong secret of enough bytes\n", "\(dir)/wrong.secret")
        let server = try ServerProcess(config: "\(dir)/server.json", args: ["--port", "0", "--secret-file", "\(dir)/server.secret"], dir: dir)
        func run(_ secret: String?) throws -> CLI.Result {
            let extra = secret.map { #", "secret_file": "\#($0)""# } ?? ""
            try write(targetScenario(#"{"type": "NetworkProtocol", "parameters": {"port": \#(server.port), "timeout": 30\#(extra)}}"#), "\(dir)/c.json")
            return try CLI.run(["test", "--json-cfg", "\(dir)/c.json", "--measurements", "\(dir)/m.json"])
        }
        let none = try run(nil)
        #expect(none.status == 1 && none.stderr.contains("authentication required") && none.stderr.contains("secret_file"), "\(none.stderr)")
        let wrong = try run("\(dir)/wrong.secret")
        #expect(wrong.status == 1 && wrong.stderr.contains("authentication failed"), "\(wrong.stderr)")
        let right = try run("\(dir)/server.secret")
        #expect(right.status == 0, "\(right.stderr)\n\(server.logText)")
        #expect(server.logText.contains("authentication failed") && server.logText.contains("client authenticated"))
    }

    @Test func hostileClientsGetFailNotACrash() throws {
        let dir = CLI.tempDir()
        try write(serverScenario, "\(dir)/server.json")
        let server = try ServerProcess(config: "\(dir)/server.json", args: ["--port", "0", "--max-model-mb", "0", "--idle-timeout", "2"], dir: dir)
        // An oversize model is refused as it arrives, with the cap in the message.
        try write(targetScenario(#"{"type": "NetworkProtocol", "parameters": {"port": \#(server.port), "timeout": 30}}"#), "\(dir)/c.json")
        let big = try CLI.run(["test", "--json-cfg", "\(dir)/c.json", "--measurements", "\(dir)/m.json"])
        #expect(big.status == 1 && big.stderr.contains("MODEL transmission exceeds 0 bytes"), "\(big.stderr)")
        // Garbage: a frame of an unknown type gets LOGS and a STATUS failure, then the connection is closed.
        let garbage = try ByteStream(host: "127.0.0.1", port: server.port, timeout: 5)
        #expect(try garbage.read(1, timeout: 5) == [0])
        try garbage.write([0x3F, 0, 0, 0, 0, 0, 0x30, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 64), timeout: 5)
        var reply: [UInt8] = []
        while let more = try? garbage.readSome(timeout: 5) { reply += more }
        var decoder = RequestDecoder()
        let events = decoder.feed(reply)
        #expect(events.count == 2, "\(reply)")
        if case let .transmission(logs) = events.first { #expect(ServerSession.logLines(logs.payload).first?.contains("unknown message type 63") == true) }
        // One client at a time: a second one hears why and from whom, and is disconnected.
        let first = try ByteStream(host: "127.0.0.1", port: server.port, timeout: 5)
        #expect(try first.read(1, timeout: 5) == [0])
        let second = try ByteStream(host: "127.0.0.1", port: server.port, timeout: 5)
        var busy: [UInt8] = []
        while let more = try? second.readSome(timeout: 5) { busy += more }
        #expect(busy.first == 0)
        var busyDecoder = RequestDecoder()
        let busyEvents = busyDecoder.feed(Array(busy.dropFirst()))
        if case let .transmission(logs) = busyEvents.first { #expect(ServerSession.logLines(logs.payload).first?.hasPrefix("busy:") == true) }
        if case let .transmission(status) = busyEvents.last { #expect(status.type == .status && status.flags.contains(.fail)) }
        // An idle client is disconnected after --idle-timeout.
        let t0 = Date()
        #expect(throws: ByteStream.Failure.self) { _ = try first.read(1, timeout: 10) }
        #expect(Date().timeIntervalSince(t0) < 5)
        // The server is still up and serving.
        #expect(server.process.isRunning)
        let after = try ByteStream(host: "127.0.0.1", port: server.port, timeout: 5)
        #expect(try after.read(1, timeout: 5) == [0])
        #expect(server.logText.contains("malformed message") && server.logText.contains("refused, busy with") && server.logText.contains("idle for 2 s"))
    }

    @Test func optimizersWithLocationTargetRunOnTheServer() throws {
        let dir = CLI.tempDir()
        try write(serverScenario, "\(dir)/server.json")
        let server = try ServerProcess(config: "\(dir)/server.json", args: ["--port", "0"], dir: dir)
        let proto = #"{"type": "NetworkProtocol", "parameters": {"port": \#(server.port), "timeout": 60}}"#
        func scenario(_ location: String, _ out: String, proto: String) -> String {
            targetScenario(proto).replacingOccurrences(of: #""runtime":"#, with: """
                "optimizers": [{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": "\(dir)/\(out).onnx", "location": "\(location)"}}],
                "runtime":
                """)
        }
        // Kenning's flow: OPTIMIZERS, UNOPTIMIZED_MODEL, OPTIMIZE_MODEL on the target; the model comes back to the
        // optimizer's compiled_model_path and is then measured there.
        try write(scenario("target", "there", proto: proto), "\(dir)/there.json")
        let there = try CLI.run(["optimize", "test", "--json-cfg", "\(dir)/there.json", "--measurements", "\(dir)/there-m.json"])
        #expect(there.status == 0, "\(there.stderr)\n\(server.logText)")
        #expect(server.logText.contains("optimizers: NativeGraphOptimizer") && server.logText.contains("optimized with NativeGraphOptimizer"))
        let m = try #require(try CLI.json("\(dir)/there-m.json") as? [String: Any])
        #expect((m["protocol_model_optimization"] as? [Double])?.count == 1)
        #expect(((m["optimizers"] as? [[String: Any]])?.first?["location"] as? String) == "target", "\(m["optimizers"] ?? "none")")
        #expect(m["inference_step_source"] as? String == "target")
        // The same optimizer on the host writes the same bytes.
        try write(scenario("host", "here", proto: "null"), "\(dir)/here.json")
        let here = try CLI.run(["optimize", "--json-cfg", "\(dir)/here.json"])
        #expect(here.status == 0, "\(here.stderr)")
        let a = FileManager.default.contents(atPath: "\(dir)/there.onnx"), b = FileManager.default.contents(atPath: "\(dir)/here.onnx")
        #expect(a != nil && a == b)
        // A target optimizer with nothing to reach a target is a config error, named where it is.
        try write(scenario("target", "nowhere", proto: "null"), "\(dir)/nowhere.json")
        let nowhere = try CLI.run(["optimize", "test", "--json-cfg", "\(dir)/nowhere.json", "--measurements", "\(dir)/nowhere-m.json"])
        #expect(nowhere.status == 2 && nowhere.stderr.contains("$.optimizers[0].parameters.location") && nowhere.stderr.contains("set location to"),
                "\(nowhere.stderr)")
        // In a search: the target-located step goes to the server, the host-located one stays here; both are measured.
        try write(fineTuneConfig(optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/ft.onnx"], "location": ["host", "target"]}}]"#,
                                 runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/ft-run.onnx"]}}]"#,
                                 dataset: #"{"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits", "reduce_dataset": 0.3}}"#,
                                 extra: #""measurement": {"min_time": 0.3, "max_time": 1.0}, "protocol": \#(proto),"#), "\(dir)/ft.json")
        let before = server.logText.components(separatedBy: "optimized with").count
        let ft = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/ft.json", "--output", "\(dir)/ft-out.json"])
        #expect(ft.status == 0, "\(ft.stderr)\n\(server.logText)")
        let results = try #require(try CLI.json("\(dir)/ft-out_all_results.json") as? [[String: Any]])
        #expect(results.count == 2 && results.allSatisfy { $0["status"] as? String == "ok" }, "\(results.map { $0["status"] ?? "" })")
        #expect(server.logText.components(separatedBy: "optimized with").count == before + 1)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/socat"), "socat is not installed (scripts/test installs it)"))
    func uartOverAPseudoTerminalPair() throws {
        let dir = CLI.tempDir()
        let socat = Process()
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        socat.arguments = ["pty,raw,echo=0,link=\(dir)/target-tty", "pty,raw,echo=0,link=\(dir)/host-tty"]
        socat.standardError = FileHandle.nullDevice
        try socat.run()
        defer { kill(socat.processIdentifier, SIGKILL) }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: "\(dir)/host-tty") { usleep(20_000) }
        try write(#"{"runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "unused.onnx"}}, "protocol": {"type": "UARTProtocol", "parameters": {"port": "\#(dir)/target-tty", "baudrate": 115200}}}"#,
                  "\(dir)/server.json")
        let server = try ServerProcess(config: "\(dir)/server.json", dir: dir)
        #expect(server.address == "\(dir)/target-tty")
        try write(targetScenario(#"{"type": "UARTProtocol", "parameters": {"port": "\#(dir)/host-tty", "baudrate": 115200, "timeout": 30}}"#)
            .replacingOccurrences(of: #""dataset_root": "data/digits"}"#, with: #""dataset_root": "data/digits", "reduce_dataset": 0.2}"#), "\(dir)/c.json")
        let r = try CLI.run(["test", "--json-cfg", "\(dir)/c.json", "--measurements", "\(dir)/m.json"])
        #expect(r.status == 0, "\(r.stderr)\n\(server.logText)")
        let m = try #require(try CLI.json("\(dir)/m.json") as? [String: Any])
        #expect(m["inference_step_source"] as? String == "target")
        #expect((m["total"] as? Int ?? 0) > 0)
        #expect(server.logText.contains("the client ended the session"))
    }
}

/// Whether this process may create network namespaces (root and iproute2).
let canUseNetns = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset")

/// Runs a command and returns its exit status.
@discardableResult
func sh(_ args: [String]) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: args[0])
    p.arguments = Array(args.dropFirst())
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try? p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

/// Two targets on their own network hosts (namespaces joined to a host namespace by veth pairs), one limited to one CPU.
@Suite(.serialized) struct TwoTargetSearch {
    @Test(.enabled(if: canUseNetns, "needs root, ip (iproute2) and taskset to create network namespaces"))
    func everyCandidateOnBothTargetsAndAKilledServerLosesOnlyItsRun() throws {
        let dir = CLI.tempDir()
        let tag = String(getpid() % 10000)
        let host = "kh\(tag)", a = "ka\(tag)", b = "kb\(tag)"
        let ip = "/usr/sbin/ip"
        defer { for ns in [host, a, b] { sh([ip, "netns", "del", ns]) } }
        for ns in [host, a, b] {
            #expect(sh([ip, "netns", "add", ns]) == 0)
            sh([ip, "-n", ns, "link", "set", "lo", "up"])
        }
        for (i, ns) in [a, b].enumerated() {
            let h = "vh\(tag)\(i)", t = "vt\(tag)\(i)"
            #expect(sh([ip, "link", "add", h, "netns", host, "type", "veth", "peer", "name", t, "netns", ns]) == 0)
            sh([ip, "-n", host, "addr", "add", "10.77.\(i + 1).1/24", "dev", h])
            sh([ip, "-n", ns, "addr", "add", "10.77.\(i + 1).2/24", "dev", t])
            sh([ip, "-n", host, "link", "set", h, "up"])
            sh([ip, "-n", ns, "link", "set", t, "up"])
        }
        try "the shared secret of this test run\n".write(toFile: "\(dir)/s.secret", atomically: true, encoding: .utf8)
        try serverScenario.write(toFile: "\(dir)/server.json", atomically: true, encoding: .utf8)
        func start(_ ns: String, _ i: Int, one cpu: Bool, name: String) throws -> ServerProcess {
            try ServerProcess(config: "\(dir)/server.json", args: ["--host", "10.77.\(i + 1).2", "--port", "12345", "--secret-file", "\(dir)/s.secret"],
                              wrapper: [ip, "netns", "exec", ns] + (cpu ? ["/usr/bin/taskset", "-c", "0"] : []), dir: dir, name: name)
        }
        let serverA = try start(a, 0, one: false, name: "a")
        var serverB = try start(b, 1, one: true, name: "b")
        func target(_ name: String, _ i: Int) -> String {
            #"{"name": "\#(name)", "protocol": {"type": "NetworkProtocol", "parameters": {"host": "10.77.\#(i + 1).2", "port": 12345, "timeout": 30, "secret_file": "\#(dir)/s.secret"}}, "platform": {"type": "BoardPlatform", "parameters": {"display_name": "device \#(name)"}}}"#
        }
        let config = fineTuneConfig(runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/m.onnx"], "backend": ["reference", "openblas", "onednn"]}}]"#,
                                    extra: #""measurement": {"min_time": 0.6, "max_time": 1.0}, "targets": [\#(target("a", 0)), \#(target("b", 1))],"#)
        try config.write(toFile: "\(dir)/ft.json", atomically: true, encoding: .utf8)
        // The search runs in the host namespace; server B is killed by its process id while it measures its second run.
        let search = Process()
        search.executableURL = URL(fileURLWithPath: ip)
        search.arguments = ["netns", "exec", host, CLI.binary, "fine-tune-optimizers", "--json-cfg", "\(dir)/ft.json", "--output", "\(dir)/out/best.json"]
        search.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        search.standardOutput = FileHandle.nullDevice
        search.standardError = FileHandle.nullDevice
        try search.run()
        var killed = false
        for _ in 0..<600 where search.isRunning {
            if !killed, serverB.logText.components(separatedBy: "model loaded").count - 1 >= 2 {
                serverB.kill()
                killed = true
                serverB = try start(b, 1, one: true, name: "b2")
            }
            usleep(50_000)
        }
        search.waitUntilExit()
        #expect(killed)
        let rows = try #require(try CLI.json("\(dir)/out/best_all_results.json") as? [[String: Any]])
        func name(_ r: [String: Any]) -> String? { (r["pipeline"] as? [String: Any])?["target_name"] as? String }
        let onA = rows.filter { name($0) == "a" }, onB = rows.filter { name($0) == "b" }
        // Every candidate on both targets; on A all measured; on B only the in-flight run lost.
        #expect(onA.count == onB.count && onA.count >= 4)
        #expect(onA.allSatisfy { $0["status"] as? String == "ok" }, "\(onA.map { $0["status"] ?? "" })")
        #expect(onB.filter { $0["status"] as? String == "target_lost" }.count == 1, "\(onB.map { ($0["status"] ?? "", $0["reason"] ?? "") })")
        #expect(onB.filter { $0["status"] as? String == "ok" }.count == onB.count - 1)
        // Each target's identity, and a pick per target.
        func cores(_ r: [String: Any]) -> Int? { ((r["target"] as? [String: Any])?["identity"] as? [String: Any])?["usable_cores"] as? Int }
        #expect(cores(onB.first { $0["status"] as? String == "ok" } ?? [:]) == 1)
        #expect(cores(onA[0]) == ProcessInfo.processInfo.activeProcessorCount)
        let best = try #require(try CLI.json("\(dir)/out/best.json") as? [String: Any])
        let perTarget = try #require(best["best_per_target"] as? [String: Any])
        #expect(Set(perTarget.keys) == ["a", "b"])
        // --resume measures the lost run again; the others come from the journal.
        let resumed = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/ft.json", "--output", "\(dir)/out/best.json", "--resume"],
                                  wrapper: [ip, "netns", "exec", host])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let again = try #require(try CLI.json("\(dir)/out/best_all_results.json") as? [[String: Any]])
        #expect(again.allSatisfy { $0["status"] as? String == "ok" }, "\(again.map { $0["status"] ?? "" })")
        _ = serverA
        // The network path's cost across namespaces, for the record.
        if let m = try? CLI.json("\(dir)/out/best_0.json") as? [String: Any], let t = m["target_inference_step"] as? [Double],
           let p = m["protocol_inference_step"] as? [Double], !t.isEmpty {
            let trips: Double = p.suffix(t.count).reduce(0, +), own: Double = t.reduce(0, +)
            let micros = Int((trips - own) / Double(t.count) * 1e6)
            print("namespaces: per-inference protocol overhead \(micros) µs")
        }
    }
}
