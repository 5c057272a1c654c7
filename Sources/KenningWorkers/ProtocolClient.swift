import Foundation

/// The client side of Kenning's runtime protocol over one byte stream (TCP today; the same requests would drive
/// a remote target or a Kenning inference server).
///
/// Contract: an upload is a REQUEST (with the payload) answered by a TRANSMISSION flagged IS_KENNING and SUCCESS
/// or FAIL whose payload is one ``ServerAction`` byte; OUTPUT, STATS and OPTIMIZE_MODEL answer SUCCESS with the data,
/// or FAIL with the action byte. Our workers append a UTF-8 reason after the action byte of a FAIL reply.
public final class ProtocolClient {
    /// Why an exchange with the worker failed.
    public enum Failure: Error, CustomStringConvertible {
        case transport(TCPConnection.Failure)
        case protocolViolation(String)
        case refused(MessageType, reason: String)

        public var description: String {
            switch self {
            case let .transport(f): return f.description
            case let .protocolViolation(s): return "protocol violation: \(s)"
            case let .refused(t, reason): return "the worker refused \(t)" + (reason.isEmpty ? "" : ": \(reason)")
            }
        }
    }

    let connection: TCPConnection
    public var maxMessageSize = KenningProtocol.maxMessageSize
    public var errorRecovery = false

    public init(connection: TCPConnection) {
        self.connection = connection
    }

    /// Waits for the server's one-byte greeting (0x00) that Kenning's network protocol sends on connect.
    public func awaitGreeting(timeout: Double) throws(Failure) {
        let b: [UInt8]
        do { b = try connection.read(1, timeout: timeout) } catch { throw .transport(error) }
        guard b == [0] else { throw .protocolViolation("expected the 0x00 greeting on connect, got 0x\(String(b[0], radix: 16))") }
    }

    func send(_ type: MessageType, payload: [UInt8], timeout: Double) throws(Failure) {
        let bytes = errorRecovery
            ? Message.split(type: type, flow: .request, flags: [.isHostMessage], payload: payload, maxMessageSize: maxMessageSize,
                            errorRecovery: true).flatMap(\.bytes)
            : Message.wire(type: type, flow: .request, flags: [.isHostMessage], payload: payload, maxMessageSize: maxMessageSize)
        do { try connection.write(bytes, timeout: timeout) } catch { throw .transport(error) }
    }

    func receive(timeout: Double) throws(Failure) -> Transmission {
        var assembler = Reassembler()
        let deadline = TCPConnection.now() + timeout
        while true {
            let left = max(0.001, deadline - TCPConnection.now())
            do {
                let header = try MessageHeader(decoding: try connection.read(KenningProtocol.headerSize, timeout: left))
                let payload = header.payloadSize > 0 ? try connection.read(Int(header.payloadSize), timeout: left) : []
                if let t = try assembler.add(Message(header: header, payload: payload)) { return t }
            } catch let e as ProtocolError {
                throw .protocolViolation(e.description)
            } catch let e as TCPConnection.Failure {
                throw .transport(e)
            } catch {
                throw .protocolViolation("\(error)")
            }
        }
    }

    /// Sends a request and returns the reply; checks it answers this request and that it succeeded.
    public func request(_ type: MessageType, payload: [UInt8] = [], timeout: Double) throws(Failure) -> Transmission {
        try send(type, payload: payload, timeout: timeout)
        let reply = try receive(timeout: timeout)
        guard reply.type == type else { throw .protocolViolation("asked for \(type), got a \(reply.type) reply") }
        guard reply.flow == .transmission else { throw .protocolViolation("\(type) reply has flow control \(reply.flow), expected TRANSMISSION") }
        if reply.flags.contains(.fail) || !reply.flags.contains(.success) {
            let reason = reply.payload.count > 1 ? String(decoding: reply.payload.dropFirst(), as: UTF8.self) : ""
            throw .refused(type, reason: reason)
        }
        return reply
    }

    /// An upload (or PROCESS / PING): expects the status byte of the matching ``ServerAction``.
    public func upload(_ type: MessageType, payload: [UInt8] = [], timeout: Double) throws(Failure) {
        let reply = try request(type, payload: payload, timeout: timeout)
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
