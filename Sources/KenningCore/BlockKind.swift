
/// The kinds of blocks a scenario combines; the raw value is the scenario key.
public enum BlockKind: String, Sendable, CaseIterable {
    case modelWrapper = "model_wrapper"
    case dataset
    case optimizer = "optimizers"
    case runtime
    case `protocol`
    case platform

    /// Kenning's Python package for this kind, used to resolve dotted names.
    public var kenningPackage: String {
        switch self {
        case .modelWrapper: return "kenning.modelwrappers"
        case .dataset: return "kenning.datasets"
        case .optimizer: return "kenning.optimizers"
        case .runtime: return "kenning.runtimes"
        case .protocol: return "kenning.protocols"
        case .platform: return "kenning.platforms"
        }
    }

    public var displayName: String {
        switch self {
        case .modelWrapper: return "model wrapper"
        case .dataset: return "dataset"
        case .optimizer: return "optimizer"
        case .runtime: return "runtime"
        case .protocol: return "protocol"
        case .platform: return "platform"
        }
    }
}
