import Foundation
import Synchronization
import KenningCore

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// Samples system-wide CPU (per core) and memory use from /proc every `interval` seconds, on its own thread.
/// Each CPU sample is the busy share since the previous sample, so no sample is a meaningless zero.
///
/// `@unchecked Sendable`: the sampling thread and the caller share only `state` (under its mutex) and the two
/// semaphores; `thread` is set by `start` before the thread runs and read by `stop` after it has signalled.
public final class SystemSampler: @unchecked Sendable {
    /// What the sampler recorded: one value per sampling period.
    public struct Samples: Sendable {
        public var cpusPercent: [[Double]] = []
        public var memPercent: [Double] = []
        public var timestamps: [Double] = []
    }

    private let interval: Double
    private struct State {
        var samples = Samples()
        var running = false
    }

    private let state = Mutex(State())
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    private let wake = DispatchSemaphore(value: 0)

    public init(interval: Double = 0.1) { self.interval = interval }

    public func start() {
        state.withLock { $0.running = true }
        let t = Thread { [self] in
            var previous = SystemSampler.cpuTimes()
            while true {
                // Sample every `interval`; when stopped, take one last sample so even a short session has one.
                let stopped = wake.wait(timeout: .now() + interval) == .success || !isRunning
                let now = SystemSampler.cpuTimes()
                let percents = zip(previous, now).map { a, b -> Double in
                    let total = Double(b.total - a.total)
                    return total > 0 ? 100 * Double(b.busy - a.busy) / total : 0
                }
                previous = now
                let mem = SystemSampler.memoryPercent()
                state.withLock { s in
                    if !stopped || s.samples.timestamps.isEmpty {
                        s.samples.cpusPercent.append(percents)
                        s.samples.memPercent.append(mem)
                        s.samples.timestamps.append(monotonicSeconds())
                    }
                }
                if stopped { break }
            }
            done.signal()
        }
        thread = t
        t.start()
    }

    private var isRunning: Bool { state.withLock { $0.running } }

    /// What was collected so far, sampling going on.
    public func snapshot() -> Samples { state.withLock { $0.samples } }

    /// Stops sampling and returns everything collected.
    public func stop() -> Samples {
        let wasRunning = state.withLock { s in
            defer { s.running = false }
            return s.running
        }
        if wasRunning, thread != nil {
            wake.signal()
            done.wait()
        }
        return state.withLock { $0.samples }
    }

    /// (busy, total) jiffies per core from /proc/stat.
    static func cpuTimes() -> [(busy: UInt64, total: UInt64)] {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.map { line in
            let f = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
            let total = f.prefix(8).reduce(0, +)
            let idle = (f.count > 3 ? f[3] : 0) + (f.count > 4 ? f[4] : 0)
            return (total - idle, total)
        }
    }

    /// Used memory in percent, as psutil computes `virtual_memory().percent`: (total - available) / total.
    static func memoryPercent() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return 0 }
        var total = 0.0, available = 0.0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let v = Double(parts[1]) else { continue }
            if parts[0] == "MemTotal:" { total = v }
            if parts[0] == "MemAvailable:" { available = v }
        }
        return total > 0 ? 100 * (total - available) / total : 0
    }
}
