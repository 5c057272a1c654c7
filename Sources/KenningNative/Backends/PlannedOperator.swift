import KenningCore
import KenningModel

/// A heavy operator prepared by a backend: weights packed once, primitives cached per input shape.
protocol PlannedOperator: AnyObject {
    /// `residual` (convolutions only) is added before the activation; it has the output's shape and layout.
    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor
}
