import Foundation

/// A mapping from data values to pixels along one axis (linear or log10), with ticks at round values.
struct AxisScale {
    var low: Double
    var high: Double
    var start: Double
    var end: Double
    var log: Bool

    /// A scale over `values` (padded by `pad` of the span), logarithmic when asked and the values are positive and
    /// span more than `logSpan` times.
    init(values: [Double], start: Double, end: Double, log wantLog: Bool = false, logSpan: Double = 30, pad: Double = 0.05, includeZero: Bool = false) {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
        let canLog = lo > 0 && hi / lo > logSpan
        log = wantLog && canLog
        if log {
            lo = Foundation.log10(lo); hi = Foundation.log10(hi)
        }
        if hi == lo {
            // One value: a narrow window around it, so equal values read as equal, not as a range.
            let d = log ? 0.1 : hi == 0 ? 1 : abs(hi) * 0.02
            lo -= d
            hi += d
        }
        let span = hi - lo
        low = lo - (includeZero && lo == 0 ? 0 : span * pad)
        high = hi + span * pad
        self.start = start
        self.end = end
    }

    func callAsFunction(_ v: Double) -> Double {
        let x = log ? Foundation.log10(max(v, 1e-300)) : v
        return start + (x - low) / (high - low) * (end - start)
    }

    /// Round tick values inside the domain (powers of ten on a log scale).
    func ticks(_ count: Int = 5) -> [Double] {
        if log {
            let first = Int(floor(low)), last = Int(ceil(high))
            var out: [Double] = []
            for e in first...max(first, last) {
                for m in [1.0, 2.0, 5.0] where last - first <= 2 || m == 1 {
                    let v = m * pow(10, Double(e))
                    let lv = Foundation.log10(v)
                    if lv >= low && lv <= high { out.append(v) }
                }
            }
            return out
        }
        let step = Self.niceStep((high - low) / Double(max(1, count)))
        var v = (low / step).rounded(.up) * step
        var out: [Double] = []
        while v <= high + step * 1e-9 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let e = pow(10, floor(Foundation.log10(raw)))
        let f = raw / e
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e
    }

    /// A tick label: up to four significant digits, no exponent for everyday magnitudes.
    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e6 || a < 1e-4 { return String(format: "%.2g", v) }
        var s = String(format: a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.4f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}
