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
