
/// What an optimizer may use besides its input model.
public struct OptimizationContext: Sendable {
    public var dataset: (any Dataset)?
    public var modelWrapper: any ModelWrapper
    public init(dataset: (any Dataset)?, modelWrapper: any ModelWrapper) {
        self.dataset = dataset
        self.modelWrapper = modelWrapper
    }
}
