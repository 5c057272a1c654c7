import KenningCore
import KenningModel

/// The graph passes a session runs before it binds kernels, in order.
extension NativeSession {
    /// The input shapes a model declares, a symbolic dimension taken as 1.
    static func declaredInputShapes(_ model: Model) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: model.graph.runtimeInputs.map { ($0.name, ($0.shape ?? []).map { $0.value ?? 1 }) })
    }

    /// Every value's shape for the model's declared input shapes (shape inference, constants evaluated natively).
    public static func inferShapes(_ model: Model) throws(KenningError) -> [String: [Int]] {
        try ShapeInference.infer(model, inputShapes: declaredInputShapes(model), evaluate: NativeSession.evaluate)
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
