/// The 12-byte header of a Kenning runtime-protocol message: type, flow control, checksum, flags and payload size.
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

    /// Decodes a header; a payload above `maxPayload` bytes is refused before it is read.
    public init(decoding b: some Collection<UInt8>,
                maxPayload: Int = KenningProtocol.largestMessageSize - KenningProtocol.headerSize) throws(ProtocolError) {
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
        if UInt64(payloadSize) > UInt64(max(0, maxPayload)) { throw .payloadTooLarge(payloadSize, limit: maxPayload) }
    }
}
