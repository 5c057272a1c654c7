import KenningCore
import KenningWorkers

/// Kenning's TCP protocol: the client side of a scenario measured by a `kenning server` (or Kenning's own server).
public struct NetworkProtocol: TargetProtocol {
    public static let description = BlockDescription(
        kind: .protocol, name: "NetworkProtocol", kenningModule: "kenning.protocols.network",
        summary: "Measures on a target running `kenning server`, over TCP (Kenning's runtime protocol)",
        parameters: [
            ParameterSpec("host", .string, default: "localhost", help: "The target's IPv4 address (the server's --host)"),
            ParameterSpec("port", .integer, default: 12345, range: 1...65535, help: "The target's TCP port"),
            ParameterSpec("packet_size", .integer, default: 4096, range: 1...16_777_216, help: "Bytes asked of the socket per read"),
            ParameterSpec("timeout", .number, default: -1, help: "Seconds to wait for any answer (negative: wait forever)"),
            ParameterSpec("max_message_size", .integer, default: .int(KenningProtocol.largestMessageSize), range: 13...16_777_216,
                          help: "The largest message sent, header included (Kenning's network default: 1 MiB)"),
            ParameterSpec("secret_file", .path, default: .null, nullable: true,
                          help: "A file with the secret the server was started with (--secret-file); required off loopback"),
        ])

    public let link: TargetLink
    public let timeout: Double?
    public let maxMessageSize: Int
    public let packetSize: Int
    public let secretFile: String?

    public init(_ p: ResolvedParameters) throws(KenningError) {
        link = .network(host: p.string("host") ?? "localhost", port: p.int("port"))
        timeout = p.double("timeout") < 0 ? nil : p.double("timeout")
        maxMessageSize = p.int("max_message_size")
        packetSize = p.int("packet_size")
        secretFile = p.string("secret_file")
    }
}
