
/// Kenning's runtime protocol, as bytes on the wire (little-endian throughout).
///
/// A message is a 12-byte header and an optional payload:
///
/// | bytes | field |
/// |---|---|
/// | 0–4 | 40-bit word: bits 0–37 message type, bits 38–39 flow control |
/// | 5 | checksum: `0x4B` xor every other byte of the message (sent as 0 unless error recovery is on) |
/// | 6–7 | flags |
/// | 8–11 | payload size |
///
/// A payload longer than fits in one message is split into several, the first marked `first`, the last `last`
/// (one message carries both); no message exceeds ``KenningProtocol/maxMessageSize`` bytes, header included.
public enum KenningProtocol {
    public static let headerSize = 12
    /// Kenning's default message size, header included; what this side sends unless told otherwise.
    public static let maxMessageSize = 1024
    /// The largest message read (header included): Kenning's network protocol sends messages of up to 1 MiB.
    public static let largestMessageSize = 1 << 20
    /// The message size our own workers exchange, which turns a 600 KB image into ten messages instead of six hundred.
    public static let workerMessageSize = 65536
    public static let checksumSeed: UInt8 = 0x4B
    static let typeMask: UInt64 = (1 << 38) - 1
}
