/// Kenning's runtime-protocol message types (0–13).
public enum MessageType: UInt64, Sendable, CaseIterable, CustomStringConvertible {
    case ping = 0, status, data, model, process, output, stats, ioSpec, traceData, optimizers, optimizeModel, runtime,
         unoptimizedModel, logs

    public var description: String {
        switch self {
        case .ping: return "PING"
        case .status: return "STATUS"
        case .data: return "DATA"
        case .model: return "MODEL"
        case .process: return "PROCESS"
        case .output: return "OUTPUT"
        case .stats: return "STATS"
        case .ioSpec: return "IO_SPEC"
        case .traceData: return "TRACE_DATA"
        case .optimizers: return "OPTIMIZERS"
        case .optimizeModel: return "OPTIMIZE_MODEL"
        case .runtime: return "RUNTIME"
        case .unoptimizedModel: return "UNOPTIMIZED_MODEL"
        case .logs: return "LOGS"
        }
    }
}
