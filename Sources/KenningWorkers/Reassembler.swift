
/// Joins FIRST…LAST messages back into one transmission.
public struct Reassembler: Sendable {
    private var current: (type: MessageType, flow: FlowControl, flags: MessageFlags)?
    private var payload: [UInt8] = []
    /// The largest whole payload accepted per message type (a server's cap on models and inputs).
    private let limit: @Sendable (MessageType) -> Int

    public init(limit: @escaping @Sendable (MessageType) -> Int = { _ in .max }) {
        self.limit = limit
    }

    /// Feeds one message; returns the transmission when this message completes it.
    public mutating func add(_ m: Message) throws(ProtocolError) -> Transmission? {
        if let c = current {
            guard m.header.type == c.type else { throw .typeChanged(from: c.type, to: m.header.type) }
        } else {
            guard m.header.flags.contains(.first) else { throw .notFirst(m.header.type) }
            current = (m.header.type, m.header.flow, m.header.flags)
            payload = []
        }
        let cap = limit(m.header.type)
        guard payload.count + m.payload.count <= cap else {
            current = nil
            payload = []
            throw .transmissionTooLarge(m.header.type, limit: cap)
        }
        payload += m.payload
        guard m.header.flags.contains(.last), let c = current else { return nil }
        current = nil
        return Transmission(type: c.type, flow: c.flow, flags: c.flags.subtracting([.first, .last]).union(m.header.flags.intersection([.success, .fail])),
                            payload: payload)
    }
}
