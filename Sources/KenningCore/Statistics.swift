import Foundation

/// Summary statistics with numpy's conventions (population std, linear-interpolation percentiles).
public enum Statistics {
    public static func mean(_ x: [Double]) -> Double {
        x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count)
    }

    /// Population standard deviation (ddof 0), as Kenning reports it.
    public static func std(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)).squareRoot()
    }

    public static func median(_ x: [Double]) -> Double { percentile(x, 50) }

    /// Percentile of an already sorted series.
    public static func percentile(sorted s: [Double], _ q: Double) -> Double {
        guard !s.isEmpty else { return .nan }
        let pos = q / 100 * Double(s.count - 1)
        let lo = Int(pos.rounded(.down)), hi = Int(pos.rounded(.up))
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }

    /// The q-th percentile (0…100), numpy's default "linear" method.
    public static func percentile(_ x: [Double], _ q: Double) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted()
        let pos = q / 100 * Double(s.count - 1)
        let lo = Int(pos.rounded(.down)), hi = Int(pos.rounded(.up))
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }
}
