import KenningCore
import KenningModel

/// The graph passes a session runs before it binds kernels, in order.
extension NativeSession {
    /// The input shapes a model declares, a symbolic batch (first) dimension taken as 1; nil when another dimension is
    /// symbolic. (The layout plan does not depend on the batch size; it does on channels and spatial sizes.)
    static func fixedInputShapes(_ model: Model) -> [String: [Int]]? {
        var shapes: [String: [Int]] = [:]
        for input in model.graph.runtimeInputs {
            let dims = (input.shape ?? []).enumerated().map { $0.offset == 0 ? $0.element.value ?? 1 : $0.element.value }
            guard dims.allSatisfy({ $0 != nil && $0! > 0 }) else { return nil }
            shapes[input.name] = dims.map { $0! }
        }
        return shapes
    }

    /// Every value's shape when the model's inputs have fixed shapes but for the batch (shape inference, constants
    /// evaluated natively); nil when an input has another symbolic dimension: such a model is planned without shapes (every value NCHW, no
    /// residual fusion), since a guessed size would mislead the layout plan.
    public static func inferShapes(_ model: Model) throws(KenningError) -> [String: [Int]]? {
        guard let inputs = fixedInputShapes(model) else { return nil }
        return try ShapeInference.infer(model, inputShapes: inputs, evaluate: NativeSession.evaluate)
    }

    /// `model` rewritten for `backend`: int8 convolution fusion, constant folding, 1-D convolutions lifted to 2-D, then (not on `reference`, and not
    /// when every value must stay observable) BatchNormalization and per-channel scale/shift folding, hard swish
    /// recognition, Gelu and SiLU recognition, MatMul bias fusion, residual and activation fusion (with a scalar scale and shift after the activation) and dead-node
    /// removal. `shapes` come from shape inference on `model`; without them the residual fusion is skipped.
    static func optimized(_ model: Model, backend: NativeBackend, keepIntermediates: Bool,
                          shapes: [String: [Int]]?) throws(KenningError) -> (model: Model, shapes: [String: [Int]]?) {
        var model = model, shapes = shapes
        if backend != .reference { QuantizedConvFusion.fuse(&model) }
        _ = try GraphPasses.foldConstants(&model, evaluate: NativeSession.evaluate)
        _ = GraphPasses.liftOneDimensionalConvolutions(&model, shapes: &shapes)
        guard backend != .reference, !keepIntermediates else { return (model, shapes) }
        _ = GraphPasses.foldBatchNorm(&model)
        _ = GraphPasses.foldAffineIntoConv(&model)
        _ = GraphPasses.recognizeHardSwish(&model)
        _ = GraphPasses.recognizeGelu(&model)
        _ = GraphPasses.recognizeSiLU(&model)
        _ = GraphPasses.fuseMatMulBias(&model)
        if let shapes { _ = GraphPasses.fuseResiduals(&model, shapes: shapes) }
        _ = GraphPasses.fuseActivations(&model, native: true)
        _ = GraphPasses.fuseActivationAffine(&model)
        _ = GraphPasses.removeDeadNodes(&model)
        return (model, shapes)
    }
}
