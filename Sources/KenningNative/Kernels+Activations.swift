import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Reference kernels: normalization and activations.
extension Kernels {

    static func batchNorm(x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float) throws -> Tensor {
        guard x.shape.count >= 2 else { throw KernelError(reason: "input must have rank ≥ 2, got \(x.shape)") }
        let c = x.shape[1]
        for (name, t) in [("scale", scale), ("B", bias), ("mean", mean), ("var", variance)] where t.count != c {
            throw KernelError(reason: "\(name) has \(t.count) values but the input has \(c) channels")
        }
        let (s, b, mu, v) = (scale.floats, bias.floats, mean.floats, variance.floats)
        let inner = x.shape.dropFirst(2).reduce(1, *)
        let mult = (0..<c).map { s[$0] / (v[$0] + epsilon).squareRoot() }
        let shift = (0..<c).map { b[$0] - mu[$0] * mult[$0] }
        let xs = x.floats
        let out = makeFloats(xs.count) { o in
            xs.withUnsafeBufferPointer { p in
                for plane in 0..<(xs.count / max(inner, 1)) {
                    let (m, a) = (mult[plane % c], shift[plane % c])
                    for i in (plane * inner)..<((plane + 1) * inner) { o[i] = p[i] * m + a }
                }
            }
        }
        return Tensor(shape: x.shape, floats: out)
    }

    static func softmax(x: Tensor, axis: Int, legacy: Bool, threads: Int = 1) throws -> Tensor {
        let rank = x.shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < max(rank, 1) else { throw KernelError(reason: "axis \(axis) is out of range for shape \(x.shape)") }
        var v = x.floats
        let outer: Int, len: Int, inner: Int
        if legacy {
            outer = x.shape.prefix(ax).reduce(1, *)
            len = x.shape.suffix(from: ax).reduce(1, *)
            inner = 1
        } else {
            outer = x.shape.prefix(ax).reduce(1, *)
            len = x.shape[ax]
            inner = x.shape.suffix(from: ax + 1).reduce(1, *)
        }
        v.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            parallelFor(outer * inner, threads: outer * inner * len >= 1 << 15 ? threads : 1) { range in
                for row in range {
                    let base = (row / inner) * len * inner + row % inner
                    var mx = -Float.infinity
                    for j in 0..<len { mx = max(mx, p[base + j * inner]) }
                    var sum: Float = 0
                    for j in 0..<len {
                        let e = expf(p[base + j * inner] - mx)
                        p[base + j * inner] = e
                        sum += e
                    }
                    let scale = 1 / sum
                    for j in 0..<len { p[base + j * inner] *= scale }
                }
            }
        }
        return Tensor(shape: x.shape, floats: v)
    }

    static func unary(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        Tensor(shape: x.shape, floats: x.floats.map(f))
    }
}
