
/// What the server reports doing, in the one-byte payload of a status reply.
public enum ServerAction: UInt8, Sendable, CaseIterable {
    case waitingForClient = 0, clientConnected, uploadingIOSpec, uploadingModel, uploadingUnoptimizedModel, uploadingInput,
         processingInput, extractingOutput, computingStatistics, optimizingModel, uploadingOptimizers, uploadingRuntime, idle

    /// The action a server reports for a request of `type`.
    public static func expected(for type: MessageType) -> ServerAction {
        switch type {
        case .ioSpec: return .uploadingIOSpec
        case .model: return .uploadingModel
        case .unoptimizedModel: return .uploadingUnoptimizedModel
        case .data: return .uploadingInput
        case .process: return .processingInput
        case .output: return .extractingOutput
        case .stats: return .computingStatistics
        case .optimizeModel: return .optimizingModel
        case .optimizers: return .uploadingOptimizers
        case .runtime: return .uploadingRuntime
        case .ping: return .clientConnected
        case .status, .traceData, .logs: return .idle
        }
    }
}
