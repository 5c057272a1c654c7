import Foundation

/// Kenning's resource URIs in path parameters, resolved offline: `kenning:///P` is the file Kenning's resource manager
/// keeps at `$KENNING_CACHE_DIR/P` (default `~/.kenning/P`), `file://P` is `P`; nothing is downloaded, so `gh://`,
/// `http://` and `https://` resources are refused.
public enum ResourceURI {
    /// Kenning's cache directory: `$KENNING_CACHE_DIR`, else `~/.kenning`.
    public static var cacheDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["KENNING_CACHE_DIR"], !dir.isEmpty { return dir }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".kenning")
    }

    /// The local path `value` stands for (`value` itself when it is not a resource that resolves here).
    public static func resolve(_ value: String) -> String {
        if case let .ok(path) = localPath(value), let text = path.stringValue { return text }
        return value
    }

    /// The local path `value` stands for, or why it cannot be had here.
    static func localPath(_ value: String) -> Checked {
        if value.hasPrefix("kenning://") {
            let rest = value.dropFirst("kenning://".count)
            let relative = rest.drop { $0 == "/" }
            guard !relative.isEmpty, !relative.split(separator: "/").contains("..") else { return .bad("\(value) is not a Kenning resource path") }
            return .ok(.string((cacheDirectory as NSString).appendingPathComponent(String(relative))))
        }
        if value.hasPrefix("file://") { return .ok(.string(String(value.dropFirst("file://".count)))) }
        for scheme in ["gh://", "http://", "https://"] where value.hasPrefix(scheme) {
            return .bad("\(value) would be downloaded, and nothing is downloaded here; download it and give its local path, or put it in Kenning's cache and write it as kenning:///…")
        }
        return .ok(.string(value))
    }
}
