import Foundation
import KenningCore

/// A running framework worker with an open protocol connection. Owned by one task; stopped on `stop()` or deinit.
public final class FrameworkWorker {
    public let framework: String
    public let process: WorkerProcess
    let client: ProtocolClient
    public let timeouts: WorkerTimeouts
    private var failed = false
    /// The pool slot this worker belongs to (nil: a private worker, stopped with this object).
    private var lease: WorkerPool.Lease?
    /// The record path of this worker's pool slot, which names what the slot keeps between runs; nil for a private worker.
    public var poolSlot: String? { lease?.recordPath }
    private var stopped = false

    /// Starts `python -m kenning_worker --framework F`, connects, reads the greeting and PINGs it. With a `poolKey`
    /// (the framework and any process-wide settings the worker's runtime applies) and a ``WorkerPool`` in the
    /// environment, a healthy worker a previous run left is adopted instead, and this one is left for the next run;
    /// a slot the pool's owner is still starting ahead is waited for, up to `waitForSlot` seconds.
    public init(framework: String, timeouts: WorkerTimeouts = WorkerTimeouts(), environment: [String: String] = [:],
                poolKey: String? = nil, pool: WorkerPool.Location? = WorkerPool.current, waitForSlot: Double = 60) throws(KenningError) {
        self.framework = framework
        self.timeouts = timeouts
        let lease = poolKey.flatMap { WorkerPool.lease(key: $0, in: pool, wait: waitForSlot) }
        if let lease, let record = lease.record {
            let adopted = WorkerProcess(adopting: record, framework: framework)
            if adopted.isRunning, let client = try? Self.connect(port: record.port, timeout: 2) {
                process = adopted
                self.client = client
                self.lease = lease
                adopted.keepsRunning = true
                return
            }
            adopted.stop(grace: 0)
            unlink(record.logPath)
            lease.forget()
        }
        process = try WorkerProcess(framework: framework, startTimeout: timeouts.start, extraEnvironment: environment,
                                    owner: lease?.owner)
        do {
            client = try Self.connect(port: process.port, timeout: 10)
        } catch let e as ByteStream.Failure {
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
        if let lease {
            lease.publish(process.record)
            process.keepsRunning = true
            self.lease = lease
        }
    }

    /// Connects to a worker's port, reads the greeting and PINGs it.
    private static func connect(port: Int, timeout: Double) throws -> ProtocolClient {
        let client = ProtocolClient(connection: try ByteStream(host: "127.0.0.1", port: port, timeout: timeout))
        client.maxMessageSize = KenningProtocol.workerMessageSize
        do {
            try client.awaitGreeting(timeout: timeout)
            try client.upload(.ping, timeout: timeout)
        } catch {
            client.close()
            throw error
        }
        return client
    }

    deinit { stop() }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        client.close()
        if let lease {
            self.lease = nil
            if !failed, process.isRunning { return }     // back to the pool: it serves the next run from a clean state
            process.keepsRunning = false
            lease.forget()
        }
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
