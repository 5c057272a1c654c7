/// The strategies `optimization_parameters.strategy` names (Kenning's `grid_search` and ours).
public enum StrategyKind: String, CaseIterable, Sendable {
    case grid = "grid_search"
    case random = "random_search"
    case tpe
    case successiveHalving = "successive_halving"
}
