import KenningCore
import KenningModel

/// A convolution's attributes and constant weights, read once when the model is planned.
struct ConvSpec {
    let label: String
    /// OIHW weights.
    let weights: [Float]
    let bias: [Float]?
    let outChannels: Int, inChannelsPerGroup: Int, kernelH: Int, kernelW: Int, group: Int
    let strides: [Int], dilations: [Int], pads: [Int], autoPad: String
    let activation: Activation
    /// The node has a residual input Z (ONNX Runtime FusedConv), added before the activation.
    let hasResidual: Bool

    var isDepthwise: Bool { group > 1 && inChannelsPerGroup == 1 && outChannels == group }

    init(node: Node, weights w: Tensor, bias b: Tensor?, activation: Activation) throws {
        guard w.shape.count == 4 else { throw KernelError(reason: "only 2-D convolution is supported, weight shape \(w.shape)") }
        label = node.label
        weights = w.floats
        bias = b?.floats
        (outChannels, inChannelsPerGroup, kernelH, kernelW) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        group = node.int("group", default: 1)
        strides = node.ints("strides") ?? [1, 1]
        dilations = node.ints("dilations") ?? [1, 1]
        pads = node.ints("pads") ?? [0, 0, 0, 0]
        autoPad = node.string("auto_pad") ?? "NOTSET"
        self.activation = activation
        hasResidual = node.inputs.count > 3 && !node.inputs[3].isEmpty
        guard group > 0, outChannels % group == 0, strides.count == 2, dilations.count == 2, pads.count == 4 else {
            throw KernelError(reason: "unsupported convolution attributes (group \(group), strides \(strides), dilations \(dilations), pads \(pads))")
        }
        if let bias, bias.count != outChannels { throw KernelError(reason: "bias has \(bias.count) values, expected \(outChannels)") }
    }

    /// Sizes and padding for one input shape.
    func geometry(_ x: [Int]) throws -> ConvGeometry {
        guard x.count == 4, x[1] == inChannelsPerGroup * group else {
            throw KernelError(reason: "input \(x) does not fit weights [\(outChannels), \(inChannelsPerGroup), \(kernelH), \(kernelW)] with group \(group)")
        }
        let hy = spatialOutput(input: x[2], kernel: kernelH, stride: strides[0], dilation: dilations[0], padBegin: pads[0], padEnd: pads[2], autoPad: autoPad)
        let wx = spatialOutput(input: x[3], kernel: kernelW, stride: strides[1], dilation: dilations[1], padBegin: pads[1], padEnd: pads[3], autoPad: autoPad)
        guard hy.out > 0, wx.out > 0 else { throw KernelError(reason: "output would be empty for input \(x)") }
        return ConvGeometry(n: x[0], c: x[1], h: x[2], w: x[3], m: outChannels, oh: hy.out, ow: wx.out,
                            padTop: hy.begin, padLeft: wx.begin, padBottom: hy.end, padRight: wx.end)
    }
}
