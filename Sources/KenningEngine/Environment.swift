import Foundation
import KenningCore

/// Facts about this machine and process recorded with every run.
public enum Environment {
    public static func fingerprint() -> JSONValue {
        var cpu = "unknown"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let v = line.split(separator: ":", maxSplits: 1).last
        {
            cpu = v.trimmingCharacters(in: .whitespaces)
        }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).compactMap { Double($0) } ?? []
        return .object([
            ("cpu_model", .string(cpu)),
            ("cpu_isa", (try? CPUFeatures.current())?.json ?? .null),
            ("logical_cores", .int(ProcessInfo.processInfo.activeProcessorCount)),
            ("memory_bytes", .int(Int(ProcessInfo.processInfo.physicalMemory))),
            ("load_average", JSONValue(load)),
            ("os", .string(ProcessInfo.processInfo.operatingSystemVersionString)),
        ])
    }

    /// Peak resident memory of this process (VmHWM) in bytes.
    public static func peakRSSBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ")[1])
        else { return 0 }
        return kb * 1024
    }

    /// User + system CPU seconds used by this process so far.
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(0), &usage)  // RUSAGE_SELF
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
