/// A `protocol` block: where a scenario's model is measured when it is not this machine, and how long to wait for it.
public protocol TargetProtocol: Sendable {
    var link: TargetLink { get }
    /// Seconds to wait for any answer from the target; nil waits forever (Kenning's `timeout: -1`).
    var timeout: Double? { get }
    /// The largest message this side sends, header included.
    var maxMessageSize: Int { get }
    /// Bytes asked of the transport per read (Kenning's `packet_size`).
    var packetSize: Int { get }
    /// A file holding the shared secret the target's server asks for (never sent: a challenge is answered with it).
    var secretFile: String? { get }
}
