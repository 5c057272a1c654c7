import KenningCore
import KenningWorkers

/// Kenning's serial protocol: the client side of a board (or a `kenning server --json-cfg` with this block) on a UART.
public struct UARTProtocol: TargetProtocol {
    public static let description = BlockDescription(
        kind: .protocol, name: "UARTProtocol", kenningModule: "kenning.protocols.uart",
        summary: "Measures on a target on a serial line (a board's UART, or a pseudo-terminal), Kenning's runtime protocol",
        parameters: [
            ParameterSpec("port", .path, help: "The serial device (e.g. /dev/ttyUSB0)"),
            ParameterSpec("baudrate", .integer, default: 9600, range: 1...4_000_000, help: "The line's baud rate"),
            ParameterSpec("timeout", .number, default: -1, help: "Seconds to wait for any answer (negative: wait forever)"),
            ParameterSpec("max_message_size", .integer, default: .int(KenningProtocol.maxMessageSize), range: 13...16_777_216,
                          help: "The largest message sent, header included (Kenning's default: 1024)"),
        ])

    public let link: TargetLink
    public let timeout: Double?
    public let maxMessageSize: Int
    public var packetSize: Int { 4096 }
    public var secretFile: String? { nil }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        link = .uart(port: p.string("port") ?? "", baudrate: p.int("baudrate"))
        timeout = p.double("timeout") < 0 ? nil : p.double("timeout")
        maxMessageSize = p.int("max_message_size")
    }
}
