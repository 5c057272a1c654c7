/// The server side of Kenning's runtime protocol for one client: decodes requests, keeps them in a valid order,
/// asks an optional shared secret, calls a ``TargetHandler`` and writes Kenning's replies.
///
/// Replies are TRANSMISSIONs flagged IS_KENNING and SUCCESS or FAIL; an upload's payload is one ``ServerAction`` byte,
/// a download's is its data (or the action byte on FAIL). The reason for a FAIL goes first as a LOGS transmission
/// (records of a length byte and up to 255 ASCII bytes), which a Kenning client shows as a server log.
///
/// Authentication (when a secret is set) is an exchange of STATUS requests: an empty one is answered with
/// ``challengeTag`` and a nonce; the next carries HMAC-SHA256(secret, nonce) and is answered SUCCESS or FAIL. Until
/// it succeeds every other request is refused and the connection closed. Without a secret an empty STATUS is answered
/// with the CLIENT_CONNECTED action byte.
public struct ServerSession {
    /// What one call produced: bytes to send, whether to close the connection after them, and lines for the log.
    public struct Step: Sendable {
        public var bytes: [UInt8] = []
        public var close = false
        public var log: [String] = []
    }

    /// The prefix of a challenge: the protocol's name for this exchange and its version.
    public static let challengeTag: [UInt8] = Array("KNAUTH1".utf8)
    public static let nonceSize = 32

    private var decoder: RequestDecoder
    private let maxMessageSize: Int
    /// Makes a nonce, and checks an answer against it; nil: no secret is asked.
    private let auth: (nonce: () -> [UInt8], verify: ([UInt8], [UInt8]) -> Bool)?
    private var nonce: [UInt8]?
    public private(set) var authenticated: Bool
    private var hasIOSpec = false, hasModel = false, hasInput = false, hasOutput = false
    private var hasOptimizers = false, hasUnoptimized = false

    /// `limit` caps each transmission type's whole payload (models, inputs); `maxMessageSize` is the size of the
    /// messages this side sends (Kenning's network default is 1 MiB, its UART one 1024 bytes).
    public init(maxMessageSize: Int = KenningProtocol.largestMessageSize, maxMessagePayload: Int = KenningProtocol.largestMessageSize - KenningProtocol.headerSize,
                limit: @escaping @Sendable (MessageType) -> Int = { _ in .max },
                auth: (nonce: () -> [UInt8], verify: ([UInt8], [UInt8]) -> Bool)? = nil) {
        decoder = RequestDecoder(maxMessagePayload: maxMessagePayload, limit: limit)
        self.maxMessageSize = maxMessageSize
        self.auth = auth
        authenticated = auth == nil
    }

    /// Whether a request has started arriving and not finished (its deadline is running).
    public var inRequest: Bool { decoder.inMessage }

    /// Feeds bytes from the client; returns the replies to send.
    public mutating func feed(_ bytes: [UInt8], handler: any TargetHandler) -> Step {
        var step = Step()
        for event in decoder.feed(bytes) {
            switch event {
            case let .violation(e):
                step.log.append("malformed message: \(e.description); closing the connection")
                step.bytes += fail(.status, .clientConnected, reason: "malformed message: \(e.description)")
                step.close = true
                handler.sessionEnded()
                return step
            case let .transmission(t):
                handle(t, handler: handler, into: &step)
                if step.close { return step }
            }
        }
        return step
    }

    private mutating func handle(_ t: Transmission, handler: any TargetHandler, into step: inout Step) {
        let action = ServerAction.expected(for: t.type)
        guard t.flow == .request else {
            step.log.append("\(t.type) arrived as \(t.flow), not as a request; refused")
            step.bytes += fail(t.type, action, reason: "the server answers requests only; \(t.type) came as \(t.flow)")
            return
        }
        if t.type == .status {
            authenticate(t, into: &step)
            return
        }
        guard authenticated else {
            step.log.append("\(t.type) before authentication; refused and closed")
            step.bytes += fail(t.type, action, reason: "authentication required: this server asks for its shared secret "
                + "(give the client the same secret: the protocol block's secret_file)")
            step.close = true
            return
        }
        do throws(TargetRefusal) {
            switch t.type {
            case .ping:
                if t.flags.contains(.fail) {
                    step.bytes += succeed(.ping, [ServerAction.clientConnected.rawValue])
                    reset(handler)
                    step.log.append("the client ended the session")
                    return
                }
                step.bytes += succeed(.ping, [action.rawValue])
            case .ioSpec:
                try handler.ioSpec(t.payload, serialized: t.flags.contains(.serialized))
                hasIOSpec = true
                hasModel = false; hasInput = false; hasOutput = false
                step.bytes += succeed(.ioSpec, [action.rawValue])
            case .model:
                guard hasIOSpec else { throw TargetRefusal("MODEL before IO_SPEC: send the model's IO specification first") }
                hasModel = false; hasInput = false; hasOutput = false
                try handler.model(t.payload)
                hasModel = true
                step.bytes += succeed(.model, [action.rawValue])
            case .data:
                guard hasModel else { throw TargetRefusal("DATA before a model was loaded: send IO_SPEC and MODEL first") }
                try handler.data(t.payload)
                hasInput = true; hasOutput = false
                step.bytes += succeed(.data, [action.rawValue])
            case .process:
                guard hasInput else { throw TargetRefusal("PROCESS without input: send DATA first") }
                hasOutput = false
                try handler.process()
                hasOutput = true
                step.bytes += succeed(.process, [action.rawValue])
            case .output:
                guard hasOutput else { throw TargetRefusal("OUTPUT before PROCESS: no inference has run on the last input") }
                step.bytes += succeed(.output, try handler.output())
            case .stats:
                step.bytes += succeed(.stats, try handler.stats())
            case .optimizers:
                try handler.optimizers(t.payload)
                hasOptimizers = true
                step.bytes += succeed(.optimizers, [action.rawValue])
            case .unoptimizedModel:
                try handler.unoptimizedModel(t.payload)
                hasUnoptimized = true
                step.bytes += succeed(.unoptimizedModel, [action.rawValue])
            case .optimizeModel:
                guard hasOptimizers, hasUnoptimized else {
                    throw TargetRefusal("OPTIMIZE_MODEL needs OPTIMIZERS and UNOPTIMIZED_MODEL first")
                }
                step.bytes += succeed(.optimizeModel, try handler.optimizeModel())
            case .runtime:
                throw TargetRefusal("RUNTIME (an LLEXT binary for a Zephyr target) is not taken by this server: its runtimes are built in")
            case .traceData, .logs, .status:
                throw TargetRefusal("\(t.type) is not a request this server takes")
            }
        } catch {
            step.log.append("\(t.type) refused: \(error.reason)")
            step.bytes += fail(t.type, action, reason: error.reason)
        }
    }

    private mutating func authenticate(_ t: Transmission, into step: inout Step) {
        guard let auth else {
            step.bytes += succeed(.status, [ServerAction.clientConnected.rawValue])
            return
        }
        if t.payload.isEmpty {
            let n = auth.nonce()
            nonce = n
            step.bytes += succeed(.status, Self.challengeTag + n)
            return
        }
        guard let n = nonce, auth.verify(n, t.payload) else {
            step.log.append(nonce == nil ? "an authentication answer came without a challenge; closing" : "authentication failed; closing")
            step.bytes += fail(.status, .clientConnected, reason: "authentication failed: the shared secret does not match the server's")
            step.close = true
            return
        }
        nonce = nil
        authenticated = true
        step.log.append("client authenticated")
        step.bytes += succeed(.status, [ServerAction.clientConnected.rawValue])
    }

    private mutating func reset(_ handler: any TargetHandler) {
        hasIOSpec = false; hasModel = false; hasInput = false; hasOutput = false
        hasOptimizers = false; hasUnoptimized = false
        handler.sessionEnded()
    }

    func succeed(_ type: MessageType, _ payload: [UInt8]) -> [UInt8] {
        Message.wire(type: type, flow: .transmission, flags: [.success, .isKenning], payload: payload, maxMessageSize: maxMessageSize)
    }

    /// The reason as a LOGS transmission, then the FAIL reply carrying the action byte.
    func fail(_ type: MessageType, _ action: ServerAction, reason: String) -> [UInt8] {
        Self.logs([reason], maxMessageSize: maxMessageSize)
            + Message.wire(type: type, flow: .transmission, flags: [.fail, .isKenning], payload: [action.rawValue], maxMessageSize: maxMessageSize)
    }

    /// A LOGS transmission: each line as a length byte and up to 255 ASCII bytes (longer lines are split).
    public static func logs(_ lines: [String], maxMessageSize: Int = KenningProtocol.largestMessageSize) -> [UInt8] {
        var payload: [UInt8] = []
        for line in lines {
            var ascii = Array(line.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? UInt8($0.value) : UInt8(ascii: "?") })
            repeat {
                let piece = ascii.prefix(255)
                payload.append(UInt8(piece.count))
                payload += piece
                ascii.removeFirst(piece.count)
            } while !ascii.isEmpty
        }
        return Message.wire(type: .logs, flow: .transmission, flags: [.isKenning], payload: payload, maxMessageSize: maxMessageSize)
    }

    /// What a server busy with another client sends a new one before closing: the greeting, the reason as LOGS, and
    /// a STATUS failure (the answer a client sees to its first request).
    public static func busyReply(_ reason: String) -> [UInt8] {
        [0] + logs([reason]) + Message.wire(type: .status, flow: .transmission, flags: [.fail, .isKenning],
                                             payload: [ServerAction.clientConnected.rawValue], maxMessageSize: KenningProtocol.largestMessageSize)
    }

    /// The lines of a LOGS payload (a malformed tail is dropped).
    public static func logLines(_ payload: [UInt8]) -> [String] {
        var lines: [String] = [], i = 0
        while i < payload.count {
            let n = Int(payload[i])
            guard i + 1 + n <= payload.count else { break }
            lines.append(String(decoding: payload[(i + 1)..<(i + 1 + n)], as: UTF8.self))
            i += 1 + n
        }
        return lines
    }
}
