import CXNNPACK
import KenningCore

final class XNNPACKDense: PlannedOperator {
    let spec: DenseSpec
    unowned let ctx: XNNPACKFactory
    let op: xnn_operator_t
    let post: Activation

    init(_ spec: DenseSpec, _ ctx: XNNPACKFactory) throws {
        self.spec = spec
        self.ctx = ctx
        let (lo, hi, post) = XNNPACKFactory.clamp(spec.activation)
        self.post = post
        var op: xnn_operator_t?
        let status = spec.weights.withUnsafeBufferPointer { w in
            (spec.bias ?? []).withUnsafeBufferPointer { b in
                xnn_create_fully_connected_nc_f32(spec.inFeatures, spec.outFeatures, spec.inFeatures, spec.outFeatures, w.baseAddress,
                                                  spec.bias == nil ? nil : b.baseAddress, lo, hi, 0, &op)
            }
        }
        try xnnCheck(status, "xnn_create_fully_connected_nc_f32", spec.label)
        guard let op else { throw KenningError.failure("XNNPACK returned no operator for \(spec.label)") }
        self.op = op
    }

    deinit { xnn_delete_operator(op) }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        let (rows, shape) = try spec.rows(x.shape)
        let xs = x.floats
        let out = try makeFloats(rows * spec.outFeatures) { (o: UnsafeMutablePointer<Float>) throws in
            try xs.withUnsafeBufferPointer { xb in
                try xnnCheck(xnn_setup_fully_connected_nc_f32(op, rows, xb.baseAddress, o, ctx.pool), "xnn_setup_fully_connected_nc_f32", spec.label)
                try xnnCheck(xnn_run_operator(op, ctx.pool), "xnn_run_operator", spec.label)
            }
            if post != .none { for i in 0..<(rows * spec.outFeatures) { o[i] = post.apply(o[i]) } }
        }
        return Tensor(shape: shape, floats: out)
    }
}
