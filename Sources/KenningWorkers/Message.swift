
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

    /// The wire bytes of `split(…)` without error recovery, written in one pass (no per-message copies).
    public static func wire(type: MessageType, flow: FlowControl, flags: MessageFlags, payload: [UInt8],
                            maxMessageSize: Int = KenningProtocol.maxMessageSize) -> [UInt8]
    {
        let chunk = max(1, maxMessageSize - KenningProtocol.headerSize)
        let count = payload.isEmpty ? 1 : (payload.count + chunk - 1) / chunk
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + count * KenningProtocol.headerSize)
        payload.withUnsafeBufferPointer { all in
            for i in 0..<count {
                let start = i * chunk, end = min(start + chunk, payload.count)
                var f = flags
                if i == 0 { f.insert(.first) }
                if i == count - 1 { f.insert(.last) }
                if end > start { f.insert(.hasPayload) }
                out += MessageHeader(type: type, flow: flow, flags: f, payloadSize: UInt32(end - start)).bytes
                if end > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: all[start..<end])) }
            }
        }
        return out
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
