import KenningCore

/// Kenning's `BareMetalPlatform`: a board on a serial line. Without a `protocol` block the scenario talks to it with
/// `UARTProtocol(uart_port, uart_baudrate, timeout 30)`, as Kenning does. The firmware must already be on the board.
public struct BareMetalPlatform: RecordBackedPlatform {
    public static let description = BlockDescription(
        kind: .platform, name: "BareMetalPlatform", kenningModule: "kenning.platforms.bare_metal",
        summary: "A board running Kenning's runtime protocol on its UART (already flashed)",
        parameters: PlatformRecordSupport.parameters + [
            ParameterSpec("uart_port", .path, default: .null, nullable: true, help: "The board's serial device"),
            ParameterSpec("uart_baudrate", .integer, default: .null, nullable: true, range: 1...4_000_000,
                          help: "The serial line's baud rate (default: the board record's)"),
            ParameterSpec("uart_log_port", .path, default: .null, nullable: true, help: "The board's log serial device (not read)"),
            ParameterSpec("uart_log_baudrate", .integer, default: .null, nullable: true, help: "The log line's baud rate (not read)"),
            ParameterSpec("auto_flash", .boolean, default: false, help: "Flash the firmware first (not available: must be false)"),
            ParameterSpec("openocd_path", .string, default: "openocd", help: "OpenOCD, for auto_flash (not used)"),
            ParameterSpec("sensor", .string, default: .null, nullable: true, help: "A sensor to read inputs from (not available: must be null)"),
            ParameterSpec("number_of_batches", .integer, default: 16, range: 1...1_000_000, help: "Batches read from a sensor"),
        ])

    let record: PlatformRecordSupport
    public var isLocal: Bool { false }
    public let defaultProtocol: (any TargetProtocol)?
    /// Its firmware runs a model; it does not compile one.
    public var runsOptimizers: Bool { false }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        try p.requireDefaults(Self.description.parameters.filter { ["auto_flash", "sensor"].contains($0.name) }, block: "BareMetalPlatform",
                              why: "flashing firmware and reading sensors are not done by swift-kenning; flash the board yourself")
        record = try PlatformRecordSupport(p)
        if let port = p.string("uart_port") {
            let baud = p["uart_baudrate"]?.intValue ?? record.uartBaudrate ?? 9600
            defaultProtocol = try UARTProtocol(ResolvedParameters(values: [("port", .string(port)), ("baudrate", .int(baud)), ("timeout", .double(30)),
                                                                           ("max_message_size", .int(1024))]))
        } else {
            defaultProtocol = nil
        }
    }
}
