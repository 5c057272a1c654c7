/// How the host reaches a target that runs the model (Kenning's `protocol` block, as a value).
public enum TargetLink: Sendable, Equatable, CustomStringConvertible {
    /// TCP to a `kenning server` (Kenning's `NetworkProtocol`): the server greets each client with one 0x00 byte.
    case network(host: String, port: Int)
    /// A serial line to a board (Kenning's `UARTProtocol`): a session starts with PING+SUCCESS and ends with PING+FAIL.
    case uart(port: String, baudrate: Int)

    public var description: String {
        switch self {
        case let .network(host, port): return "\(host):\(port)"
        case let .uart(port, baud): return "\(port) at \(baud) baud"
        }
    }
}
