import KenningCore

/// A target described by its board record — name, RAM, flash, CPU — and reached through the scenario's protocol
/// (a `kenning server` on another machine, a board on a serial line). Its limits are checked before a model is sent.
public struct BoardPlatform: RecordBackedPlatform {
    public static let description = BlockDescription(
        kind: .platform, name: "BoardPlatform",
        summary: "A target machine or board: its record's RAM and flash are checked against each model before upload",
        parameters: PlatformRecordSupport.parameters)

    let record: PlatformRecordSupport
    public var isLocal: Bool { false }
    public var defaultProtocol: (any TargetProtocol)? { nil }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        record = try PlatformRecordSupport(p)
    }
}
