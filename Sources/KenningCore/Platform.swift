import Foundation

/// A `platform` block: what the target is (a board record: name, memory sizes, CPU) and how it is reached by default.
public protocol Platform: Sendable {
    /// The board's id in the platform definitions (e.g. `stm32f746g_disco`), when it has one.
    var name: String? { get }
    var displayName: String? { get }
    var ramBytes: Int? { get }
    var flashBytes: Int? { get }
    /// A free-text CPU description (`Cortex-M7 216 MHz`).
    var cpu: String? { get }
    /// The host itself: no protocol is needed and none is used.
    var isLocal: Bool { get }
    /// The protocol a scenario with this platform and no `protocol` block uses (a bare-metal board's UART).
    var defaultProtocol: (any TargetProtocol)? { get }
    /// Whether the target can run optimizers (`location: target`): a firmware image cannot.
    var runsOptimizers: Bool { get }
}

extension Platform {
    public var runsOptimizers: Bool { true }

    /// Why a model of `modelBytes` cannot be deployed on this platform (flash, then RAM), or nil when it fits.
    /// `path` names the platform block, for the rule in the message.
    public func fitProblem(modelBytes: Int, path: String) -> String? {
        let board = displayName ?? name ?? "the platform"
        if let flash = flashBytes, modelBytes > flash {
            return "model \(Self.megabytes(modelBytes)) does not fit \(board)'s \(Self.megabytes(flash)) flash (\(path).flash_size_kb)"
        }
        if let ram = ramBytes, modelBytes > ram {
            return "model \(Self.megabytes(modelBytes)) does not fit \(board)'s \(Self.megabytes(ram)) RAM (\(path).ram_size_kb)"
        }
        return nil
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MB", Double(bytes) / Double(1 << 20)) : String(format: "%.0f KB", Double(bytes) / 1024)
    }

    /// The record a measurements file keeps of the platform.
    public var json: JSONValue {
        .object([("name", name.map { .string($0) } ?? .null), ("display_name", displayName.map { .string($0) } ?? .null),
                 ("ram_bytes", ramBytes.map { .int($0) } ?? .null), ("flash_bytes", flashBytes.map { .int($0) } ?? .null),
                 ("cpu", cpu.map { .string($0) } ?? .null)])
    }
}
