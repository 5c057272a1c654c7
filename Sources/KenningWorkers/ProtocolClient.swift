import Foundation

/// The client side of Kenning's runtime protocol over one byte stream (TCP today; the same requests would drive
/// a remote target or a Kenning inference server).
///
/// Contract: an upload is a REQUEST (with the payload) answered by a TRANSMISSION flagged IS_KENNING and SUCCESS
/// or FAIL whose payload is one ``ServerAction`` byte; OUTPUT, STATS and OPTIMIZE_MODEL answer SUCCESS with the data,
/// or FAIL with the action byte. The reason for a FAIL comes as a LOGS transmission before it (a `kenning server`),
/// or as UTF-8 after the action byte (our framework workers).
public final class ProtocolClient {
    /// Why an exchange with the worker failed.
    public enum Failure: Error, CustomStringConvertible {
        case transport(ByteStream.Failure)
        case protocolViolation(String)
        case refused(MessageType, reason: String)

        public var description: String {
            switch self {
            case let .transport(f): return f.description
            case let .protocolViolation(s): return "protocol violation: \(s)"
            case let .refused(t, reason): return "the server refused \(t)" + (reason.isEmpty ? "" : ": \(reason)")
            }
        }
    }

    let connection: ByteStream
    public var maxMessageSize = KenningProtocol.maxMessageSize
    public var errorRecovery = false
    /// Log lines the server sent (LOGS transmissions), oldest first; the last few explain a refusal.
    public private(set) var serverLogs: [String] = []

    public init(connection: ByteStream) {
        self.connection = connection
    }

    /// Waits for the server's one-byte greeting (0x00) that Kenning's network protocol sends on connect.
    public func awaitGreeting(timeout: Double) throws(Failure) {
        let b: [UInt8]
        do { b = try connection.read(1, timeout: timeout) } catch { throw .transport(error) }
        guard b == [0] else { throw .protocolViolation("expected the 0x00 greeting on connect, got 0x\(String(b[0], radix: 16))") }
    }

    func send(_ type: MessageType, payload: [UInt8], flags: MessageFlags = [], timeout: Double) throws(Failure) {
        let flags = flags.union(.isHostMessage)
        let bytes = errorRecovery
            ? Message.split(type: type, flow: .request, flags: flags, payload: payload, maxMessageSize: maxMessageSize,
                            errorRecovery: true).flatMap(\.bytes)
            : Message.wire(type: type, flow: .request, flags: flags, payload: payload, maxMessageSize: maxMessageSize)
        do { try connection.write(bytes, timeout: timeout) } catch { throw .transport(error) }
    }

    func receive(timeout: Double) throws(Failure) -> Transmission {
        var assembler = Reassembler()
        let deadline = ByteStream.now() + timeout
        while true {
            let left = max(0.001, deadline - ByteStream.now())
            do {
                let header = try MessageHeader(decoding: try connection.read(KenningProtocol.headerSize, timeout: left))
                let payload = header.payloadSize > 0 ? try connection.read(Int(header.payloadSize), timeout: left) : []
                if let t = try assembler.add(Message(header: header, payload: payload)) {
                    if t.type == .logs, t.flow == .transmission {
                        serverLogs += ServerSession.logLines(t.payload)
                        if serverLogs.count > 100 { serverLogs.removeFirst(serverLogs.count - 100) }
                        continue
                    }
                    return t
                }
            } catch let e as ProtocolError {
                throw .protocolViolation(e.description)
            } catch let e as ByteStream.Failure {
                throw .transport(e)
            } catch {
                throw .protocolViolation("\(error)")
            }
        }
    }

    /// Sends a request and returns the reply; checks it answers this request and that it succeeded.
    public func request(_ type: MessageType, payload: [UInt8] = [], flags: MessageFlags = [], timeout: Double) throws(Failure) -> Transmission {
        try send(type, payload: payload, flags: flags, timeout: timeout)
        let logged = serverLogs.count
        let reply: Transmission
        do {
            reply = try receive(timeout: timeout)
        } catch {
            // A server that closes after saying why (busy, authentication) said it in LOGS first.
            if case .transport(.closed) = error, serverLogs.count > logged {
                throw .refused(type, reason: serverLogs[logged...].joined(separator: "; "))
            }
            throw error
        }
        let reason = reply.payload.count > 1 ? String(decoding: reply.payload.dropFirst(), as: UTF8.self)
            : serverLogs[logged...].joined(separator: "; ")
        // A busy server answers the first request of a second client with a STATUS failure.
        if reply.type == .status, type != .status, reply.flags.contains(.fail) { throw .refused(type, reason: reason) }
        guard reply.type == type else { throw .protocolViolation("asked for \(type), got a \(reply.type) reply") }
        guard reply.flow == .transmission else { throw .protocolViolation("\(type) reply has flow control \(reply.flow), expected TRANSMISSION") }
        if reply.flags.contains(.fail) || !reply.flags.contains(.success) { throw .refused(type, reason: reason) }
        return reply
    }

    /// Answers the server's challenge with `secret` (STATUS exchange, see ``ServerSession``). A server without a
    /// secret accepts at once; a server that asks for one when `secret` is nil is refused with what to set.
    public func authenticate(secret: SharedSecret?, timeout: Double) throws(Failure) {
        let challenge = try request(.status, timeout: timeout).payload
        let tag = ServerSession.challengeTag
        guard challenge.count == tag.count + ServerSession.nonceSize, Array(challenge.prefix(tag.count)) == tag else { return }
        guard let secret else {
            throw .refused(.status, reason: "the server asks for a shared secret: set the protocol block's secret_file to a file holding it")
        }
        _ = try request(.status, payload: secret.answer(Array(challenge.dropFirst(tag.count))), timeout: timeout)
    }

    /// An upload (or PROCESS / PING): expects the status byte of the matching ``ServerAction``.
    public func upload(_ type: MessageType, payload: [UInt8] = [], flags: MessageFlags = [], timeout: Double) throws(Failure) {
        let reply = try request(type, payload: payload, flags: flags, timeout: timeout)
        let expected = ServerAction.expected(for: type)
        guard reply.payload.count == 1, reply.payload[0] == expected.rawValue || reply.flags.contains(.isZephyr) else {
            throw .protocolViolation("\(type) status should be the action \(expected) (\(expected.rawValue)), got \(reply.payload.prefix(8))")
        }
    }

    /// A download (OUTPUT, STATS, OPTIMIZE_MODEL): the reply's payload.
    public func download(_ type: MessageType, timeout: Double) throws(Failure) -> [UInt8] {
        try request(type, timeout: timeout).payload
    }

    public func close() { connection.close() }
}
