import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Reference kernels: pooling.
extension Kernels {

    static func pool(x: Tensor, node: Node, isMax: Bool, threads: Int = 1) throws -> Tensor {
        let p = try PoolGeometry(x.shape, node)
        let (n, c, h, w, oh, ow, hy, wx, includePad) = (p.n, p.c, p.h, p.w, p.hy.out, p.wx.out, p.hy, p.wx, p.includePad)
        let (kh, kw, sh, sw, dh, dw) = (p.kh, p.kw, p.sh, p.sw, p.dh, p.dw)
        let xs = x.floats
        let out = makeFloats(n * c * oh * ow) { o in
            xs.withUnsafeBufferPointer { xb in
                let xp = xb.baseAddress!
                parallelFor(n * c, threads: n * c * oh * ow * kh * kw >= 100_000 ? threads : 1) { planes in
                    for plane in planes {
                        let src = xp + plane * h * w
                        let dst = o + plane * oh * ow
                        for oy in 0..<oh {
                            let y0 = oy * sh - hy.begin
                            let kyLo = y0 >= 0 ? 0 : (-y0 + dh - 1) / dh
                            let kyHi = min(kh, (h - y0 + dh - 1) / dh)
                            for ox in 0..<ow {
                                let x0 = ox * sw - wx.begin
                                let kxLo = x0 >= 0 ? 0 : (-x0 + dw - 1) / dw
                                let kxHi = min(kw, (w - x0 + dw - 1) / dw)
                                var acc: Float = isMax ? -.infinity : 0
                                if kyLo < kyHi, kxLo < kxHi {
                                    for ky in kyLo..<kyHi {
                                        let row = src + (y0 + ky * dh) * w + x0
                                        if isMax {
                                            for kx in kxLo..<kxHi { acc = max(acc, row[kx * dw]) }
                                        } else {
                                            for kx in kxLo..<kxHi { acc += row[kx * dw] }
                                        }
                                    }
                                }
                                if !isMax {
                                    var divisor = max(0, kyHi - kyLo) * max(0, kxHi - kxLo)
                                    if includePad {
                                        let y1 = min(y0 + kh, h + hy.end), x1 = min(x0 + kw, w + wx.end)
                                        divisor = (y1 - y0) * (x1 - x0)
                                    }
                                    acc /= Float(max(divisor, 1))
                                }
                                dst[oy * ow + ox] = acc
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], floats: out)
    }

    static func globalPool(x: Tensor, isMax: Bool) throws -> Tensor {
        guard x.shape.count >= 3 else { throw KernelError(reason: "input must have rank ≥ 3, got \(x.shape)") }
        let planes = x.shape[0] * x.shape[1]
        let size = x.shape.dropFirst(2).reduce(1, *)
        let xs = x.floats
        var out = [Float](repeating: 0, count: planes)
        for p in 0..<planes {
            let slice = xs[(p * size)..<((p + 1) * size)]
            out[p] = isMax ? (slice.max() ?? 0) : slice.reduce(0, +) / Float(size)
        }
        return Tensor(shape: [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.shape.count - 2), floats: out)
    }
}
