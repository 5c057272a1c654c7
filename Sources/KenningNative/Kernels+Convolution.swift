import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Reference kernels: convolution.
extension Kernels {

    /// `activation(conv(x, w) + b + z)`; `z` (ONNX Runtime FusedConv's residual input) has the output's shape.
    static func conv(x: Tensor, w: Tensor, b: Tensor?, z: Tensor? = nil, node: Node, activation: Activation, threads: Int) throws -> Tensor {
        guard x.shape.count == 4, w.shape.count == 4 else {
            throw KernelError(reason: "only 2-D convolution (4-D input and weight) is supported, got input \(x.shape) and weight \(w.shape)")
        }
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cPerGroup, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let group = node.int("group", default: 1)
        guard group > 0, c == cPerGroup * group, m % group == 0 else {
            throw KernelError(reason: "input has \(c) channels but weight \(w.shape) with group=\(group) expects \(cPerGroup * group)")
        }
        let strides = node.ints("strides") ?? [1, 1]
        let dil = node.ints("dilations") ?? [1, 1]
        let pads = node.ints("pads") ?? [0, 0, 0, 0]
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        let hy = spatialOutput(input: h, kernel: kh, stride: strides[0], dilation: dil[0], padBegin: pads[0], padEnd: pads[2], autoPad: autoPad)
        let wx = spatialOutput(input: wd, kernel: kw, stride: strides[1], dilation: dil[1], padBegin: pads[1], padEnd: pads[3], autoPad: autoPad)
        let (oh, ow) = (hy.out, wx.out)
        guard oh > 0, ow > 0 else { throw KernelError(reason: "output would be empty (input \(x.shape), kernel \(kh)x\(kw))") }
        if let b, b.count != m { throw KernelError(reason: "bias has \(b.count) values, expected \(m)") }
        let xs = x.floats, ws = w.floats, bs = b?.floats
        let zs = z?.floats ?? []
        if let z, z.shape != [n, m, oh, ow] { throw KernelError(reason: "residual input has shape \(z.shape), expected \([n, m, oh, ow])") }
        let mPerGroup = m / group
        var out = [Float](repeating: 0, count: n * m * oh * ow)
        let (sh, sw, dh, dw, pt, pl) = (strides[0], strides[1], dil[0], dil[1], hy.begin, wx.begin)
        out.withUnsafeMutableBufferPointer { o in
            let op = o.baseAddress!
            xs.withUnsafeBufferPointer { xp in
                ws.withUnsafeBufferPointer { wp in
                    parallelFor(n * m, threads: threads) { range in
                        for job in range {
                            let img = job / m, oc = job % m
                            let g = oc / mPerGroup
                            let bias = bs?[oc] ?? 0
                            let dst = op + (img * m + oc) * oh * ow
                            for i in 0..<(oh * ow) { dst[i] = bias }
                            for ic in 0..<cPerGroup {
                                let src = xp.baseAddress! + (img * c + g * cPerGroup + ic) * h * wd
                                let wk = wp.baseAddress! + (oc * cPerGroup + ic) * kh * kw
                                for ky in 0..<kh {
                                    for kx in 0..<kw {
                                        let weight = wk[ky * kw + kx]
                                        if weight == 0 { continue }
                                        for oy in 0..<oh {
                                            let iy = oy * sh - pt + ky * dh
                                            if iy < 0 || iy >= h { continue }
                                            let row = src + iy * wd
                                            let drow = dst + oy * ow
                                            for ox in 0..<ow {
                                                let ix = ox * sw - pl + kx * dw
                                                if ix >= 0 && ix < wd { drow[ox] += weight * row[ix] }
                                            }
                                        }
                                    }
                                }
                            }
                            if !zs.isEmpty {
                                let base = (img * m + oc) * oh * ow
                                for i in 0..<(oh * ow) { dst[i] += zs[base + i] }
                            }
                            if activation != .none {
                                for i in 0..<(oh * ow) { dst[i] = activation.apply(dst[i]) }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, m, oh, ow], floats: out)
    }
}
