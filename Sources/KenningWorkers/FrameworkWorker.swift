import Foundation
import KenningCore

/// A running framework worker with an open protocol connection. Owned by one task; stopped on `stop()` or deinit.
public final class FrameworkWorker {
    public let framework: String
    public let process: WorkerProcess
    let client: ProtocolClient
    public let timeouts: WorkerTimeouts
    private var failed = false

    /// Starts `python -m kenning_worker --framework F`, connects, reads the greeting and PINGs it.
    public init(framework: String, timeouts: WorkerTimeouts = WorkerTimeouts(), environment: [String: String] = [:]) throws(KenningError) {
        self.framework = framework
        self.timeouts = timeouts
        process = try WorkerProcess(framework: framework, startTimeout: timeouts.start, extraEnvironment: environment)
        do {
            let connection = try TCPConnection(host: "127.0.0.1", port: process.port, timeout: 10)
            client = ProtocolClient(connection: connection)
            try client.awaitGreeting(timeout: 10)
            try client.upload(.ping, timeout: 10)
        } catch let e as TCPConnection.Failure {
            let err = Self.error(framework: framework, process: process, doing: "connecting", detail: e.description)
            process.stop()
            throw err
        } catch let e as ProtocolClient.Failure {
            let err = Self.error(framework: framework, process: process, doing: "the health check (PING)", detail: e.description)
            process.stop()
            throw err
        } catch {
            process.stop()
            throw .failure("the \(framework) worker: \(error)")
        }
    }

    deinit { stop() }

    public func stop() {
        client.close()
        process.stop()
        if !failed { process.removeLog() }
    }

    static func error(framework: String, process: WorkerProcess, doing: String, detail: String) -> KenningError {
        var what = "the \(framework) worker failed during \(doing): \(detail)"
        // A closed connection usually means the worker just died: give it a moment to be reaped, to say how.
        for _ in 0..<50 where process.isRunning { usleep(20_000) }
        if !process.isRunning { what += " (the worker \(process.exitDescription ?? "exited"))" }
        return .failure(what + process.logTail(), fix: "see the worker log \(process.logPath)")
    }

    private func fail(_ doing: String, _ f: ProtocolClient.Failure) -> KenningError {
        failed = true
        let err: KenningError
        if case let .refused(type, reason) = f {
            err = .failure("the \(framework) worker could not do \(type): \(reason.isEmpty ? "no reason given" : reason)",
                           fix: "see the worker log \(process.logPath)")
        } else {
            err = Self.error(framework: framework, process: process, doing: doing, detail: f.description)
        }
        // A worker that hung, crashed or spoke garbage is not trusted again.
        if case .refused = f {} else { client.close(); process.stop(grace: 0) }
        return err
    }

    public func upload(_ type: MessageType, _ payload: [UInt8] = [], timeout: Double? = nil) throws(KenningError) {
        do { try client.upload(type, payload: payload, timeout: timeout ?? timeouts.request) } catch { throw fail("\(type)", error) }
    }

    public func download(_ type: MessageType, timeout: Double? = nil) throws(KenningError) -> [UInt8] {
        do { return try client.download(type, timeout: timeout ?? timeouts.request) } catch { throw fail("\(type)", error) }
    }

    public func uploadJSON(_ type: MessageType, _ value: JSONValue) throws(KenningError) {
        try upload(type, Array(value.serialized(indent: nil).utf8))
    }

    /// Kenning's IO spec JSON, with the runtime block's settings under the extension key "runtime".
    public static func ioSpecJSON(_ io: IOSpec, runtime: (type: String, parameters: JSONValue)? = nil) -> JSONValue {
        var json = io.json
        if let runtime {
            json = json.setting("runtime", to: .object([("type", .string(runtime.type)), ("parameters", runtime.parameters)]))
        }
        return json
    }
}
