import COpenBLAS
import KenningCore

final class OpenBLASConv: PlannedOperator {
    let spec: ConvSpec
    let threads: Int
    let weights: FloatBuffer
    /// im2col scratch, sized for the largest shape seen.
    var columns = FloatBuffer(0)

    init(_ spec: ConvSpec, threads: Int) {
        self.spec = spec
        self.threads = threads
        weights = FloatBuffer(spec.weights)
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        let g = try spec.geometry(x.shape)
        if let residual, residual.shape != g.outputShape { throw KernelError(reason: "residual shape \(residual.shape) is not \(g.outputShape)") }
        let zs = residual?.floats
        let groups = spec.group, cg = spec.inChannelsPerGroup, mg = spec.outChannels / groups
        let (kh, kw) = (spec.kernelH, spec.kernelW)
        let kdim = cg * kh * kw, spatial = g.oh * g.ow
        let direct = kh == 1 && kw == 1 && spec.strides == [1, 1] && g.padTop == 0 && g.padLeft == 0 && g.padBottom == 0 && g.padRight == 0
        if !direct, columns.count < kdim * spatial { columns = FloatBuffer(kdim * spatial) }
        let col = columns.pointer, w = weights.pointer
        let (sh, sw, dh, dw) = (spec.strides[0], spec.strides[1], spec.dilations[0], spec.dilations[1])
        let xs = x.floats
        let out = makeFloats(g.outputShape.reduce(1, *)) { o in
            xs.withUnsafeBufferPointer { xb in
                let xp = xb.baseAddress!
                for img in 0..<g.n {
                    for grp in 0..<groups {
                        let src = xp + (img * g.c + grp * cg) * g.h * g.w
                        let b: UnsafePointer<Float>
                        if direct {
                            b = src
                        } else {
                            im2col(src, col, channels: cg, h: g.h, w: g.w, kh: kh, kw: kw, sh: sh, sw: sw, dh: dh, dw: dw,
                                   pt: g.padTop, pl: g.padLeft, oh: g.oh, ow: g.ow)
                            b = UnsafePointer(col)
                        }
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(mg), Int32(spatial), Int32(kdim), 1,
                                    w + grp * mg * kdim, Int32(kdim), b, Int32(spatial), 0,
                                    o + (img * g.m + grp * mg) * spatial, Int32(spatial))
                    }
                }
            }
            biasActivation(o, bias: spec.bias, residual: zs, activation: spec.activation, batch: g.n, channels: g.m, size: spatial, threads: threads)
        }
        return Tensor(shape: g.outputShape, floats: out)
    }

    /// Lays out every receptive field as a column: row (c, ky, kx), column (oy, ox).
    func im2col(_ src: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, channels: Int, h: Int, w: Int, kh: Int, kw: Int,
                sh: Int, sw: Int, dh: Int, dw: Int, pt: Int, pl: Int, oh: Int, ow: Int)
    {
        let rows = channels * kh * kw
        parallelFor(rows, threads: rows * oh * ow >= 65536 ? threads : 1) { range in
            for r in range {
                let c = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
                let plane = src + c * h * w
                let dst = col + r * oh * ow
                for oy in 0..<oh {
                    let iy = oy * sh - pt + ky * dh
                    let row = dst + oy * ow
                    if iy < 0 || iy >= h {
                        row.update(repeating: 0, count: ow)
                        continue
                    }
                    let line = plane + iy * w
                    if sw == 1 {
                        let x0 = kx * dw - pl
                        for ox in 0..<ow {
                            let ix = x0 + ox
                            row[ox] = ix >= 0 && ix < w ? line[ix] : 0
                        }
                    } else {
                        for ox in 0..<ow {
                            let ix = ox * sw - pl + kx * dw
                            row[ox] = ix >= 0 && ix < w ? line[ix] : 0
                        }
                    }
                }
            }
        }
    }
}
