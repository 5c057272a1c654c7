import Crypto
import Foundation

/// A secret a server and its clients share: the server sends a random challenge, the client answers with
/// HMAC-SHA256(secret, challenge); the secret itself never crosses the link.
public struct SharedSecret: Sendable {
    private let bytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: bytes) }

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Reads a secret file (surrounding whitespace ignored). A missing or short secret is refused
    /// with what to do.
    public static func read(file path: String) throws(ProtocolClient.Failure) -> SharedSecret {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .refused(.status, reason: "cannot read the secret file \(path); create it (e.g. `head -c 32 /dev/urandom | base64 > \(path)`)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count >= 16 else {
            throw .refused(.status, reason: "the secret in \(path) has \(text.utf8.count) bytes; use at least 16 (e.g. `head -c 32 /dev/urandom | base64 > \(path)`)")
        }
        return SharedSecret(Array(text.utf8))
    }

    /// The answer to `challenge`.
    public func answer(_ challenge: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: challenge, using: key))
    }

    /// Whether `answer` is the answer to `challenge` (compared in constant time).
    public func verify(challenge: [UInt8], answer: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(answer, authenticating: challenge, using: key)
    }

    /// A fresh random challenge.
    public static func nonce() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<ServerSession.nonceSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}
