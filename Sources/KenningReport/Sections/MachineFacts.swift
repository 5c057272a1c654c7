import KenningCore

/// The machine a run or search measured on, from an `environment` record.
enum MachineFacts {
    static func facts(_ env: JSONValue) -> [(String, String)] {
        var out: [(String, String)] = []
        if let cpu = env["cpu_model"]?.stringValue { out.append(("CPU", cpu)) }
        if let flags = env["cpu_isa"]?["isa_flags"]?.arrayValue?.compactMap(\.stringValue) { out.append(("ISA flags", flags.joined(separator: " "))) }
        if let dot = env["cpu_isa"]?["int8_dot_product"]?.stringValue { out.append(("int8 dot product", dot)) }
        if let cores = env["logical_cores"]?.intValue { out.append(("cores", "\(cores)")) }
        if let mem = env["memory_bytes"]?.doubleValue { out.append(("memory", Format.bytes(mem))) }
        if let load = env["load_average"]?.arrayValue?.compactMap(\.doubleValue), !load.isEmpty {
            out.append(("load average", load.map { String(format: "%.2f", $0) }.joined(separator: " ")))
        }
        if let os = env["os"]?.stringValue { out.append(("OS", os)) }
        return out
    }
}
