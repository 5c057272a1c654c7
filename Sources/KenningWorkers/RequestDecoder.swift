/// Turns bytes as they arrive into whole transmissions: headers checked, payloads capped, FIRST…LAST joined.
///
/// Push-based, so the same code serves a socket, a serial line and the fuzzer. After a violation the stream's framing
/// cannot be trusted: the decoder reports it once and stays failed.
public struct RequestDecoder: Sendable {
    public enum Event: Equatable, Sendable {
        case transmission(Transmission)
        case violation(ProtocolError)
    }

    private var pending: [UInt8] = []
    private var start = 0
    private var header: MessageHeader?
    private var assembler: Reassembler
    private let maxMessagePayload: Int
    public private(set) var failed = false

    /// `maxMessagePayload` caps one message's payload; `limit` caps a whole transmission of each type.
    public init(maxMessagePayload: Int = KenningProtocol.largestMessageSize - KenningProtocol.headerSize,
                limit: @escaping @Sendable (MessageType) -> Int = { _ in .max }) {
        self.maxMessagePayload = maxMessagePayload
        assembler = Reassembler(limit: limit)
    }

    /// Whether part of a message has arrived and the rest has not.
    public var inMessage: Bool { header != nil || start < pending.count }

    /// Feeds bytes; returns the transmissions they complete, in order, or the violation that stopped decoding.
    public mutating func feed(_ bytes: [UInt8]) -> [Event] {
        guard !failed else { return [] }
        if start > 0, start == pending.count { pending.removeAll(keepingCapacity: true); start = 0 }
        pending += bytes
        var events: [Event] = []
        while true {
            if header == nil {
                guard pending.count - start >= KenningProtocol.headerSize else { break }
                do {
                    header = try MessageHeader(decoding: pending[start..<(start + KenningProtocol.headerSize)], maxPayload: maxMessagePayload)
                } catch {
                    return fail(error, after: events)
                }
                start += KenningProtocol.headerSize
            }
            guard let h = header, pending.count - start >= Int(h.payloadSize) else { break }
            let payload = Array(pending[start..<(start + Int(h.payloadSize))])
            start += Int(h.payloadSize)
            header = nil
            do {
                if let t = try assembler.add(Message(header: h, payload: payload)) { events.append(.transmission(t)) }
            } catch {
                return fail(error, after: events)
            }
        }
        if start > 1 << 20 {
            pending.removeSubrange(0..<start)
            start = 0
        }
        return events
    }

    private mutating func fail(_ e: ProtocolError, after events: [Event]) -> [Event] {
        failed = true
        pending = []
        start = 0
        return events + [.violation(e)]
    }
}
