/// Why bytes on the wire are not a valid Kenning runtime-protocol message.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case shortHeader(Int)
    case unknownMessageType(UInt64)
    case payloadWithoutFlag(UInt32)
    case payloadTooLarge(UInt32, limit: Int)
    case transmissionTooLarge(MessageType, limit: Int)
    case notFirst(MessageType)
    case typeChanged(from: MessageType, to: MessageType)
    case badChecksum

    public var description: String {
        switch self {
        case let .shortHeader(n): return "a message header needs \(KenningProtocol.headerSize) bytes, got \(n)"
        case let .unknownMessageType(t): return "unknown message type \(t)"
        case let .payloadWithoutFlag(n): return "header announces \(n) payload bytes without the HAS_PAYLOAD flag"
        case let .payloadTooLarge(n, limit): return "a message announces \(n) payload bytes (more than \(limit))"
        case let .transmissionTooLarge(t, limit): return "a \(t) transmission exceeds \(limit) bytes"
        case let .notFirst(t): return "a \(t) transmission does not start with a FIRST message"
        case let .typeChanged(a, b): return "a \(b) message arrived inside a \(a) transmission"
        case .badChecksum: return "checksum mismatch"
        }
    }
}
