import KenningCore
import KenningModel

/// A ConvTranspose of one group with constant weights as one dense product on the backend, then a scatter-add:
/// `columns[pixel, (oc, ky, kx)] = Σ_c x[c, pixel] · w[c, oc, ky, kx]`, and each column adds into the output pixel it
/// lands on. The product is where the work is; the scatter touches each column once.
final class DenseConvTranspose: PlannedOperator {
    let node: Node
    let product: any PlannedOperator
    let weightsShape: [Int]
    let bias: [Float]?
    let threads: Int

    /// nil when the node has groups or the backend has no dense operator (those run on the reference kernel).
    init?(node: Node, weights: Tensor, bias: Tensor?, factory: any OperatorFactory, threads: Int) throws {
        guard weights.shape.count == 4, node.int("group", default: 1) == 1 else { return nil }
        let (c, columns) = (weights.shape[0], weights.shape[1] * weights.shape[2] * weights.shape[3])
        guard let spec = DenseSpec.matmul(node: node, b: Tensor(shape: [c, columns], floats: weights.floats)),
              let product = try factory.dense(spec) else { return nil }
        self.node = node
        self.product = product
        self.weightsShape = weights.shape
        self.bias = bias?.floats
        self.threads = threads
        if let b = self.bias, b.count != weights.shape[1] { throw KernelError(reason: "bias has \(b.count) values, expected \(weights.shape[1])") }
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        let g = try ConvTransposeGeometry(node: node, input: x.shape, weights: weightsShape)
        let pixels = g.h * g.w, columnsPerPixel = g.m * g.kh * g.kw
        // NCHW → one row of channels per pixel.
        let rows = try Kernels.transpose(Tensor(shape: [g.n, g.c, pixels], floats: x.floats), perm: [0, 2, 1])
        let columns = try product.run(Tensor(shape: [g.n * pixels, g.c], floats: rows.floats), residual: nil).floats
        let (sy, sx, dy, dx, pt, pl) = (g.strides[0], g.strides[1], g.dilations[0], g.dilations[1], g.padTop, g.padLeft)
        let bias = self.bias
        let out = makeFloats(g.n * g.m * g.oh * g.ow) { o in
            columns.withUnsafeBufferPointer { cb in
                parallelFor(g.n * g.m, threads: g.n * g.m * pixels * g.kh * g.kw >= 100_000 ? threads : 1) { jobs in
                    for job in jobs {
                        let (img, oc) = (job / g.m, job % g.m)
                        let plane = o + job * g.oh * g.ow
                        plane.initialize(repeating: bias?[oc] ?? 0, count: g.oh * g.ow)
                        for ky in 0..<g.kh {
                            for kx in 0..<g.kw {
                                let column = (oc * g.kh + ky) * g.kw + kx
                                let shift = kx * dx - pl
                                let ixLo = max(0, (-shift + sx - 1) / sx), ixHi = min(g.w, (g.ow - 1 - shift) / sx + 1)
                                if ixLo >= ixHi { continue }
                                for iy in 0..<g.h {
                                    let oy = iy * sy - pt + ky * dy
                                    if oy < 0 || oy >= g.oh { continue }
                                    let src = cb.baseAddress! + ((img * g.h + iy) * g.w) * columnsPerPixel + column
                                    let dst = plane + oy * g.ow + shift
                                    for ix in ixLo..<ixHi { dst[ix * sx] += src[ix * columnsPerPixel] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [g.n, g.m, g.oh, g.ow], floats: out)
    }
}
