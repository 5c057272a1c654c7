import KenningCore
import KenningModel

/// Reference kernels: TopK and NonZero.
extension Kernels {
    /// The `k` largest (or smallest) values along `axis` and their indices (int64); ties go to the lower index.
    static func topK(_ x: Tensor, k: Int, axis: Int, largest: Bool) throws -> [Tensor] {
        let rank = x.shape.count
        guard rank > 0, axis >= -rank, axis < rank else { throw KernelError(reason: "TopK axis \(axis) is outside rank \(rank)") }
        let a = axis < 0 ? axis + rank : axis
        let n = x.shape[a]
        guard k >= 0, k <= n else { throw KernelError(reason: "TopK of \(k) along an axis of \(n)") }
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
        let v = x.floats
        var values = [Float](repeating: 0, count: outer * k * inner), indices = [Int64](repeating: 0, count: outer * k * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                let order = (0..<n).sorted { p, q in
                    let vp = v[base + p * inner], vq = v[base + q * inner]
                    if vp != vq { return largest ? vp > vq : vp < vq }
                    return p < q
                }
                for j in 0..<k {
                    values[(o * k + j) * inner + i] = v[base + order[j] * inner]
                    indices[(o * k + j) * inner + i] = Int64(order[j])
                }
            }
        }
        var shape = x.shape
        shape[a] = k
        return [Tensor(shape: shape, floats: values), Tensor(shape: shape, ints: indices)]
    }

    /// The indices of the non-zero elements, [rank, count], in row-major order.
    static func nonZero(_ x: Tensor) -> Tensor {
        let v = x.floats, rank = x.shape.count
        let hits = v.indices.filter { v[$0] != 0 }
        let strides = Tensor.strides(of: x.shape)
        var out = [Int64](repeating: 0, count: rank * hits.count)
        for (j, flat) in hits.enumerated() {
            var rest = flat
            for d in 0..<rank {
                out[d * hits.count + j] = Int64(rest / strides[d])
                rest %= strides[d]
            }
        }
        return Tensor(shape: [rank, hits.count], ints: out)
    }
}
