import Foundation
import KenningBlocks
import KenningCore

/// Who measured: the target's host name, CPU, ISA flags, the CPUs this process may use, and software versions.
public enum TargetIdentity {
    public static func current() -> JSONValue {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let allowed = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
            .map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) }
        let usable = allowed.map(cpuCount) ?? ProcessInfo.processInfo.activeProcessorCount
        return Environment.fingerprint()
            .setting("hostname", to: .string(host))
            .setting("cpus_allowed", to: allowed.map { .string($0) } ?? .null)
            .setting("usable_cores", to: .int(usable))
            .setting("swift_kenning", to: .string(KenningVersion.current))
    }

    /// How many CPUs a list such as `0-3,6` names.
    static func cpuCount(_ list: String) -> Int {
        list.split(separator: ",").reduce(0) { n, part in
            let ends = part.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return n + (ends.count == 2 ? ends[1] - ends[0] + 1 : ends.count)
        }
    }
}
