/// The header's flag bits (success, fail, chunking FIRST/LAST, …).
public struct MessageFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = MessageFlags(rawValue: 1 << 0)
    public static let fail = MessageFlags(rawValue: 1 << 1)
    public static let isHostMessage = MessageFlags(rawValue: 1 << 2)
    public static let hasPayload = MessageFlags(rawValue: 1 << 3)
    public static let first = MessageFlags(rawValue: 1 << 4)
    public static let last = MessageFlags(rawValue: 1 << 5)
    public static let isKenning = MessageFlags(rawValue: 1 << 6)
    public static let isZephyr = MessageFlags(rawValue: 1 << 7)
    public static let specFlag1 = MessageFlags(rawValue: 1 << 12)
    public static let specFlag2 = MessageFlags(rawValue: 1 << 13)
    public static let specFlag3 = MessageFlags(rawValue: 1 << 14)
    public static let specFlag4 = MessageFlags(rawValue: 1 << 15)
    /// IO_SPEC only: the payload is the binary (serialized) IO spec.
    public static let serialized = specFlag1
}
