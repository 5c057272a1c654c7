/// Kenning's runtime protocol, as bytes on the wire (little-endian throughout).
///
/// A message is a 12-byte header and an optional payload:
///
/// | bytes | field |
/// |---|---|
/// | 0–4 | 40-bit word: bits 0–37 message type, bits 38–39 flow control |
/// | 5 | checksum: `0x4B` xor every other byte of the message (sent as 0 unless error recovery is on) |
/// | 6–7 | flags |
/// | 8–11 | payload size |
///
/// A payload longer than fits in one message is split into several, the first marked `first`, the last `last`
/// (one message carries both); no message exceeds ``KenningProtocol/maxMessageSize`` bytes, header included.
public enum KenningProtocol {
    public static let headerSize = 12
    public static let maxMessageSize = 1024
    public static let checksumSeed: UInt8 = 0x4B
    static let typeMask: UInt64 = (1 << 38) - 1
}

public enum MessageType: UInt64, Sendable, CaseIterable, CustomStringConvertible {
    case ping = 0, status, data, model, process, output, stats, ioSpec, traceData, optimizers, optimizeModel, runtime,
         unoptimizedModel, logs

    public var description: String {
        switch self {
        case .ping: return "PING"
        case .status: return "STATUS"
        case .data: return "DATA"
        case .model: return "MODEL"
        case .process: return "PROCESS"
        case .output: return "OUTPUT"
        case .stats: return "STATS"
        case .ioSpec: return "IO_SPEC"
        case .traceData: return "TRACE_DATA"
        case .optimizers: return "OPTIMIZERS"
        case .optimizeModel: return "OPTIMIZE_MODEL"
        case .runtime: return "RUNTIME"
        case .unoptimizedModel: return "UNOPTIMIZED_MODEL"
        case .logs: return "LOGS"
        }
    }
}

public enum FlowControl: UInt8, Sendable {
    case request = 0, requestRetransmit, acknowledge, transmission
}

public struct MessageFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = MessageFlags(rawValue: 1 << 0)
    public static let fail = MessageFlags(rawValue: 1 << 1)
    public static let isHostMessage = MessageFlags(rawValue: 1 << 2)
    public static let hasPayload = MessageFlags(rawValue: 1 << 3)
    public static let first = MessageFlags(rawValue: 1 << 4)
    public static let last = MessageFlags(rawValue: 1 << 5)
    public static let isKenning = MessageFlags(rawValue: 1 << 6)
    public static let isZephyr = MessageFlags(rawValue: 1 << 7)
    public static let specFlag1 = MessageFlags(rawValue: 1 << 12)
    public static let specFlag2 = MessageFlags(rawValue: 1 << 13)
    public static let specFlag3 = MessageFlags(rawValue: 1 << 14)
    public static let specFlag4 = MessageFlags(rawValue: 1 << 15)
    /// IO_SPEC only: the payload is the binary (serialized) IO spec.
    public static let serialized = specFlag1
}

/// What the server reports doing, in the one-byte payload of a status reply.
public enum ServerAction: UInt8, Sendable, CaseIterable {
    case waitingForClient = 0, clientConnected, uploadingIOSpec, uploadingModel, uploadingUnoptimizedModel, uploadingInput,
         processingInput, extractingOutput, computingStatistics, optimizingModel, uploadingOptimizers, uploadingRuntime, idle

    /// The action a server reports for a request of `type`.
    public static func expected(for type: MessageType) -> ServerAction {
        switch type {
        case .ioSpec: return .uploadingIOSpec
        case .model: return .uploadingModel
        case .unoptimizedModel: return .uploadingUnoptimizedModel
        case .data: return .uploadingInput
        case .process: return .processingInput
        case .output: return .extractingOutput
        case .stats: return .computingStatistics
        case .optimizeModel: return .optimizingModel
        case .optimizers: return .uploadingOptimizers
        case .runtime: return .uploadingRuntime
        case .ping: return .clientConnected
        case .status, .traceData, .logs: return .idle
        }
    }
}

public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case shortHeader(Int)
    case unknownMessageType(UInt64)
    case payloadWithoutFlag(UInt32)
    case payloadTooLarge(UInt32)
    case notFirst(MessageType)
    case typeChanged(from: MessageType, to: MessageType)
    case badChecksum

    public var description: String {
        switch self {
        case let .shortHeader(n): return "a message header needs \(KenningProtocol.headerSize) bytes, got \(n)"
        case let .unknownMessageType(t): return "unknown message type \(t)"
        case let .payloadWithoutFlag(n): return "header announces \(n) payload bytes without the HAS_PAYLOAD flag"
        case let .payloadTooLarge(n): return "a message announces \(n) payload bytes (more than \(KenningProtocol.maxMessageSize - KenningProtocol.headerSize))"
        case let .notFirst(t): return "a \(t) transmission does not start with a FIRST message"
        case let .typeChanged(a, b): return "a \(b) message arrived inside a \(a) transmission"
        case .badChecksum: return "checksum mismatch"
        }
    }
}

public struct MessageHeader: Equatable, Sendable {
    public var type: MessageType
    public var flow: FlowControl
    public var checksum: UInt8
    public var flags: MessageFlags
    public var payloadSize: UInt32

    public init(type: MessageType, flow: FlowControl, flags: MessageFlags, payloadSize: UInt32, checksum: UInt8 = 0) {
        self.type = type
        self.flow = flow
        self.checksum = checksum
        self.flags = flags
        self.payloadSize = payloadSize
    }

    public var bytes: [UInt8] {
        let word = (type.rawValue & KenningProtocol.typeMask) | (UInt64(flow.rawValue) << 38)
        var out = (0..<5).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
        out.append(checksum)
        out.append(UInt8(truncatingIfNeeded: flags.rawValue))
        out.append(UInt8(truncatingIfNeeded: flags.rawValue >> 8))
        out += (0..<4).map { UInt8(truncatingIfNeeded: payloadSize >> (8 * $0)) }
        return out
    }

    public init(decoding b: some Collection<UInt8>) throws(ProtocolError) {
        let b = Array(b)
        guard b.count == KenningProtocol.headerSize else { throw .shortHeader(b.count) }
        var word: UInt64 = 0
        for i in 0..<5 { word |= UInt64(b[i]) << (8 * UInt64(i)) }
        guard let type = MessageType(rawValue: word & KenningProtocol.typeMask) else { throw .unknownMessageType(word & KenningProtocol.typeMask) }
        self.type = type
        flow = FlowControl(rawValue: UInt8((word >> 38) & 3))!
        checksum = b[5]
        flags = MessageFlags(rawValue: UInt16(b[6]) | UInt16(b[7]) << 8)
        payloadSize = UInt32(b[8]) | UInt32(b[9]) << 8 | UInt32(b[10]) << 16 | UInt32(b[11]) << 24
        if payloadSize > 0, !flags.contains(.hasPayload) { throw .payloadWithoutFlag(payloadSize) }
        if payloadSize > UInt32(KenningProtocol.maxMessageSize - KenningProtocol.headerSize) { throw .payloadTooLarge(payloadSize) }
    }
}

/// One message: a header and its payload piece.
public struct Message: Equatable, Sendable {
    public var header: MessageHeader
    public var payload: [UInt8]

    public var bytes: [UInt8] { header.bytes + payload }

    /// The checksum byte for `bytes` (byte 5 ignored).
    public static func checksum(of bytes: [UInt8]) -> UInt8 {
        var c = KenningProtocol.checksumSeed
        for (i, b) in bytes.enumerated() where i != 5 { c ^= b }
        return c
    }

    /// Whether the whole message XORs to `0x4B` (only meaningful when the sender had error recovery on).
    public var checksumValid: Bool {
        var all = bytes
        let c = all[5]
        all[5] = 0
        return Message.checksum(of: all) == c
    }

    /// Splits `payload` into messages of at most `maxMessageSize` bytes, marked FIRST…LAST.
    public static func split(type: MessageType, flow: FlowControl, flags: MessageFlags, payload: [UInt8],
                             maxMessageSize: Int = KenningProtocol.maxMessageSize, errorRecovery: Bool = false) -> [Message]
    {
        let chunk = max(1, maxMessageSize - KenningProtocol.headerSize)
        let starts = payload.isEmpty ? [0] : Array(stride(from: 0, to: payload.count, by: chunk))
        return starts.enumerated().map { i, start in
            let piece = Array(payload[start..<min(start + chunk, payload.count)])
            var f = flags
            if i == 0 { f.insert(.first) }
            if i == starts.count - 1 { f.insert(.last) }
            if !piece.isEmpty { f.insert(.hasPayload) }
            var m = Message(header: MessageHeader(type: type, flow: flow, flags: f, payloadSize: UInt32(piece.count)), payload: piece)
            if errorRecovery { m.header.checksum = checksum(of: m.bytes) }
            return m
        }
    }
}

/// A whole transmission after reassembly.
public struct Transmission: Equatable, Sendable {
    public var type: MessageType
    public var flow: FlowControl
    public var flags: MessageFlags
    public var payload: [UInt8]
}

/// Joins FIRST…LAST messages back into one transmission.
public struct Reassembler: Sendable {
    private var current: (type: MessageType, flow: FlowControl, flags: MessageFlags)?
    private var payload: [UInt8] = []

    public init() {}

    /// Feeds one message; returns the transmission when this message completes it.
    public mutating func add(_ m: Message) throws(ProtocolError) -> Transmission? {
        if let c = current {
            guard m.header.type == c.type else { throw .typeChanged(from: c.type, to: m.header.type) }
        } else {
            guard m.header.flags.contains(.first) else { throw .notFirst(m.header.type) }
            current = (m.header.type, m.header.flow, m.header.flags)
            payload = []
        }
        payload += m.payload
        guard m.header.flags.contains(.last), let c = current else { return nil }
        current = nil
        return Transmission(type: c.type, flow: c.flow, flags: c.flags.subtracting([.first, .last]).union(m.header.flags.intersection([.success, .fail])),
                            payload: payload)
    }
}
