import KenningCore
import KenningModel

/// Sizes and padding of a 2-D ConvTranspose for one input shape (ONNX's rules: pads, or auto_pad, or output_shape,
/// which decides the padding; output_padding adds to the end).
struct ConvTransposeGeometry {
    let n: Int, c: Int, h: Int, w: Int
    /// Output channels in all, and per group.
    let m: Int, perGroupOut: Int
    let group: Int, kh: Int, kw: Int
    let oh: Int, ow: Int
    let strides: [Int], dilations: [Int]
    let padTop: Int, padLeft: Int

    init(node: Node, input x: [Int], weights wShape: [Int]) throws {
        guard x.count == 4, wShape.count == 4 else {
            throw KernelError(reason: "only 2-D ConvTranspose is supported (input \(x), weights \(wShape))")
        }
        group = node.int("group", default: 1)
        (n, c, h, w) = (x[0], x[1], x[2], x[3])
        guard group > 0, wShape[0] == c, c % group == 0 else {
            throw KernelError(reason: "weights \(wShape) with group \(group) do not fit \(c) input channels")
        }
        perGroupOut = wShape[1]
        m = perGroupOut * group
        (kh, kw) = (wShape[2], wShape[3])
        let s = node.ints("strides") ?? [1, 1], d = node.ints("dilations") ?? [1, 1]
        let outPad = node.ints("output_padding") ?? [0, 0]
        var pads = node.ints("pads") ?? [0, 0, 0, 0]
        guard s.count == 2, d.count == 2, outPad.count == 2, pads.count == 4 else {
            throw KernelError(reason: "unsupported ConvTranspose attributes (strides \(s), dilations \(d), pads \(pads))")
        }
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        let inSize = [h, w], kernel = [kh, kw]
        /// The output size of axis `i` before padding is taken off.
        func span(_ i: Int) -> Int {
            let covered: Int = s[i] * (inSize[i] - 1) + outPad[i]
            return covered + (kernel[i] - 1) * d[i] + 1
        }
        var outSize = (0..<2).map { (i: Int) -> Int in span(i) - pads[i] - pads[i + 2] }
        let requested = node.ints("output_shape").map { Array($0.suffix(2)) }
        if requested != nil || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
            let target = requested ?? [inSize[0] * s[0], inSize[1] * s[1]]
            for i in 0..<2 {
                let total = span(i) - target[i]
                (pads[i], pads[i + 2]) = autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
            outSize = target
        } else if autoPad == "VALID" {
            pads = [0, 0, 0, 0]
            outSize = (0..<2).map(span)
        }
        (oh, ow) = (outSize[0], outSize[1])
        guard oh > 0, ow > 0 else { throw KernelError(reason: "ConvTranspose output would be empty (\(outSize))") }
        (strides, dilations, padTop, padLeft) = (s, d, pads[0], pads[1])
    }
}
