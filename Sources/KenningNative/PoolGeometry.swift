import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Shape and attributes of a 2-D MaxPool/AveragePool, read once for the NCHW and channels-last kernels.
struct PoolGeometry {
    let n: Int, c: Int, h: Int, w: Int
    let kh: Int, kw: Int, sh: Int, sw: Int, dh: Int, dw: Int
    let hy: (out: Int, begin: Int, end: Int)
    let wx: (out: Int, begin: Int, end: Int)
    let includePad: Bool

    init(_ shape: [Int], _ node: Node) throws {
        guard shape.count == 4 else { throw KernelError(reason: "only 2-D pooling (4-D input) is supported, got \(shape)") }
        guard let k = node.ints("kernel_shape"), k.count == 2 else { throw KernelError(reason: "kernel_shape must have 2 values") }
        (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let strides = node.ints("strides") ?? [1, 1]
        let pads = node.ints("pads") ?? [0, 0, 0, 0]
        let dil = node.ints("dilations") ?? [1, 1]
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        let ceil = node.int("ceil_mode", default: 0) == 1
        includePad = node.int("count_include_pad", default: 0) == 1
        (kh, kw, sh, sw, dh, dw) = (k[0], k[1], strides[0], strides[1], dil[0], dil[1])
        hy = spatialOutput(input: h, kernel: kh, stride: sh, dilation: dh, padBegin: pads[0], padEnd: pads[2], autoPad: autoPad, ceilMode: ceil)
        wx = spatialOutput(input: w, kernel: kw, stride: sw, dilation: dw, padBegin: pads[1], padEnd: pads[3], autoPad: autoPad, ceilMode: ceil)
        guard hy.out > 0, wx.out > 0 else { throw KernelError(reason: "output would be empty (input \(shape), kernel \(k))") }
    }
}
