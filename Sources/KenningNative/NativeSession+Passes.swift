import KenningCore
import KenningModel

/// The graph passes a session runs before it binds kernels, in order.
extension NativeSession {
    /// The input shapes a model declares, or nil when one has a symbolic dimension.
    static func fixedInputShapes(_ model: Model) -> [String: [Int]]? {
        var shapes: [String: [Int]] = [:]
        for input in model.graph.runtimeInputs {
            let dims = (input.shape ?? []).map(\.value)
            guard dims.allSatisfy({ $0 != nil && $0! > 0 }) else { return nil }
            shapes[input.name] = dims.map { $0! }
        }
        return shapes
    }

    /// Every value's shape when the model's inputs have fixed shapes (shape inference, constants evaluated natively);
    /// nil when an input has a symbolic dimension: such a model is planned without shapes (every value NCHW, no
    /// residual fusion), since a guessed size would mislead the layout plan.
    public static func inferShapes(_ model: Model) throws(KenningError) -> [String: [Int]]? {
        guard let inputs = fixedInputShapes(model) else { return nil }
        return try ShapeInference.infer(model, inputShapes: inputs, evaluate: NativeSession.evaluate)
    }

    /// `model` rewritten for `backend`: int8 convolution fusion, constant folding, then (not on `reference`, and not
    /// when every value must stay observable) BatchNormalization folding, residual and activation fusion and dead-node
    /// removal. `shapes` come from shape inference on `model`; without them the residual fusion is skipped.
    static func optimized(_ model: Model, backend: NativeBackend, keepIntermediates: Bool,
                          shapes: [String: [Int]]?) throws(KenningError) -> Model {
        var model = model
        if backend != .reference { QuantizedConvFusion.fuse(&model) }
        _ = try GraphPasses.foldConstants(&model, evaluate: NativeSession.evaluate)
        guard backend != .reference, !keepIntermediates else { return model }
        _ = GraphPasses.foldBatchNorm(&model)
        if let shapes { _ = GraphPasses.fuseResiduals(&model, shapes: shapes) }
        _ = GraphPasses.fuseActivations(&model)
        _ = GraphPasses.removeDeadNodes(&model)
        return model
    }
}
