import Foundation
import KenningBlocks
import KenningCore
import KenningWorkers
import Synchronization

/// `kenning server`: serves Kenning's runtime protocol on the scenario's protocol (a TCP port or a serial line) with
/// the scenario's runtime (or the runtime each client's IO specification names).
///
/// One client at a time: another one is told the server is busy, and by whom, and disconnected. Requests are capped
/// in size, a request must arrive whole within `requestTimeout`, and a client idle for `idleTimeout` is disconnected.
/// Off loopback a shared secret is required (``SharedSecret``). A malformed or out-of-order request gets a FAIL reply
/// and a log line; a malformed frame also ends that client's connection, never the server.
public final class TargetServer: Sendable {
    let link: TargetLink
    let bindHost: String
    let secret: SharedSecret?
    let settings: ServerSettings
    let runtime: JSONValue?
    let registry: BlockRegistry
    let workDir: String
    let log: @Sendable (String) -> Void
    private let busyWith = Mutex<String?>(nil)

    public init(scenarioPath: String, settings: ServerSettings, registry: BlockRegistry = .builtIn,
                log: @escaping @Sendable (String) -> Void) throws(KenningError) {
        let doc = try ConfigFile.load(scenarioPath)
        var problems: [Problem] = []
        var runtime: JSONValue?
        if let r = doc["runtime"], r != .null {
            do {
                _ = try BlockConfig.parse(r, kind: .runtime, path: "$.runtime", registry: registry)
                runtime = r
            } catch {
                problems += error.problems
            }
        }
        var proto: (any TargetProtocol)?
        if let p = doc["protocol"], p != .null {
            do {
                let config = try BlockConfig.parse(p, kind: .protocol, path: "$.protocol", registry: registry)
                if case let .protocol(make) = config.entry.maker { proto = try make(config.parameters) }
            } catch {
                problems += error.problems
            }
        } else {
            problems.append(Problem("the server's scenario has no \"protocol\" block", path: "$",
                                    fix: "add \"protocol\": {\"type\": \"NetworkProtocol\", \"parameters\": {\"port\": 12345}}"))
        }
        if !problems.isEmpty { throw KenningError(.badInput, problems).inFile(scenarioPath) }
        let link = proto!.link
        var host = settings.host ?? "127.0.0.1"
        if case let .network(h, port) = link {
            if settings.host == nil, !TCPListener.isLoopback(h) {
                log("the scenario's host \(h) is not used to listen: listening on loopback; pass --host \(h) to listen there")
            }
            self.link = .network(host: host, port: settings.port ?? port)
        } else {
            host = "127.0.0.1"
            self.link = link
        }
        let secretFile = settings.secretFile ?? proto?.secretFile
        if case .network = link, !TCPListener.isLoopback(host), secretFile == nil {
            throw .badInput("listening on \(host), which is not a loopback address, needs a shared secret", file: scenarioPath,
                            fix: "create one (`head -c 32 /dev/urandom | base64 > server.secret`), pass --secret-file server.secret, "
                                + "and give clients the same file as the protocol's secret_file")
        }
        do {
            secret = try secretFile.map { (f: String) throws(ProtocolClient.Failure) -> SharedSecret in try SharedSecret.read(file: f) }
        } catch {
            if case let .refused(_, reason) = error { throw .badInput(reason, file: secretFile) }
            throw .badInput("\(error)", file: secretFile)
        }
        bindHost = host
        self.settings = settings
        self.runtime = runtime
        self.registry = registry
        self.log = log
        if let dir = settings.workDir {
            try Files.ensureWritableDirectory(dir, for: "the server's models")
            workDir = dir
        } else {
            let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("kenning-server-\(getpid())")
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            workDir = dir
        }
    }

    /// Serves until `maxClients` clients have been served (forever when nil). `ready` is told the address listened on.
    public func run(ready: @Sendable (String) -> Void = { _ in }) throws(KenningError) {
        switch link {
        case let .network(_, port):
            let listener: TCPListener
            do {
                listener = try TCPListener(host: bindHost, port: port)
            } catch {
                throw .badInput("\(error.description)", fix: "pick another port (--port) or stop what listens there")
            }
            ready("\(listener.host):\(listener.port)")
            log("listening on \(listener.host):\(listener.port)" + (secret == nil ? "" : " (clients must answer the shared-secret challenge)"))
            serveNetwork(listener)
        case let .uart(port, baud):
            let stream: ByteStream
            do {
                stream = try ByteStream.serial(path: port, baudrate: baud)
            } catch {
                throw .badInput("cannot open the serial line: \(error.description)", fix: "check the protocol's port")
            }
            ready(port)
            log("serving on \(port) at \(baud) baud")
            serveSerial(stream)
        }
    }

    private func serveNetwork(_ listener: TCPListener) {
        let workers = DispatchGroup()
        var served = 0
        while settings.maxClients.map({ served < $0 }) ?? true {
            guard let (stream, peer) = listener.accept(timeout: 1) else { continue }
            if let current = busyWith.withLock({ $0 }) {
                log("\(peer): refused, busy with \(current)")
                try? stream.write(ServerSession.busyReply("busy: this target is measuring for \(current); it serves one client at a time, "
                                                          + "try again when that client disconnects"), timeout: 2)
                stream.close()
                continue
            }
            busyWith.withLock { $0 = peer }
            served += 1
            log("\(peer): connected")
            workers.enter()
            let thread = Thread { [self] in
                serveClient(stream, peer: peer, greet: true)
                // Free before the client sees the close, so a client that reconnects at once is served.
                busyWith.withLock { $0 = nil }
                stream.close()
                workers.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        workers.wait()
    }

    private func serveSerial(_ stream: ByteStream) {
        var served = 0
        while settings.maxClients.map({ served < $0 }) ?? true {
            serveClient(stream, peer: "serial", greet: false)
            served += 1
        }
    }

    private func newSession() -> ServerSession {
        let maxModel = settings.maxModelBytes, maxOther = settings.maxRequestBytes
        let auth = secret.map { s in (nonce: { SharedSecret.nonce() }, verify: { (n: [UInt8], a: [UInt8]) in s.verify(challenge: n, answer: a) }) }
        var maxMessage = KenningProtocol.largestMessageSize
        if case .uart = link { maxMessage = KenningProtocol.maxMessageSize }
        return ServerSession(maxMessageSize: maxMessage, limit: { t in t == .model || t == .unoptimizedModel ? maxModel : maxOther }, auth: auth)
    }

    /// One client's connection, closed by the caller (or, on a serial line, one session: until the line goes quiet, breaks, or the framing is lost).
    private func serveClient(_ stream: ByteStream, peer: String, greet: Bool) {
        let handler = RuntimeTarget(registry: registry, defaultRuntime: runtime, workDir: workDir, log: { [log] in log("\(peer): \($0)") })
        var session = newSession()
        defer { handler.sessionEnded() }
        if greet {
            do { try stream.write([0], timeout: settings.requestTimeout) } catch { return }
        }
        var requestStart: Double?
        while true {
            let now = monotonicSeconds()
            let wait = requestStart.map { settings.requestTimeout - (now - $0) } ?? settings.idleTimeout
            guard wait > 0, stream.waitReadable(timeout: wait) else {
                log(requestStart == nil ? "\(peer): idle for \(Int(settings.idleTimeout)) s; disconnected"
                    : "\(peer): a request did not arrive whole within \(Int(settings.requestTimeout)) s; disconnected")
                return
            }
            let bytes: [UInt8]
            do {
                bytes = try stream.readSome(timeout: 1)
            } catch {
                log("\(peer): disconnected (\(error.description))")
                return
            }
            if requestStart == nil { requestStart = monotonicSeconds() }
            let step = session.feed(bytes, handler: handler)
            for line in step.log { log("\(peer): \(line)") }
            if !step.bytes.isEmpty {
                do {
                    try stream.write(step.bytes, timeout: settings.requestTimeout)
                } catch {
                    log("\(peer): cannot reply (\(error.description)); disconnected")
                        return
                }
            }
            if step.close {
                if greet { return }
                session = newSession()     // a serial line stays: start over with fresh framing
            }
            if !session.inRequest { requestStart = nil }
        }
    }
}
