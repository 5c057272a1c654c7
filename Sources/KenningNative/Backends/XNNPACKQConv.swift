import CXNNPACK
import KenningCore
import KenningModel

/// XNNPACK QC8 convolution over int8 tensors (NCHW or channels-last on either side).
final class XNNPACKQConv: PlannedOperator {
    final class Plan {
        let op: xnn_operator_t
        let input: UnsafeMutablePointer<Int8>, output: UnsafeMutablePointer<Int8>
        let inputCount: Int, outputCount: Int
        init(op: xnn_operator_t, inputCount: Int, outputCount: Int) {
            self.op = op
            self.inputCount = inputCount
            self.outputCount = outputCount
            input = .allocate(capacity: max(inputCount, 1))
            output = .allocate(capacity: max(outputCount, 1))
        }
        deinit {
            xnn_delete_operator(op)
            input.deallocate()
            output.deallocate()
        }
    }

    let spec: QConvSpec
    let pool: pthreadpool_t?
    let threads: Int
    let inputChannelsLast: Bool, outputChannelsLast: Bool
    /// [group][out per group][kh][kw][in per group]
    let packed: [Int8]
    var plans: [[Int]: Plan] = [:]

    init(_ spec: QConvSpec, pool: pthreadpool_t?, threads: Int, inputChannelsLast: Bool, outputChannelsLast: Bool) {
        self.spec = spec
        self.pool = pool
        self.threads = threads
        self.inputChannelsLast = inputChannelsLast
        self.outputChannelsLast = outputChannelsLast
        let c = spec.conv
        let (m, cg, kh, kw) = (c.outChannels, c.inChannelsPerGroup, c.kernelH, c.kernelW)
        var p = [Int8](repeating: 0, count: spec.weights.count)
        for o in 0..<m { for i in 0..<cg { for y in 0..<kh { for x in 0..<kw {
            p[((o * kh + y) * kw + x) * cg + i] = spec.weights[((o * cg + i) * kh + y) * kw + x]
        } } } }
        packed = p
    }

    func plan(_ shape: [Int]) throws -> (Plan, ConvGeometry) {
        let c = spec.conv
        let g = try c.geometry(shape)
        if let p = plans[shape] { return (p, g) }
        var op: xnn_operator_t?
        let status = packed.withUnsafeBufferPointer { w in
            spec.weightScales.withUnsafeBufferPointer { s in
                spec.bias.withUnsafeBufferPointer { b in
                    xnn_create_convolution2d_nhwc_qc8(
                        UInt32(g.padTop), UInt32(g.padRight), UInt32(g.padBottom), UInt32(g.padLeft), UInt32(c.kernelH), UInt32(c.kernelW),
                        UInt32(c.strides[0]), UInt32(c.strides[1]), UInt32(c.dilations[0]), UInt32(c.dilations[1]), UInt32(c.group),
                        c.inChannelsPerGroup, c.outChannels / c.group, g.c, g.m, spec.inputZero, spec.inputScale, s.baseAddress,
                        w.baseAddress, b.baseAddress, spec.outputZero, spec.outputScale, spec.outputMin, spec.outputMax, 0, &op)
                }
            }
        }
        try xnnCheck(status, "xnn_create_convolution2d_nhwc_qc8", spec.label)
        guard let op else { throw KenningError.failure("XNNPACK returned no operator for \(spec.label)") }
        let plan = Plan(op: op, inputCount: g.n * g.c * g.h * g.w, outputCount: g.outputShape.reduce(1, *))
        try xnnCheck(xnn_setup_convolution2d_nhwc_qc8(op, g.n, g.h, g.w, plan.input, plan.output, pool), "xnn_setup_convolution2d_nhwc_qc8", spec.label)
        plans[shape] = plan
        return (plan, g)
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        guard case let .int8(xs) = x.storage else { throw KernelError(reason: "QLinearConv expects an int8 input, got \(x.elementType)") }
        let (plan, g) = try plan(x.shape)
        xs.withUnsafeBufferPointer { xb in
            if inputChannelsLast || ChannelsLast.isNeutral(x.shape) {
                plan.input.update(from: xb.baseAddress!, count: xs.count)
            } else {
                transposeToNHWC(xb.baseAddress!, plan.input, n: g.n, c: g.c, hw: g.h * g.w)
            }
        }
        try xnnCheck(xnn_run_operator(plan.op, pool), "xnn_run_operator", spec.label)
        let count = plan.outputCount
        let out = [Int8](unsafeUninitializedCapacity: count) { buf, n in
            if outputChannelsLast || ChannelsLast.isNeutral(g.outputShape) {
                buf.baseAddress!.update(from: plan.output, count: count)
            } else {
                transposeToNCHW(plan.output, buf.baseAddress!, n: g.n, c: g.m, hw: g.oh * g.ow)
            }
            n = count
        }
        return Tensor(shape: g.outputShape, int8s: out)
    }
}
