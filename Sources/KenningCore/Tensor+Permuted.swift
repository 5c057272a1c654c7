/// Reordering a tensor's axes.
extension Tensor {
    /// Row-major strides of `shape`.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = s
            s *= shape[d]
        }
        return strides
    }

    /// The tensor with its axes in the order `perm` (output axis `d` is input axis `perm[d]`), as float values; nil when
    /// `perm` is not a permutation of the axes.
    public func permuted(_ perm: [Int]) -> Tensor? {
        let rank = shape.count
        guard perm.sorted() == Array(0..<rank) else { return nil }
        let outShape = perm.map { shape[$0] }
        let inStrides = Tensor.strides(of: shape)
        let v = floats
        var out = [Float](repeating: 0, count: v.count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<v.count {
            var src = 0
            for d in 0..<rank { src += index[d] * inStrides[perm[d]] }
            out[o] = v[src]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < outShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(shape: outShape, floats: out)
    }
}
