import Foundation

/// Numbers as a report prints them.
enum Format {
    /// Seconds as milliseconds with four significant digits.
    static func ms(_ seconds: Double?) -> String {
        guard let s = seconds, s.isFinite else { return "–" }
        return significant(s * 1000) + " ms"
    }

    static func significant(_ v: Double, digits: Int = 4) -> String {
        guard v.isFinite else { return "–" }
        if v == 0 { return "0" }
        let magnitude = Int(floor(log10(abs(v))))
        let decimals = max(0, digits - 1 - magnitude)
        return String(format: "%.\(min(decimals, 9))f", v)
    }

    static func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0) } ?? "–" }
    static func ratio(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "–" }

    static func bytes(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        if v >= 1_073_741_824 { return String(format: "%.1f GB", v / 1_073_741_824) }
        if v >= 1_048_576 { return String(format: "%.1f MB", v / 1_048_576) }
        if v >= 1024 { return String(format: "%.1f KB", v / 1024) }
        return "\(Int(v)) B"
    }

    static func seconds(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return v >= 120 ? String(format: "%.1f min", v / 60) : String(format: "%.2f s", v)
    }

    /// An anchor-safe id from free text.
    static func anchor(_ s: String) -> String {
        let mapped = s.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        return mapped.split(separator: "-").joined(separator: "-")
    }
}
