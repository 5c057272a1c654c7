import Crypto
import Foundation

/// SHA-256 content hashes (swift-crypto), as lowercase hex: the artifact cache's keys and file identities.
public enum ContentHash {
    /// The hash of a text's UTF-8 bytes.
    public static func hex(_ text: String) -> String { hex(digest: SHA256.hash(data: Data(text.utf8))) }

    /// The hash of a file's bytes, read in 4 MiB pieces; nil when the file cannot be read.
    public static func file(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            // `read(upToCount:)` answers nil or empty data at the end of the file.
            while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            return nil
        }
        return hex(digest: hasher.finalize())
    }

    static func hex(digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
