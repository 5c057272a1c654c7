import KenningCore

/// What every platform block shares: the board's name, the definitions it is looked up in, and explicit values that
/// override the record (Kenning's precedence: parameters, then later files, then earlier ones).
struct PlatformRecordSupport: Sendable {
    let name: String?
    let displayName: String?
    let ramBytes: Int?
    let flashBytes: Int?
    let cpu: String?
    let uartBaudrate: Int?

    static let parameters: [ParameterSpec] = [
        ParameterSpec("name", .string, default: .null, nullable: true, help: "The board's id in the platform definitions (e.g. stm32f746g_disco)"),
        ParameterSpec("platforms_definitions", .stringList, default: .null, nullable: true,
                      help: "Platform definition files (YAML or JSON), least significant first, read after Kenning's own records"),
        ParameterSpec("display_name", .string, default: .null, nullable: true, help: "The board's name in reports (overrides the record)"),
        ParameterSpec("ram_size_kb", .integer, default: .null, nullable: true, range: 1...Double(Int32.max), help: "RAM in KiB (overrides the record)"),
        ParameterSpec("flash_size_kb", .integer, default: .null, nullable: true, range: 1...Double(Int32.max), help: "Flash in KiB (overrides the record)"),
        ParameterSpec("cpu", .string, default: .null, nullable: true, help: "A description of the CPU (overrides the record)"),
    ]

    init(_ p: ResolvedParameters, path: String = "$.parameters") throws(KenningError) {
        name = p.string("name")
        let definitions = p["platforms_definitions"]?.arrayValue?.compactMap(\.stringValue).map(ResourceURI.resolve) ?? []
        let record = try name.map { (n: String) throws(KenningError) -> BoardRecord in try BoardRecord.find(n, definitions: definitions, path: path) }
        displayName = p.string("display_name") ?? record?.displayName
        ramBytes = (p["ram_size_kb"]?.intValue ?? record?.ramKB).map { $0 * 1024 }
        flashBytes = (p["flash_size_kb"]?.intValue ?? record?.flashKB).map { $0 * 1024 }
        cpu = p.string("cpu") ?? record?.cpu
        uartBaudrate = record?.uartBaudrate
    }
}
