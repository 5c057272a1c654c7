import KenningCore

/// The host itself (Kenning's `LocalPlatform`): no protocol; a board record's limits still apply when named.
public struct LocalPlatform: RecordBackedPlatform {
    public static let description = BlockDescription(
        kind: .platform, name: "LocalPlatform", kenningModule: "kenning.platforms.local",
        summary: "This machine: models run here, with no protocol",
        parameters: PlatformRecordSupport.parameters)

    let record: PlatformRecordSupport
    public var isLocal: Bool { true }
    public var defaultProtocol: (any TargetProtocol)? { nil }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        record = try PlatformRecordSupport(p)
    }
}
