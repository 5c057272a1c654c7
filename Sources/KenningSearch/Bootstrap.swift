import Foundation
import KenningCore

/// Percentile bootstrap confidence interval of a statistic, with a seeded generator so reruns agree.
public enum Bootstrap {
    public static func interval(_ x: [Double], statistic: (inout [Double]) -> Double, resamples: Int = 200, level: Double = 0.95,
                                seed: UInt64 = 0x5EED) -> (low: Double, high: Double)
    {
        guard x.count > 1 else { let v = x.first ?? .nan; return (v, v) }
        var rng = SplitMix64(seed: seed)
        var stats: [Double] = []
        stats.reserveCapacity(resamples)
        var sample = [Double](repeating: 0, count: x.count)
        for _ in 0..<resamples {
            for i in 0..<x.count { sample[i] = x[Int(rng.next() % UInt64(x.count))] }
            stats.append(statistic(&sample))
        }
        let alpha = (1 - level) / 2 * 100
        return (Statistics.percentile(stats, alpha), Statistics.percentile(stats, 100 - alpha))
    }
}

extension Bootstrap {
    /// Mean of a resample.
    public static func mean(_ x: inout [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

    /// Median of a resample in linear time (quickselect; reorders `x`).
    public static func median(_ x: inout [Double]) -> Double {
        let n = x.count
        let hi = select(&x, n / 2)
        if n % 2 == 1 { return hi }
        var lo = -Double.infinity
        for i in 0..<(n / 2) where x[i] > lo { lo = x[i] }
        return (lo + hi) / 2
    }

    /// The k-th smallest element; afterwards x[..<k] are all ≤ it.
    static func select(_ x: inout [Double], _ k: Int) -> Double {
        var left = 0, right = x.count - 1
        while left < right {
            let pivot = x[(left + right) / 2]
            var i = left, j = right
            while i <= j {
                while x[i] < pivot { i += 1 }
                while x[j] > pivot { j -= 1 }
                if i <= j { x.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { right = j } else if k >= i { left = i } else { return x[k] }
        }
        return x[k]
    }
}

extension Bootstrap {
    /// 95 % intervals of the mean and the median of a latency series. Up to 5000 samples: percentile bootstrap.
    /// Longer series: the series is cut into 100 consecutive batches and their means (medians) are bootstrapped,
    /// which is cheaper and also accounts for drift and correlation between neighbouring samples.
    public static func latencyIntervals(_ x: [Double]) -> (mean: (low: Double, high: Double), median: (low: Double, high: Double)) {
        guard x.count > 5000 else { return (interval(x, statistic: mean), interval(x, statistic: median)) }
        let k = 100
        var means: [Double] = [], medians: [Double] = []
        for b in 0..<k {
            var slice = Array(x[(x.count * b / k)..<(x.count * (b + 1) / k)])
            means.append(mean(&slice))
            medians.append(median(&slice))
        }
        return (interval(means, statistic: mean), interval(medians, statistic: median))
    }
}
