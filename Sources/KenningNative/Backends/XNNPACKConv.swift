import CXNNPACK
import KenningCore

final class XNNPACKConv: PlannedOperator {
    final class Plan {
        let op: xnn_operator_t
        let input: FloatBuffer, output: FloatBuffer
        init(op: xnn_operator_t, input: FloatBuffer, output: FloatBuffer) {
            self.op = op
            self.input = input
            self.output = output
        }
        deinit { xnn_delete_operator(op) }
    }

    let spec: ConvSpec
    unowned let ctx: XNNPACKFactory
    /// Weights as [group][out per group][kh][kw][in per group].
    let packed: [Float]
    let post: Activation
    let inputChannelsLast: Bool, outputChannelsLast: Bool
    var plans: [[Int]: Plan] = [:]

    init(_ spec: ConvSpec, _ ctx: XNNPACKFactory, inputChannelsLast: Bool, outputChannelsLast: Bool) {
        self.spec = spec
        self.ctx = ctx
        self.inputChannelsLast = inputChannelsLast
        self.outputChannelsLast = outputChannelsLast
        let (m, cg, kh, kw) = (spec.outChannels, spec.inChannelsPerGroup, spec.kernelH, spec.kernelW)
        var p = [Float](repeating: 0, count: spec.weights.count)
        for o in 0..<m { for c in 0..<cg { for y in 0..<kh { for x in 0..<kw {
            p[((o * kh + y) * kw + x) * cg + c] = spec.weights[((o * cg + c) * kh + y) * kw + x]
        } } } }
        packed = p
        post = XNNPACKFactory.clamp(spec.activation).2
    }

    func plan(_ shape: [Int]) throws -> (Plan, ConvGeometry) {
        let g = try spec.geometry(shape)
        if let p = plans[shape] { return (p, g) }
        let (lo, hi, _) = spec.hasResidual ? (-Float.infinity, Float.infinity, Activation.none) : XNNPACKFactory.clamp(spec.activation)
        var op: xnn_operator_t?
        let mg = spec.outChannels / spec.group
        let status = packed.withUnsafeBufferPointer { w in
            (spec.bias ?? []).withUnsafeBufferPointer { b in
                xnn_create_convolution2d_nhwc_f32(
                    UInt32(g.padTop), UInt32(g.padRight), UInt32(g.padBottom), UInt32(g.padLeft),
                    UInt32(spec.kernelH), UInt32(spec.kernelW), UInt32(spec.strides[0]), UInt32(spec.strides[1]),
                    UInt32(spec.dilations[0]), UInt32(spec.dilations[1]), UInt32(spec.group), spec.inChannelsPerGroup, mg,
                    g.c, g.m, w.baseAddress, spec.bias == nil ? nil : b.baseAddress, lo, hi, 0, &op)
            }
        }
        try xnnCheck(status, "xnn_create_convolution2d_nhwc_f32", spec.label)
        guard let op else { throw KenningError.failure("XNNPACK returned no operator for \(spec.label)") }
        let plan = Plan(op: op, input: FloatBuffer(g.n * g.c * g.h * g.w), output: FloatBuffer(g.outputShape.reduce(1, *)))
        try xnnCheck(xnn_setup_convolution2d_nhwc_f32(op, g.n, g.h, g.w, plan.input.pointer, plan.output.pointer, ctx.pool),
                     "xnn_setup_convolution2d_nhwc_f32", spec.label)
        plans[shape] = plan
        return (plan, g)
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        let (plan, g) = try plan(x.shape)
        if let residual, residual.shape != g.outputShape { throw KernelError(reason: "residual shape \(residual.shape) is not \(g.outputShape)") }
        let xs = x.floats
        xs.withUnsafeBufferPointer { xb in
            if inputChannelsLast {
                plan.input.pointer.update(from: xb.baseAddress!, count: xs.count)
            } else {
                nchwToNHWC(xb.baseAddress!, plan.input.pointer, n: g.n, c: g.c, hw: g.h * g.w, threads: ctx.threads)
            }
        }
        try xnnCheck(xnn_run_operator(plan.op, ctx.pool), "xnn_run_operator", spec.label)
        let out = makeFloats(g.outputShape.reduce(1, *)) { o in
            if outputChannelsLast {
                o.update(from: plan.output.pointer, count: g.outputShape.reduce(1, *))
            } else {
                nhwcToNCHW(plan.output.pointer, o, n: g.n, c: g.m, hw: g.oh * g.ow, threads: ctx.threads)
            }
            let count = g.outputShape.reduce(1, *)
            if let residual {
                // XNNPACK has no sum: add the residual, then the activation (XNNPACK's clamp is off for these).
                residual.floats.withUnsafeBufferPointer { r in for i in 0..<count { o[i] = spec.activation.apply(o[i] + r[i]) } }
            } else if post != .none {
                for i in 0..<count { o[i] = post.apply(o[i]) }
            }
        }
        return Tensor(shape: g.outputShape, floats: out)
    }
}
