/// FNV-1a, 64 bits: a fast, stable fingerprint for cache keys and file names (not a content hash to trust).
public enum FNV1a {
    public static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
