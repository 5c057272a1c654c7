import KenningCore

/// A platform whose description is its board record (what every platform block here is).
protocol RecordBackedPlatform: Platform {
    var record: PlatformRecordSupport { get }
}

extension RecordBackedPlatform {
    public var name: String? { record.name }
    public var displayName: String? { record.displayName }
    public var ramBytes: Int? { record.ramBytes }
    public var flashBytes: Int? { record.flashBytes }
    public var cpu: String? { record.cpu }
}
