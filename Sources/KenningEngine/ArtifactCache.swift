import Foundation
import Synchronization
import KenningCore

/// Content-addressed store of compiled artifacts: key = input artifact hash + block type + parameters + tool version.
public struct ArtifactCache: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The SHA-256 of a file's bytes (nil when it cannot be read).
    public static func fileHash(_ path: String) -> String? {
        // Every pipeline of a search hashes the same model: hash a file once while its size and modification time stay.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return ContentHash.file(path) }
        let stamp = "\(path)|\(size)|\(modified.timeIntervalSince1970)"
        if let known = hashes.withLock({ $0[stamp] }) { return known }
        let hash = ContentHash.file(path)
        if let hash { hashes.withLock { $0[stamp] = hash } }
        return hash
    }

    private static let hashes = Mutex<[String: String]>([:])

    /// The key of compiling `inputHash` with `block` (its output path excluded: it does not change the result).
    /// `toolVersion` carries the framework version and the block's machine context (a CPU-dependent `auto`), so a cache
    /// moved to another machine never hands it an artifact made for a different CPU.
    public static func key(inputHash: String, block: JSONValue, toolVersion: String) -> String {
        let params = (block["parameters"] ?? .object([])).removing("compiled_model_path")
        let canonical = JSONValue.object([("type", block["type"] ?? .null), ("parameters", params)]).serialized(indent: nil)
        return ContentHash.hex("\(inputHash)|\(canonical)|\(toolVersion)")
    }

    /// Each entry is a directory holding the compiler's output as `model.<ext>` plus any side files (`model.<ext>.json`, `model.bin`, …).
    public func entryDirectory(_ key: String) -> String {
        (directory as NSString).appendingPathComponent(String(key.prefix(24)))
    }

    /// The artifact of an entry, or nil when the entry does not exist (yet).
    public func artifact(_ key: String) -> String? {
        let dir = entryDirectory(key)
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return nil }
        return files.filter { $0.hasPrefix("model.") && !$0.hasSuffix(".json") && !$0.hasSuffix(".seconds") }.sorted().first
            .map { (dir as NSString).appendingPathComponent($0) }
    }

    /// Copies an entry's files next to `target` (`dir/stem.ext`), renaming `model` to the target's stem.
    public func materialize(_ key: String, as target: String) throws(KenningError) {
        let dir = entryDirectory(key)
        let targetDir = (target as NSString).deletingLastPathComponent
        let stem = ((target as NSString).lastPathComponent as NSString).deletingPathExtension
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw .failure("the cache entry \(dir) disappeared", fix: "run again; the entry will be compiled anew")
        }
        let primary = artifact(key).map { ($0 as NSString).lastPathComponent }
        for f in files where f.hasPrefix("model.") && !f.hasSuffix(".seconds") {
            let destination: String
            if let primary, f == primary {
                destination = target  // the artifact itself takes the exact name the block asked for
            } else if let primary, f.hasPrefix(primary) {
                destination = target + f.dropFirst(primary.count)  // model.onnx.json -> <target>.json
            } else {
                let suffix = String(f.dropFirst("model".count))
                destination = targetDir.isEmpty ? stem + suffix : (targetDir as NSString).appendingPathComponent(stem + suffix)
            }
            try Files.copyReplacing((dir as NSString).appendingPathComponent(f), to: destination)
        }
    }
}
