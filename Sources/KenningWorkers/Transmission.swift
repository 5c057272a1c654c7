
/// A whole transmission after reassembly.
public struct Transmission: Equatable, Sendable {
    public var type: MessageType
    public var flow: FlowControl
    public var flags: MessageFlags
    public var payload: [UInt8]
}
