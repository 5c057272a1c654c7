import Foundation
import KenningCore

/// One board in the platform definitions (Kenning's `platforms.yml` record: name, memory sizes, serial settings).
public struct BoardRecord: Sendable, Equatable {
    public var displayName: String?
    public var flashKB: Int?
    public var ramKB: Int?
    public var uartBaudrate: Int?
    public var cpu: String?
    public var defaultPlatform: String?

    /// The records Kenning ships in `kenning/resources/platforms/platforms.yml` (the fields read here).
    public static let kenning: [String: BoardRecord] = [
        "max32690evkit/max32690/m4": BoardRecord(displayName: "MAX32690 Evaluation Kit", flashKB: 3072, ramKB: 128, uartBaudrate: 115200,
                                                 cpu: "Cortex-M4", defaultPlatform: "ZephyrPlatform"),
        "max32690fthr/max32690/m4": BoardRecord(displayName: "MAX32690FTHR", flashKB: 3072, ramKB: 128, uartBaudrate: 115200,
                                                cpu: "Cortex-M4", defaultPlatform: "ZephyrPlatform"),
        "max78002evkit/max78002/m4": BoardRecord(displayName: "MAX78002 Evaluation Kit", flashKB: 2560, ramKB: 64, uartBaudrate: 115200,
                                                 cpu: "Cortex-M4", defaultPlatform: "ZephyrPlatform"),
        "rv32-springbok": BoardRecord(displayName: "RISC-V 32-bit Springbok", defaultPlatform: "BareMetalPlatform"),
        "stm32f746g_disco": BoardRecord(displayName: "STM32F746G Discovery", flashKB: 1024, ramKB: 256, uartBaudrate: 115200,
                                        cpu: "Cortex-M7", defaultPlatform: "ZephyrPlatform"),
        "hifive_unmatched/fu740/s7": BoardRecord(displayName: "HiFive Unmatched", uartBaudrate: 115200, defaultPlatform: "ZephyrPlatform"),
        "nvidia_rtx_4090": BoardRecord(displayName: "NVIDIA RTX 4090", ramKB: 25_153_536, defaultPlatform: "CUDAPlatform"),
        "jetson_thor_devkit": BoardRecord(displayName: "NVIDIA Jetson Thor", ramKB: 134_217_728, defaultPlatform: "CUDAPlatform"),
    ]

    /// The record of `name`: Kenning's, then each definitions file in turn (later files win, field by field).
    /// A name found nowhere is an error that lists the names known.
    public static func find(_ name: String, definitions: [String], path: String) throws(KenningError) -> BoardRecord {
        var found = kenning[name]
        var known = Set(kenning.keys)
        for (i, file) in definitions.enumerated() {
            let doc: JSONValue
            do {
                doc = try ConfigFile.load(file)
            } catch {
                throw KenningError(.badInput, error.problems.map { p in
                    var p = p
                    p.path = p.path ?? "\(path).platforms_definitions[\(i)]"
                    return p
                })
            }
            guard let boards = doc.objectPairs else {
                throw .badInput("platform definitions must map board names to records, got \(doc.typeName)", file: file, path: "$",
                                fix: "write `board_name: {display_name: …, flash_size_kb: …, ram_size_kb: …}`")
            }
            for (board, record) in boards {
                known.insert(board)
                guard board == name else { continue }
                var r = found ?? BoardRecord()
                r.displayName = record["display_name"]?.stringValue ?? r.displayName
                r.flashKB = record["flash_size_kb"]?.intValue ?? r.flashKB
                r.ramKB = record["ram_size_kb"]?.intValue ?? r.ramKB
                r.uartBaudrate = record["uart_baudrate"]?.intValue ?? r.uartBaudrate
                r.cpu = record["cpu"]?.stringValue ?? r.cpu
                r.defaultPlatform = record["default_platform"]?.stringValue ?? r.defaultPlatform
                found = r
            }
        }
        guard let found else {
            let near = nearestNames(to: name, in: known.sorted()).first
            throw .badInput("no platform named \"\(name)\" in the platform definitions", path: "\(path).name",
                            fix: near.map { "did you mean \"\($0)\"?" } ?? "known: \(known.sorted().joined(separator: ", ")); or add a record in a platforms_definitions file")
        }
        return found
    }
}
